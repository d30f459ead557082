/**
 * policy/ is a complete policy pack on its own: `pulumi policy publish policy` uploads only that
 * folder, and `pulumi preview --policy-pack policy` runs it with only policy/node_modules. So no
 * import may leave policy/, its package.json must carry everything it needs (TypeScript and
 * ts-node included: without them @pulumi/pulumi falls back to its vendored TypeScript 3.8.3,
 * pulumi/pulumi sdk/nodejs/tsutils.ts typeScriptRequireStrings), and lib/ uses the same code.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as libPack from "../../policy/src/pack";
import * as libRules from "../../policy/src/rules";
import { DATA_BEARING_TYPES as PLAN_DATA_BEARING } from "../../offline/plan/diff";
import { SECRET_MASK as PLAN_SECRET_MASK } from "../../offline/plan/types";
import * as pack from "../../policy/src/pack";
import * as rules from "../../policy/src/rules";
import { DATA_BEARING_TYPES, SECRET_MASK } from "../../policy/src/shared";

const REPO = path.join(__dirname, "..", "..");
const POLICY = path.join(REPO, "policy");

/** Relative imports (import/export from, require(), import()) of a folder's .ts files that leave it. */
export function importsLeaving(root: string): string[] {
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      if (e.name === "node_modules") return [];
      const full = path.join(dir, e.name);
      return e.isDirectory() ? walk(full) : e.name.endsWith(".ts") ? [full] : [];
    });
  const problems: string[] = [];
  for (const file of walk(root)) {
    const text = fs.readFileSync(file, "utf8");
    const specifiers = [
      ...text.matchAll(/\b(?:import|export)\b[^;'"]*?\bfrom\s*["']([^"']+)["']/g),
      ...text.matchAll(/\bimport\s*["']([^"']+)["']/g),
      ...text.matchAll(/\b(?:require|import)\(\s*["']([^"']+)["']\s*\)/g),
    ].map((m) => m[1]);
    for (const spec of specifiers) {
      if (!spec.startsWith(".") && !path.isAbsolute(spec)) continue;
      const target = path.resolve(path.dirname(file), spec);
      if (path.relative(root, target).startsWith("..")) {
        problems.push(`${path.relative(root, file)}: ${spec}`);
      }
    }
  }
  return problems;
}

test("no file of policy/ imports anything outside policy/", () => {
  const files = fs.readdirSync(path.join(POLICY, "src"));
  expect(files.sort()).toEqual([
    "framework.ts",
    "pack.ts",
    "policy-document.ts",
    "rules",
    "shared.ts",
    "view.ts",
  ]);
  // One module per domain, and the index that lists every rule.
  expect(fs.readdirSync(path.join(POLICY, "src", "rules")).sort()).toEqual([
    "aws-iam.ts",
    "databricks.ts",
    "drone.ts",
    "ecr.ts",
    "github.ts",
    "index.ts",
    "ownership.ts",
    "s3.ts",
    "secrets.ts",
  ]);
  expect(importsLeaving(POLICY)).toEqual([]);
});

test("the check catches an import that leaves the folder, in any form", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-copy-"));
  fs.cpSync(POLICY, dir, {
    recursive: true,
    filter: (src) => !src.includes(`${path.sep}node_modules`),
  });
  fs.writeFileSync(
    path.join(dir, "src", "leak.ts"),
    [
      'import { RULES } from "../../policy/src/rules";',
      'export { x } from "../../offline/plan/types";',
      'const y = require("../../catalog/settings");',
      'import "./view";',
      'import type { View } from "./view";',
    ].join("\n"),
  );
  expect(importsLeaving(dir)).toEqual([
    "src/leak.ts: ../../policy/src/rules",
    "src/leak.ts: ../../offline/plan/types",
    "src/leak.ts: ../../catalog/settings",
  ]);
});

test("offline/policy re-exports the pack's own code: one set of rules for the plan and the pack", () => {
  expect(libRules.RULES).toBe(rules.RULES);
  expect(libPack.packPolicies).toBe(pack.packPolicies);
  expect(fs.readFileSync(path.join(POLICY, "index.ts"), "utf8")).toContain(
    'import { packPolicies, POLICY_PACK_NAME } from "./src/pack";',
  );
});

test("the facts the rules share with the offline plan are defined once, in policy/src/shared.ts", () => {
  expect(PLAN_DATA_BEARING).toBe(DATA_BEARING_TYPES);
  expect(SECRET_MASK).toBe(PLAN_SECRET_MASK);
  expect(SECRET_MASK).toBe("[secret]");
  // No second definition of either value in offline/plan (the files that once held copies).
  const redefined = ["diff.ts", "types.ts"].filter((f) =>
    /(DATA_BEARING_TYPES|SECRET_MASK)\s*(:[^=]*)?=/.test(
      fs.readFileSync(path.join(REPO, "offline", "plan", f), "utf8"),
    ),
  );
  expect(redefined).toEqual([]);
});

test("policy evaluation reads the ids the plan recorded and never runs the mock engine", () => {
  const evaluate = fs.readFileSync(path.join(REPO, "offline", "policy", "evaluate.ts"), "utf8");
  expect(importsOf(evaluate)).toEqual([
    "../plan/types",
    "../../policy/src/rules",
    "../../policy/src/view",
  ]);
  for (const file of fs.readdirSync(path.join(REPO, "offline", "plan"))) {
    const text = fs.readFileSync(path.join(REPO, "offline", "plan", file), "utf8");
    const policyImports = importsOf(text).filter((s) => s.includes("policy/"));
    // The plan uses the policy's entry points (evaluate, shared), never the rules' internals.
    expect([
      file,
      policyImports.filter((s) => !/(policy\/evaluate|policy\/src\/shared)$/.test(s)),
    ]).toEqual([file, []]);
  }
});

function importsOf(text: string): string[] {
  return [...text.matchAll(/\b(?:import|export)\b[^;'"]*?\bfrom\s*["']([^"']+)["']/g)].map(
    (m) => m[1],
  );
}

test("policy/package.json carries what the pack runs with, at the project's versions, and its lock agrees", () => {
  const root = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const own = JSON.parse(fs.readFileSync(path.join(POLICY, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  const project = { ...root.dependencies, ...root.devDependencies };
  const needed = ["@pulumi/policy", "@pulumi/pulumi", "ts-node", "typescript"];
  expect(Object.keys(own.dependencies).sort()).toEqual(needed);
  for (const name of needed) expect([name, own.dependencies[name]]).toEqual([name, project[name]]);

  const lock = JSON.parse(fs.readFileSync(path.join(POLICY, "package-lock.json"), "utf8")) as {
    packages: Record<string, { version?: string; dependencies?: Record<string, string> }>;
  };
  expect(lock.packages[""].dependencies).toEqual(own.dependencies);
  for (const name of needed) {
    expect([name, lock.packages[`node_modules/${name}`]?.version]).toEqual([
      name,
      own.dependencies[name],
    ]);
  }
  // Every dependency of every locked package resolves inside the lock (npm ci installs only it).
  const unresolved: string[] = [];
  for (const [key, entry] of Object.entries(lock.packages)) {
    for (const dep of Object.keys(entry.dependencies ?? {})) {
      let base = key;
      let found = false;
      for (;;) {
        const candidate = base ? `${base}/node_modules/${dep}` : `node_modules/${dep}`;
        if (lock.packages[candidate]) {
          found = true;
          break;
        }
        if (!base) break;
        const i = base.lastIndexOf("/node_modules/");
        base = i >= 0 ? base.slice(0, i) : "";
      }
      if (!found) unresolved.push(`${key || "(root)"} -> ${dep}`);
    }
  }
  expect(unresolved).toEqual([]);
});
