/**
 * The precompiled commands: every npm script of a command runs dist/cli/<command>.js after
 * cli/build-if-stale.js, which rebuilds when any source is newer than the last build or has no
 * output; nothing compiled to dist/ finds the project's files from its own folder.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "./compiled";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { staleness } = require("../../cli/build-if-stale.js") as {
  staleness: (root: string) => string | undefined;
};

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  scripts: Record<string, string>;
};

describe("npm scripts", () => {
  const commands: Record<string, string> = {
    plan: "node --max-semi-space-size=128 --single-threaded-gc dist/cli/plan.js",
    validate: "node dist/cli/validate.js",
    render: "node dist/cli/render.js",
    docs: "node dist/cli/docs.js",
    preview: "node dist/cli/deploy.js preview",
    up: "node dist/cli/deploy.js up",
    refresh: "node dist/cli/deploy.js refresh",
    destroy: "node dist/cli/deploy.js destroy",
    "new-stack": "node dist/cli/new-stack.js",
    catalog: "node dist/cli/catalog-page.js",
    rollback: "node dist/cli/rollback.js",
  };

  it.each(Object.entries(commands))(
    "%s runs the compiled command after the freshness check",
    (name, command) => {
      expect(pkg.scripts[name]).toBe(`node cli/build-if-stale.js && ${command}`);
      const source = command.split(" ").find((w) => w.startsWith("dist/"))!;
      expect(
        fs.existsSync(path.join(ROOT, source.slice("dist/".length).replace(/\.js$/, ".ts"))),
      ).toBe(true);
    },
  );

  it("build compiles with tsconfig.build.json into dist/ (gitignored), and npm ci runs it", () => {
    expect(pkg.scripts.build).toBe(
      "tsc -p tsconfig.build.json && node packages/dynamic-providers/build.js && node cli/build-if-stale.js --stamp",
    );
    expect(pkg.scripts.prepare).toBe("npm run build");
    const config = JSON.parse(fs.readFileSync(path.join(ROOT, "tsconfig.build.json"), "utf8")) as {
      extends: string;
      compilerOptions: { outDir: string; rootDir: string };
      include: string[];
    };
    expect(config.extends).toBe("./tsconfig.json");
    expect(config.compilerOptions).toMatchObject({ outDir: "dist", rootDir: "." });
    expect(config.include).toEqual([
      "index.ts",
      "lib/**/*.ts",
      "catalog/**/*.ts",
      "program/**/*.ts",
      "components/**/*.ts",
      "offline/**/*.ts",
      "deploy/**/*.ts",
      "cli/**/*.ts",
    ]);
    // The staleness check watches exactly the folders the build compiles.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(require("../../cli/build-if-stale.js").SOURCE_DIRS).toEqual([
      "lib",
      "catalog",
      "program",
      "components",
      "offline",
      "deploy",
      "cli",
    ]);
    const ignored = fs.readFileSync(path.join(ROOT, ".gitignore"), "utf8").split("\n");
    expect(ignored).toContain("dist/");
    expect(ignored).toContain("packages/dynamic-providers/lib/");
    // pulumi up keeps running index.ts through Pulumi's TypeScript support.
    expect(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")).toMatch(
      /^runtime:\s*\n?\s*(name: )?nodejs/m,
    );
  });
});

describe("cli/build-if-stale.js", () => {
  let root: string;
  const write = (file: string, mtime: number) => {
    const full = path.join(root, file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, "x");
    fs.utimesSync(full, mtime, mtime);
  };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "build-if-stale-"));
    write("package.json", 1000);
    write("index.ts", 1000);
    write("lib/a.ts", 1000);
    write("components/b/c.ts", 1000);
    write("cli/d.ts", 1000);
    write("lib/types.d.ts", 1000);
    for (const out of ["index.js", "lib/a.js", "components/b/c.js", "cli/d.js"]) {
      write(`dist/${out}`, 2000);
    }
    write("dist/.built", 2000);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("is fresh when every source is older than the last build and has its output", () => {
    expect(staleness(root)).toBeUndefined();
  });

  it("rebuilds after a source edit, a new source, a tsconfig or package.json change, or none yet", () => {
    write("components/b/c.ts", 3000);
    expect(staleness(root)).toBe("sources changed since the last build");
    write("components/b/c.ts", 1000);
    write("tsconfig.json", 3000);
    expect(staleness(root)).toBe("sources changed since the last build");
    fs.rmSync(path.join(root, "tsconfig.json"));
    write("package.json", 3000);
    expect(staleness(root)).toBe("sources changed since the last build");
    write("package.json", 1000);
    write("lib/new.ts", 1000);
    expect(staleness(root)).toBe("not compiled yet: lib/new.ts");
    fs.rmSync(path.join(root, "lib/new.ts"));
    expect(staleness(root)).toBeUndefined();
    fs.rmSync(path.join(root, "dist/.built"));
    expect(staleness(root)).toBe("never built");
  });

  it("ignores what the commands do not run: tests, the benchmark, declaration files", () => {
    write("tests/x.test.ts", 3000);
    write("bench/run.ts", 3000);
    write("lib/types.d.ts", 3000);
    expect(staleness(root)).toBeUndefined();
  });
});

// eslint-disable-next-line @typescript-eslint/no-require-imports
const providerPackage = require("../../packages/dynamic-providers/build.js") as {
  staleness: (root: string) => string | undefined;
  staleFiles: (root: string) => string[];
  packageSources: (root: string) => string[];
};

describe("the provider package's build (packages/dynamic-providers/build.js)", () => {
  let root: string;
  const write = (file: string, text: string, mtime = 1000) => {
    const full = path.join(root, file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, text);
    fs.utimesSync(full, mtime, mtime);
  };
  const lib = (file = "") => path.join(root, "packages", "dynamic-providers", "lib", file);
  /** Runs `code` in a plain node child (the build loads typescript, which the sandbox need not). */
  const node = (code: string) =>
    spawnSync(process.execPath, ["-e", code], { cwd: root, encoding: "utf8" });

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "provider-package-build-"));
    write(
      "components/provider-package.ts",
      'import type { T } from "./types";\nimport { a } from "./drone/a";\nexport const p = (): T => a;\n',
    );
    write("components/drone/a.ts", 'export { b as a } from "../b";\n');
    write("components/b.ts", "export const b = 1;\n");
    write("components/types.ts", "export type T = number;\n");
    write("components/unrelated.ts", "export const u = 2;\n");
    // The build script and the staleness check, as they sit in the project, with its node_modules.
    for (const file of ["cli/build-if-stale.js", "packages/dynamic-providers/build.js"]) {
      write(file, fs.readFileSync(path.join(ROOT, file), "utf8"));
    }
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(root, "node_modules"));
    // dist/ is fresh: cli/build-if-stale.js builds only the package.
    write("tsconfig.build.json", JSON.stringify({ include: ["components/**/*.ts"] }));
    for (const f of ["provider-package", "drone/a", "b", "types", "unrelated"]) {
      write(`dist/components/${f}.js`, "", 2000);
    }
    write("dist/.built", "", 2000);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("holds exactly the modules the entry loads, not type-only imports", () => {
    expect(providerPackage.packageSources(root)).toEqual([
      "provider-package.ts",
      path.join("drone", "a.ts"),
      "b.ts",
    ]);
    write("components/b.ts", 'export { x as b } from "../lib/x";\n');
    expect(() => providerPackage.packageSources(root)).toThrow(
      "packages/dynamic-providers/build.js: lib/x.ts is outside components/: a dynamic provider may import only components/ modules (or node built-ins)",
    );
    // Before every command: the message alone, exit 1, nothing built.
    const refused = spawnSync(process.execPath, ["cli/build-if-stale.js"], {
      cwd: root,
      encoding: "utf8",
    });
    expect([refused.status, refused.stderr]).toEqual([
      1,
      expect.stringContaining(
        "error: packages/dynamic-providers/build.js: lib/x.ts is outside components/: a dynamic provider may import only components/ modules (or node built-ins)\n",
      ),
    ]);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(lib())).toBe(false);
    write("components/b.ts", 'export { x as b } from "./gone";\n');
    expect(() => providerPackage.packageSources(root)).toThrow(
      "packages/dynamic-providers/build.js: components/b.ts imports components/gone.ts, which does not exist",
    );
  });

  it("cli/build-if-stale.js builds lib/ when never built or a source changed, and only then", () => {
    expect(providerPackage.staleness(root)).toBe("never built");
    const run = () => node('require("./cli/build-if-stale.js")');
    const runMain = () =>
      spawnSync(process.execPath, ["cli/build-if-stale.js"], { cwd: root, encoding: "utf8" });
    // Loaded as a module (the suite's helpers do), it builds nothing.
    expect(run().status).toBe(0);
    expect(fs.existsSync(lib())).toBe(false);
    let out = runMain();
    expect(out.stderr).toBe("never built: building packages/dynamic-providers/lib...\n");
    expect(out.status).toBe(0);
    expect(fs.readdirSync(lib()).sort()).toEqual([
      ".built",
      "b.js",
      "drone",
      "provider-package.js",
    ]);
    expect(fs.readFileSync(lib("drone/a.js"), "utf8")).toBe(
      '// Generated by packages/dynamic-providers/build.js from components/drone/a.ts: do not edit.\n"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\nexports.a = void 0;\nvar b_1 = require("../b");\nObject.defineProperty(exports, "a", { enumerable: true, get: function () { return b_1.b; } });\n',
    );
    expect(
      node('console.log(require("./packages/dynamic-providers/lib/provider-package.js").p())')
        .stdout,
    ).toBe("1\n");
    expect(providerPackage.staleness(root)).toBeUndefined();
    expect(providerPackage.staleFiles(root)).toEqual([]);
    // Fresh: nothing is done.
    out = runMain();
    expect(out.stderr).toBe("");
    // A module the package does not load changes nothing; one it loads rebuilds.
    const later = Date.now() / 1000 + 60;
    write("components/unrelated.ts", "export const u = 3;\n", later);
    expect(providerPackage.staleness(root)).toBeUndefined();
    write("components/b.ts", "export const b = 4;\n", later);
    expect(providerPackage.staleness(root)).toBe("sources changed since the last build");
    expect(providerPackage.staleFiles(root)).toEqual(["b.js"]);
    // (dist/ is stale now too; its tsc is not what this test runs.)
    expect(node('require("./packages/dynamic-providers/build.js").build()').status).toBe(0);
    expect(
      node('console.log(require("./packages/dynamic-providers/lib/provider-package.js").p())')
        .stdout,
    ).toBe("4\n");
    write("components/b.ts", "export const b = 4;\n", 1000);
    expect(providerPackage.staleness(root)).toBeUndefined();
    // An output removed or a stray file: named.
    fs.rmSync(lib("drone/a.js"));
    expect(providerPackage.staleness(root)).toBe("not built yet: drone/a.ts");
    write("packages/dynamic-providers/lib/stray.js", "");
    expect(providerPackage.staleFiles(root)).toEqual(["drone/a.js", "stray.js"]);
  });
});

describe("paths of the compiled commands", () => {
  /** Files compiled to dist/ that use __dirname (their folder differs once compiled). */
  function dirnameUsers(dir: string): string[] {
    const found: string[] = [];
    for (const d of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, d.name);
      if (d.isDirectory()) found.push(...dirnameUsers(rel));
      else if (
        d.name.endsWith(".ts") &&
        /\b__dirname\b/.test(fs.readFileSync(path.join(ROOT, rel), "utf8"))
      ) {
        found.push(rel);
      }
    }
    return found;
  }

  it("only lib/project-root.ts resolves project files from __dirname; the rest from PROJECT_ROOT", () => {
    expect(
      ["cli", "lib", "catalog", "program", "components", "offline", "deploy"]
        .flatMap(dirnameUsers)
        .sort(),
    ).toEqual([
      // Writes the generated entry types beside itself; run from its source only, by
      // scripts/gen-entry-types.ts (ts-node), never by a compiled command.
      "catalog/entry-types.ts",
      "lib/project-root.ts",
    ]);
    expect(fs.readFileSync(path.join(ROOT, "index.ts"), "utf8")).not.toMatch(/\b__dirname\b/);
  });

  it("PROJECT_ROOT is the folder of package.json, from the sources and from dist/", async () => {
    const { findProjectRoot, PROJECT_ROOT } = await import("../../lib/project-root");
    expect(PROJECT_ROOT).toBe(ROOT);
    expect(findProjectRoot(path.join(ROOT, "dist", "lib"))).toBe(ROOT);
    expect(findProjectRoot(path.join(ROOT, "dist", "components", "image-promotion"))).toBe(ROOT);
    expect(() => findProjectRoot(os.tmpdir())).toThrow(`no package.json above ${os.tmpdir()}`);
  });
});
