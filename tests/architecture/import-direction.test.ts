/**
 * The import directions of eslint.config.js (no-restricted-imports) fail a wrong-way import and let
 * a legitimate one pass, in every form that names a module (import, import type, export-from),
 * at any folder depth; and the tree as it is passes them.
 */
import { ESLint, Linter } from "eslint";
import * as fs from "fs";
import * as path from "path";

const REPO = path.join(__dirname, "..", "..");
const RULE = "no-restricted-imports";

/**
 * The project's own configuration (read here: ESLint's own loader imports it dynamically, which
 * jest's module system refuses), this one rule only, untyped: it needs no type information.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const PROJECT_CONFIG: Linter.Config[] = require("../../eslint.config.js");
const eslint = new ESLint({
  cwd: REPO,
  overrideConfigFile: true,
  overrideConfig: [
    ...PROJECT_CONFIG,
    { languageOptions: { parserOptions: { projectService: false } } },
  ],
  ruleFilter: ({ ruleId }) => ruleId === RULE,
});

/** The messages of the import-direction rule for `code` written in the file `file`. */
async function violations(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(REPO, file) });
  expect(result.messages.filter((m) => m.ruleId !== RULE)).toEqual([]);
  return result.messages.map((m) => m.message);
}

const SUFFIX = "(import direction: eslint.config.js).";
const DOMAIN = `catalog/ is the domain: it uses only lib/, nothing of the program, the components or the tools ${SUFFIX}`;
const COMPONENTS = `components take only their Args: they import no project folder but components/ (not lib/, the catalog, the program or the tools) ${SUFFIX}`;

describe("a wrong-way import fails the lint", () => {
  test("the catalog importing the plan engine", async () => {
    expect(
      await violations("catalog/planted.ts", 'import { runPlan } from "../offline/plan/run";\n'),
    ).toEqual([
      `'../offline/plan/run' import is restricted from being used by a pattern. ${DOMAIN}`,
    ]);
  });

  test("the same import as a type import and as a re-export", async () => {
    const code =
      'import type { PlanDocument } from "../offline/plan/types";\nexport { runPlan } from "../offline/plan/run";\n';
    expect(await violations("catalog/planted.ts", code)).toHaveLength(2);
  });

  test("the catalog importing a component, rendering or the program's mapping", async () => {
    const code = [
      'import { repositoryFeatures } from "../components/github/features";',
      'import { renderAirflowDag } from "../program/render/airflow";',
      'import { MlService } from "../program/service";',
      'import { stackCredentials } from "../deploy/credentials";',
      "",
    ].join("\n");
    const found = await violations("catalog/planted.ts", code);
    expect(found).toHaveLength(4);
    for (const message of found) expect(message).toContain(DOMAIN);
  });

  test("a leaf utility importing the catalog", async () => {
    const [message] = await violations(
      "lib/planted.ts",
      'import { loadCatalog } from "../catalog/load";\n',
    );
    expect(message).toContain("lib/ holds leaf utilities");
  });

  test("a component importing a command-line entry point, from a nested folder", async () => {
    const [message] = await violations(
      "components/drone/planted.ts",
      'import { main } from "../../cli/plan";\n',
    );
    expect(message).toContain(COMPONENTS);
  });

  test("a component importing the catalog's types: the components rule, with its message", async () => {
    expect(
      await violations(
        "components/planted.ts",
        'import { ResolvedService } from "../catalog/types";\n',
      ),
    ).toEqual([
      `'../catalog/types' import is restricted from being used by a pattern. ${COMPONENTS}`,
    ]);
  });

  test("a component importing any project module: settings, names, rendering, the program, the project root, the policies", async () => {
    const code = [
      'import { StackSettings } from "../../catalog/settings";',
      'import { effectiveNames } from "../../catalog/names";',
      'import { renderAirflowDag } from "../../program/render";',
      'import type { PipelineSecretKey } from "../../program/pipeline-secrets";',
      'export { PROJECT_ROOT } from "../../lib/project-root";',
      'import { RULES } from "../../policy/src/rules";',
      'import { runPlan } from "../../offline/plan/run";',
      "",
    ].join("\n");
    const found = await violations("components/drone/planted.ts", code);
    expect(found).toHaveLength(7);
    for (const message of found) expect(message).toContain(COMPONENTS);
  });

  test("the program importing a tool", async () => {
    const code =
      'import { runPlan } from "../offline/plan/run";\nimport { deploy } from "../deploy/command";\n';
    const found = await violations("program/planted.ts", code);
    expect(found).toHaveLength(2);
    for (const message of found) expect(message).toContain("it uses none of the tools");
  });

  test("rendering importing the program's mapping or a component", async () => {
    const code =
      'import { pipelineSecrets } from "../service";\nimport { managedDigest } from "../../components/repository-content";\n';
    const found = await violations("program/render/planted.ts", code);
    expect(found).toHaveLength(2);
    for (const message of found)
      expect(message).toContain("rendering works from the catalog alone");
  });

  test("the policy pack importing anything outside policy/", async () => {
    const code =
      'import { parseSettings } from "../../catalog/settings";\nimport { x } from "../../../offline/plan/types";\n';
    const [message] = await violations("policy/src/planted.ts", code);
    expect(message).toContain("the policy pack is self-contained");
    expect(await violations("policy/src/rules/planted.ts", code)).toHaveLength(1);
  });

  test("policy evaluation importing the plan engine's internals", async () => {
    const [message] = await violations(
      "offline/policy/planted.ts",
      'import { installMockEngine } from "../plan/mock-engine";\n',
    );
    expect(message).toContain("never the plan engine");
  });

  test("the plan importing a component's internals or the rules' internals", async () => {
    const code = [
      'import { commitState } from "../../components/github/commit-provider";',
      'import { RULES } from "../../policy/src/rules";',
      'import { view } from "../policy/view";',
      "",
    ].join("\n");
    const found = await violations("offline/plan/planted.ts", code);
    expect(found).toHaveLength(3);
    for (const message of found) expect(message).toContain("knows no component's internals");
  });

  test("an offline tool importing a command or a component", async () => {
    const code =
      'import { main } from "../cli/docs";\nimport { MlflowTracking } from "../components/mlflow-tracking";\n';
    const found = await violations("offline/planted.ts", code);
    expect(found).toHaveLength(2);
    for (const message of found) expect(message).toContain("the offline tools run the program");
  });

  test("the deploy library importing a command or a component", async () => {
    const code =
      'import { main } from "../cli/deploy";\nimport { GitCommit } from "../components/github";\n';
    expect(await violations("deploy/planted.ts", code)).toHaveLength(2);
  });
});

describe("a legitimate import passes", () => {
  test.each([
    [
      "catalog/planted.ts",
      'import { validateEntry } from "./schema";\nimport { InputError } from "../lib/input-error";\n',
    ],
    [
      "components/planted.ts",
      'import { serviceTags } from "./tags";\nimport * as pulumi from "@pulumi/pulumi";\n',
    ],
    [
      "components/drone/planted.ts",
      'import { BaseImage } from "../base-image";\nimport { GitCommit } from "../github";\n',
    ],
    [
      "policy/src/rules/planted.ts",
      'import { TYPES } from "../shared";\nimport { list } from "../view";\n',
    ],
    [
      "offline/policy/planted.ts",
      'import type { PlanDocument } from "../plan/types";\nimport { RULES } from "../../policy/src/rules";\n',
    ],
    [
      "offline/plan/planted.ts",
      'import { evaluatePolicies } from "../policy/evaluate";\nimport { SECRET_MASK } from "../../policy/src/shared";\nimport { declarePlatform } from "../../program/program";\n',
    ],
    // The program maps the catalog to the components' Args: it imports both.
    [
      "program/planted.ts",
      'import { ImageCopy } from "../components/image-promotion/image-copy";\nimport { toQuartz } from "../catalog/cron";\n',
    ],
    ["program/render/planted.ts", 'import { PIPELINE_SECRETS } from "../pipeline-secrets";\n'],
    // The commands use everything.
    [
      "cli/planted.ts",
      'import { runPlan } from "../offline/plan/run";\nimport { RULES } from "../policy/src/rules";\nimport { deploy } from "../deploy/command";\n',
    ],
  ])("%s", async (file, code) => {
    expect(await violations(file, code)).toEqual([]);
  });
});

/** The .ts files of a folder, recursively (node_modules excluded). */
function tsFiles(dir: string): string[] {
  return fs.readdirSync(path.join(REPO, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return e.name === "node_modules" ? [] : tsFiles(rel);
    return e.name.endsWith(".ts") ? [rel] : [];
  });
}

test("the tree as it is follows every enforced direction", async () => {
  const folders = ["lib", "catalog", "program", "components", "offline", "deploy", "policy"];
  const files = folders.flatMap(tsFiles);
  expect(files.length).toBeGreaterThan(100);
  const found: string[] = [];
  for (const file of files) {
    const code = fs.readFileSync(path.join(REPO, file), "utf8");
    const [result] = await eslint.lintText(code, { filePath: path.join(REPO, file) });
    for (const m of result.messages) if (m.ruleId === RULE) found.push(`${file}:${m.line}`);
  }
  expect(found).toEqual([]);
});

test("lib/ holds only leaf utilities and the folders of the layout exist", () => {
  expect(fs.readdirSync(path.join(REPO, "lib")).sort()).toEqual([
    "input-error.ts",
    "plural.ts",
    "project-root.ts",
  ]);
  for (const folder of ["catalog", "program", "components", "offline", "deploy", "cli", "policy"]) {
    expect(fs.statSync(path.join(REPO, folder)).isDirectory()).toBe(true);
  }
});
