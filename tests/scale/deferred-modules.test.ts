/**
 * The SDK's serializer dependencies (TypeScript, Arborist) load only when used: in a command
 * (offline/start.ts, through Node's require.cache) and in a test file (the jest setup file).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DEFERRED_MODULES, deferredModuleFile, lazyExports } from "../../offline/deferred-modules";

const ROOT = path.join(__dirname, "..", "..");
const TYPESCRIPT_VERSION = (
  JSON.parse(
    fs.readFileSync(path.join(ROOT, "node_modules", "typescript", "package.json"), "utf8"),
  ) as {
    version: string;
  }
).version;

/** Runs a script in a fresh node (no jest registry) and returns its JSON answer. */
function inNode(script: string): Record<string, unknown> {
  const out = execFileSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8" });
  return JSON.parse(out) as Record<string, unknown>;
}

const FILES = JSON.stringify(DEFERRED_MODULES.map((m) => deferredModuleFile(m)));
/**
 * Script prelude: `real()` tells, per deferred file, whether the real module is loaded (a stand-in
 * is a Proxy, checked without touching its traps, which would load it).
 */
const REAL = `const files = ${FILES};
const real = () => files.map((f) => !!require.cache[f] && !require("util").types.isProxy(require.cache[f].exports));`;

describe("deferred modules", () => {
  test("both modules resolve from the SDK's folder", () => {
    expect(DEFERRED_MODULES).toEqual(["typescript", "@npmcli/arborist"]);
    for (const request of DEFERRED_MODULES) {
      expect(deferredModuleFile(request)).toMatch(/node_modules\//);
    }
  });

  test("the SDK loads both at start when nothing defers them (what the deferral saves)", () => {
    const answer = inNode(`${REAL}
      require("@pulumi/pulumi");
      process.stdout.write(JSON.stringify({ loaded: real() }));`);
    expect(answer.loaded).toEqual([true, true]);
  });

  test("after offline/start the SDK loads neither, and a function still serializes", () => {
    const answer = inNode(`${REAL}
      require("./dist/offline/start");
      const pulumi = require("@pulumi/pulumi");
      const before = real();
      pulumi.runtime.serializeFunction(() => 42).then((s) => {
        process.stdout.write(JSON.stringify({ before, text: s.text, after: real() }));
      });`);
    expect(answer.before).toEqual([false, false]);
    // The serializer parses the function with TypeScript: first use loads the real module.
    expect(answer.text).toContain("return () => 42;");
    expect((answer.after as boolean[])[0]).toBe(true);
  });

  test("the compiled program and plan load neither; the first use loads the real module", () => {
    const dist = path.join(ROOT, "dist", "offline", "start.js");
    expect(fs.existsSync(dist)).toBe(true);
    const answer = inNode(`${REAL}
      require(${JSON.stringify(dist)});
      require("./dist/program/program");
      require("./dist/offline/plan/run");
      const before = real();
      const ts = require(files[0]);
      const version = ts.version;
      process.stdout.write(JSON.stringify({ before, version, after: real() }));`);
    expect(answer.before).toEqual([false, false]);
    // First use loads the real module, which from then on is what require returns.
    expect(answer.version).toBe(TYPESCRIPT_VERSION);
    expect(answer.after).toEqual([true, false]);
  });

  test("every command and the plan worker import offline/start before anything else", () => {
    const entries = [
      ...fs
        .readdirSync(path.join(ROOT, "cli"))
        .filter((f) => f.endsWith(".ts") && f !== "command.ts")
        .map((f) => path.join("cli", f)),
      path.join("offline", "plan", "plan-worker.ts"),
    ];
    expect(entries.length).toBeGreaterThanOrEqual(10);
    for (const entry of entries) {
      const text = fs.readFileSync(path.join(ROOT, entry), "utf8");
      const first = text.match(/^import .*$/m)?.[0];
      expect({ entry, first }).toEqual({
        entry,
        first: entry.startsWith("cli") ? 'import "../offline/start";' : 'import "../start";',
      });
    }
  });
});

describe("lazyExports", () => {
  const exportsOf = () => ({ name: "real", fn: (x: number) => x + 1 });

  test("loads nothing until a property is read, then once", () => {
    let loads = 0;
    const lazy = lazyExports(() => {
      loads++;
      return exportsOf();
    }) as Record<string, unknown>;
    expect(loads).toBe(0);
    expect(lazy.__esModule).toBe(true);
    expect(loads).toBe(0);
    expect(lazy.name).toBe("real");
    expect((lazy.fn as (x: number) => number)(1)).toBe(2);
    expect(loads).toBe(1);
  });

  test("as TypeScript's __importStar and __importDefault see it: the real exports", () => {
    const real = exportsOf();
    const lazy = lazyExports(() => real) as Record<string, unknown>;
    // tslib / tsc's helpers: a module marked __esModule is used as is.
    const importStar = (mod: Record<string, unknown>) =>
      mod && mod.__esModule ? mod : { default: mod };
    expect(importStar(lazy).name).toBe("real");
    // `import x from "cjs"` is the module itself (default), like __importDefault's { default: mod }.
    expect(importStar(lazy).default).toBe(real);
    expect(Object.keys(lazy)).toEqual(["name", "fn"]);
    expect("fn" in lazy).toBe(true);
    expect("missing" in lazy).toBe(false);
  });

  test("an own default export is answered as it is", () => {
    const lazy = lazyExports(() => ({ default: "own" })) as Record<string, unknown>;
    expect(lazy.default).toBe("own");
  });
});
