/**
 * Every npm script that runs a command of the project answers `--help`: exit 0, nothing on
 * stderr, a usage line naming the script, and every option of the usage line described in the
 * options list with its default and an example. One child process per command, two at a time;
 * the compiled commands (dist/cli/*.js) are what `npm run <script>` runs.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { runCompiled, CompiledResult } from "../helpers/compiled-run";
import { tsNodeArgs } from "../helpers/ts-child";
import { ROOT } from "./compiled";

const scripts = (
  JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  }
).scripts;

/** Scripts that run someone else's tool (compiler, linter, test runner), not a command of ours. */
const TOOL_SCRIPTS = ["build", "format", "lint", "prepare", "pretest", "test", "typecheck"];

/** How a script runs our command: a compiled one (and its first argument), or bench's TypeScript. */
interface Ours {
  script: string;
  compiled?: { name: string; args: string[] };
  typescript?: string;
}

function ours(script: string, line: string): Ours | undefined {
  const compiled = /\bnode (?:--\S+ )*dist\/cli\/([a-z-]+)\.js((?: [a-z-]+)*)$/.exec(line);
  if (compiled) {
    return {
      script,
      compiled: { name: compiled[1], args: compiled[2].split(" ").filter(Boolean) },
    };
  }
  const typescript = /\bts-node --transpile-only ((?:bench|cli)\/[a-z-/]+\.ts)$/.exec(line);
  return typescript ? { script, typescript: typescript[1] } : undefined;
}

const COMMANDS = Object.entries(scripts)
  .map(([script, line]) => ours(script, line))
  .filter((c): c is Ours => c !== undefined);

/** `node -r <loader> <entry> ...args` for a TypeScript command, as its npm script runs it. */
function runTypeScript(entry: string, args: string[]): Promise<CompiledResult> {
  return new Promise((resolve, reject) => {
    // https://nodejs.org/api/child_process.html#child_processspawncommand-args-options
    const child = spawn(process.execPath, tsNodeArgs(entry, args), {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** The flags of the usage part (up to the first blank line) of a help text. */
function usageFlags(help: string): string[] {
  const usage = help.split("\n\n")[0];
  return [...new Set([...usage.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)].map((m) => m[0]))].sort();
}

/** The described options: each an entry line (flag, description) and a default/example line. */
function describedOptions(help: string): Map<string, { description: string; details: string }> {
  const lines = help.split("\n");
  const start = lines.indexOf("options:");
  const described = new Map<string, { description: string; details: string }>();
  if (start < 0) return described;
  for (let i = start + 1; i < lines.length && lines[i] !== ""; i += 2) {
    const entry = /^ {2}(?:-h, )?(--[a-z][a-z0-9-]*|<[a-z-]+>)(?: \S+)? {2,}(\S.*)$/.exec(lines[i]);
    if (!entry) throw new Error(`not an option entry: ${JSON.stringify(lines[i])}`);
    described.set(entry[1], { description: entry[2], details: (lines[i + 1] ?? "").trim() });
  }
  return described;
}

describe("npm run <script> -- --help, for every script that runs a command of ours", () => {
  it("classifies every script: a command of ours, or a tool's", () => {
    const unclassified = Object.keys(scripts).filter(
      (s) => !TOOL_SCRIPTS.includes(s) && !COMMANDS.some((c) => c.script === s),
    );
    expect(unclassified).toEqual([]);
    const scriptsOfOurs = COMMANDS.map((c) => c.script);
    for (const script of [
      "bench",
      "catalog",
      "destroy",
      "docs",
      "new-stack",
      "plan",
      "preview",
      "refresh",
      "render",
      "rollback",
      "up",
      "validate",
    ]) {
      expect([script, scriptsOfOurs.includes(script)]).toEqual([script, true]);
    }
    for (const tool of TOOL_SCRIPTS) expect(scriptsOfOurs).not.toContain(tool);
    expect(COMMANDS.find((c) => c.script === "up")?.compiled).toEqual({
      name: "deploy",
      args: ["up"],
    });
  });

  let results: Map<string, CompiledResult>;
  beforeAll(async () => {
    // Two at a time: as fast on two cores as all at once, without a dozen processes' memory at once.
    results = new Map();
    const queue = [...COMMANDS];
    const next = async (): Promise<void> => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const result = c.compiled
          ? await runCompiled(c.compiled.name, [...c.compiled.args, "--help"])
          : await runTypeScript(c.typescript!, ["--help"]);
        results.set(c.script, result);
      }
    };
    await Promise.all([next(), next()]);
    expect([...results.keys()].sort()).toEqual(COMMANDS.map((c) => c.script).sort());
  }, 300_000);

  it.each(COMMANDS.map((c) => c.script))(
    "npm run %s -- --help: exit 0, the usage, every option described",
    (script) => {
      const { status, stdout, stderr } = results.get(script)!;
      expect([status, stderr]).toEqual([0, ""]);
      expect(stdout.startsWith(`usage: npm run ${script} -- `)).toBe(true);
      expect(stdout).toMatch(/\nexit codes: 0 [^\n]+, 2 usage error/);
      expect(stdout).toMatch(/\nexamples:\n {2}npm run /);
      const described = describedOptions(stdout);
      const flags = usageFlags(stdout);
      const options = [...described.keys()].filter((k) => k.startsWith("--")).sort();
      // Each option of the usage is described; a usage that abbreviates ("[options]") lists some.
      expect(flags.filter((f) => !options.includes(f))).toEqual([]);
      if (!stdout.split("\n\n")[0].includes("[options]")) {
        expect(options).toEqual([...flags, "--help"].sort());
      }
      expect(options).toContain("--help");
      for (const [flag, { description, details }] of described) {
        expect([flag, description.length > 3]).toEqual([flag, true]);
        expect([flag, details]).toEqual([
          flag,
          expect.stringMatching(/^default: .+; example: .+$/),
        ]);
      }
    },
  );

  it("reads an option entry and refuses a line that is not one", () => {
    const help = [
      "usage: npm run x -- [--out DIR] [--check]",
      "",
      "options:",
      "  --out DIR   where to write",
      "              default: out/; example: --out o",
      "  --check     write nothing",
      "              default: off; example: --check",
      "  -h, --help  this help",
      "              default: -; example: --help",
      "",
    ].join("\n");
    expect(usageFlags(help)).toEqual(["--check", "--out"]);
    expect([...describedOptions(help)]).toEqual([
      ["--out", { description: "where to write", details: "default: out/; example: --out o" }],
      ["--check", { description: "write nothing", details: "default: off; example: --check" }],
      ["--help", { description: "this help", details: "default: -; example: --help" }],
    ]);
    expect(() => describedOptions("options:\n  --out\n")).toThrow('not an option entry: "  --out"');
  });
});
