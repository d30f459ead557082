/**
 * The precompiled commands: every npm script of a command runs dist/cli/<command>.js after
 * cli/build-if-stale.js, which rebuilds when any source is newer than the last build or has no
 * output; nothing compiled to dist/ finds the project's files from its own folder.
 */
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
    plan: "node --max-semi-space-size=128 dist/cli/plan.js",
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
      "tsc -p tsconfig.build.json && node cli/build-if-stale.js --stamp",
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
    expect(fs.readFileSync(path.join(ROOT, ".gitignore"), "utf8").split("\n")).toContain("dist/");
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
