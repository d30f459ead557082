/** The suite's loader for TypeScript commands in child processes (tests/helpers/ts-register.js). */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { tsNodeArgs } from "./ts-child";

describe("tsNodeArgs", () => {
  let dir: string;
  let cache: string;
  const run = (file: string, cacheDir = cache) =>
    spawnSync(process.execPath, tsNodeArgs(file), {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, MLPLATFORM_TS_CACHE_DIR: cacheDir },
    });

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ts-child-"));
    cache = path.join(dir, "cache");
    fs.writeFileSync(
      path.join(dir, "lib.ts"),
      "export enum Kind { A = 2, B }\nexport const twice = (n: number): number => n * 2;\n",
    );
    fs.writeFileSync(
      path.join(dir, "main.ts"),
      'import { Kind, twice } from "./lib";\nconsole.log(twice(Kind.B));\n',
    );
    fs.writeFileSync(path.join(dir, "broken.ts"), "const x: number = ;\n");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("runs a TypeScript file and what it imports, and caches each transpiled file", () => {
    const first = run("main.ts");
    expect([first.status, first.stdout, first.stderr]).toEqual([0, "6\n", ""]);
    const cached = fs.readdirSync(cache).sort();
    expect(cached).toHaveLength(2);
    expect(cached.every((f) => /^[0-9a-f]{64}\.js$/.test(f))).toBe(true);
    // The cached text is what the compiler emits for the file, under tsconfig.json's options.
    const texts = cached.map((f) => fs.readFileSync(path.join(cache, f), "utf8"));
    const lib = fs.readFileSync(path.join(dir, "lib.ts"), "utf8");
    const expected = ts.transpileModule(lib, {
      fileName: path.join(dir, "lib.ts"),
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS },
    }).outputText;
    expect(texts).toContain(expected);

    // From the cache: same output, no new file.
    const second = run("main.ts");
    expect([second.status, second.stdout]).toEqual([0, "6\n"]);
    expect(fs.readdirSync(cache).sort()).toEqual(cached);
  });

  it("caches nothing in a folder others may write to, and still runs", () => {
    const shared = path.join(dir, "shared");
    fs.mkdirSync(shared);
    fs.chmodSync(shared, 0o777);
    const r = run("main.ts", shared);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, "6\n", ""]);
    expect(fs.readdirSync(shared)).toEqual([]);
  });

  it("refuses a file with a syntax error, naming it, and caches nothing for it", () => {
    const before = fs.readdirSync(cache).length;
    const r = run("broken.ts");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("broken.ts(1,19): error TS1109: Expression expected.");
    expect(r.stdout).toBe("");
    expect(fs.readdirSync(cache)).toHaveLength(before);
  });
});
