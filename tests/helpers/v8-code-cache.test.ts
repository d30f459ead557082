/**
 * The code cache of the suite's jest runtime (tests/helpers/v8-code-cache.js, used by
 * code-cache-runtime.js): a second compile of the same source takes V8's stored data, data V8
 * refuses is dropped and the source still runs, and a folder other users may write to is not used.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

interface Compiled {
  fn: (...args: unknown[]) => unknown;
  cache: "hit" | "stored" | "rejected" | "off";
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { compileWithCodeCache } = require("./v8-code-cache") as {
  compileWithCodeCache: (
    source: string,
    params: string[],
    options: { filename: string },
    dir: string,
  ) => Compiled;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const jestConfig = require("../../jest.config.js") as { runtime: string };

const SOURCE = "exports.sum = a + b; function unused() { return 1; }";
const PARAMS = ["exports", "a", "b"];

const made: string[] = [];
afterAll(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function fresh(mode = 0o700): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "v8-cache-test-"));
  fs.chmodSync(dir, mode);
  made.push(dir);
  return dir;
}

function run(compiled: Compiled, a: number, b: number): unknown {
  const exports: Record<string, unknown> = {};
  compiled.fn(exports, a, b);
  return exports.sum;
}

describe("compileWithCodeCache", () => {
  it("stores the code cache on a miss and V8 takes it on the next compile of the same source", () => {
    const dir = fresh();
    const first = compileWithCodeCache(SOURCE, PARAMS, { filename: "m.js" }, dir);
    expect(first.cache).toBe("stored");
    expect(fs.readdirSync(dir)).toHaveLength(1);
    expect(fs.readdirSync(dir)[0]).toMatch(/^[0-9a-f]{64}\.v8$/);
    const second = compileWithCodeCache(SOURCE, PARAMS, { filename: "m.js" }, dir);
    expect(second.cache).toBe("hit");
    expect(run(first, 2, 3)).toBe(5);
    expect(run(second, 4, 5)).toBe(9);
  });

  it("keys entries on the source and the parameters", () => {
    const dir = fresh();
    compileWithCodeCache(SOURCE, PARAMS, { filename: "m.js" }, dir);
    const other = compileWithCodeCache(`${SOURCE}\n`, PARAMS, { filename: "m.js" }, dir);
    const params = compileWithCodeCache(SOURCE, ["exports", "b", "a"], { filename: "m.js" }, dir);
    expect([other.cache, params.cache]).toEqual(["stored", "stored"]);
    expect(fs.readdirSync(dir)).toHaveLength(3);
  });

  it("drops data V8 refuses and still compiles the source", () => {
    const dir = fresh();
    compileWithCodeCache(SOURCE, PARAMS, { filename: "m.js" }, dir);
    const [entry] = fs.readdirSync(dir);
    fs.writeFileSync(path.join(dir, entry), Buffer.from("not a code cache"));
    const compiled = compileWithCodeCache(SOURCE, PARAMS, { filename: "m.js" }, dir);
    expect(compiled.cache).toBe("rejected");
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(run(compiled, 1, 1)).toBe(2);
  });

  it("uses no folder that other users may write to", () => {
    const dir = fresh(0o777);
    const compiled = compileWithCodeCache(SOURCE, PARAMS, { filename: "m.js" }, dir);
    expect(compiled.cache).toBe("off");
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(run(compiled, 2, 2)).toBe(4);
  });

  it("throws V8's syntax error for a source that does not parse, storing nothing", () => {
    const dir = fresh();
    expect(() =>
      compileWithCodeCache("exports.x = ;", PARAMS, { filename: "bad.js" }, dir),
    ).toThrow("Unexpected token ';'");
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

test("jest.config.js runs the suite with the runtime that uses it", () => {
  expect(jestConfig.runtime).toBe("<rootDir>/tests/helpers/code-cache-runtime.js");
});
