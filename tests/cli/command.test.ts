/**
 * The shared command line (cli/command.ts): node's parseArgs in strict mode behind one table per
 * command, the generated --help of every command, one-line usage errors (exit 2), and the mapping
 * of library errors to exit codes. In-process, except one spawn of a compiled command.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  CommandSpec,
  exitCodeFor,
  helpText,
  parseCommandLine,
  usageLine,
  UsageError,
} from "../../cli/command";
import { CI_COMMAND } from "../../cli/ci";
import { DEPLOY_COMMANDS, OPERATIONS, runDeployCommand } from "../../cli/deploy";
import { DOCS_COMMAND, main as docsMain, staleSections } from "../../cli/docs";
import { NEW_STACK_COMMAND } from "../../cli/new-stack";
import { main as planMain, PLAN_COMMAND } from "../../cli/plan";
import { main as rollbackMain, ROLLBACK_COMMAND } from "../../cli/rollback";
import { CatalogError } from "../../catalog/errors";
import { DeployError } from "../../deploy/errors";
import { DeployInputError } from "../../deploy/input-error";
import { ChangedSinceError } from "../../offline/plan/changed-since";
import { PlanInputError } from "../../offline/plan/run";
import { regenerate } from "../../offline/reference-docs";
import { SettingsError } from "../../catalog/settings";
import { runCompiled } from "../helpers/compiled-run";
import { ROOT } from "./compiled";

const TEST_COMMAND = {
  command: "npm run example --",
  summary: "An example.",
  positionals: [
    {
      name: "<service>",
      description: "a service",
      default: "required",
      example: "churn",
      required: true,
    },
  ],
  options: {
    stack: {
      type: "string",
      value: "STACK",
      description: "the stack",
      default: "required",
      example: "--stack dev",
      required: true,
    },
    "dry-run": {
      type: "boolean",
      description: "write nothing",
      default: "off",
      example: "--dry-run",
    },
    "name-prefix": {
      type: "string",
      description: "a prefix",
      default: "mlp",
      example: "--name-prefix x",
      deprecated: ["namePrefix"],
    },
  },
  exitCodes: "0 done, 2 usage error",
  examples: ["npm run example -- churn --stack dev"],
} as const satisfies CommandSpec;

function usageError(argv: string[]): string {
  try {
    parseCommandLine(TEST_COMMAND, argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`no usage error for ${JSON.stringify(argv)}`);
}

describe("parseCommandLine", () => {
  it("parses kebab-case options, switches and positionals into typed values", () => {
    expect(
      parseCommandLine(TEST_COMMAND, ["churn", "--stack", "dev", "--dry-run", "--name-prefix=p"]),
    ).toEqual({
      values: { stack: "dev", "dry-run": true, "name-prefix": "p" },
      positionals: ["churn"],
      warnings: [],
    });
  });

  it("answers help for --help or -h anywhere before --, whatever else is wrong", () => {
    expect(parseCommandLine(TEST_COMMAND, ["--help"])).toBe("help");
    expect(parseCommandLine(TEST_COMMAND, ["--bogus", "-h"])).toBe("help");
    expect(usageError(["churn", "--stack", "dev", "--", "--help", "x"])).toBe(
      'unexpected argument "--help"',
    );
  });

  it("turns every parse error into one line naming the flag", () => {
    expect(usageError(["churn", "--stack", "dev", "--bogus"])).toBe("Unknown option '--bogus'");
    expect(usageError(["churn", "--stack"])).toBe("Option '--stack <value>' argument missing");
    expect(usageError(["churn", "--stack", "dev", "--dry-run=yes"])).toBe(
      "Option '--dry-run' does not take an argument",
    );
    expect(usageError(["churn", "--stack", "--dry-run"])).toBe(
      "Option '--stack' argument is ambiguous",
    );
    expect(usageError(["churn", "--stack", "a", "--stack", "b"])).toBe("--stack given twice");
    expect(usageError(["--stack", "dev"])).toBe("missing <service>");
    expect(usageError(["a", "b", "--stack", "dev"])).toBe('unexpected argument "b"');
    expect(usageError(["churn"])).toBe("--stack is required (e.g. --stack dev)");
    expect(usageError(["churn", "--stack", "dev", "--dryRun"])).toBe("Unknown option '--dryRun'");
  });

  it("accepts a deprecated spelling with a warning, and refuses both spellings at once", () => {
    const parsed = parseCommandLine(TEST_COMMAND, ["churn", "--stack", "dev", "--namePrefix", "p"]);
    expect(parsed).toEqual({
      values: { stack: "dev", "name-prefix": "p" },
      positionals: ["churn"],
      warnings: [
        "warning: --namePrefix is deprecated and will be removed in the next release: use --name-prefix",
      ],
    });
    expect(usageError(["churn", "--stack", "dev", "--name-prefix", "a", "--namePrefix", "b"])).toBe(
      "--name-prefix and --namePrefix are the same option (--namePrefix is its old spelling): give it once, as --name-prefix",
    );
  });
});

describe("the generated help and usage", () => {
  it("lists each positional and option with its default and example, then exit codes and examples", () => {
    expect(helpText(TEST_COMMAND)).toBe(
      [
        "usage: npm run example -- <service> --stack STACK [--dry-run] [--name-prefix VALUE]",
        "",
        "An example.",
        "",
        "options:",
        "  <service>            a service",
        "                       default: required; example: churn",
        "  --stack STACK        the stack",
        "                       default: required; example: --stack dev",
        "  --dry-run            write nothing",
        "                       default: off; example: --dry-run",
        "  --name-prefix VALUE  a prefix",
        "                       default: mlp; example: --name-prefix x",
        "  -h, --help           this help",
        "                       default: -; example: --help",
        "",
        "deprecated spellings, accepted until the next release: --namePrefix (use --name-prefix)",
        "",
        "exit codes: 0 done, 2 usage error",
        "",
        "examples:",
        "  npm run example -- churn --stack dev",
      ].join("\n"),
    );
    expect(usageLine(TEST_COMMAND)).toBe(
      "usage: npm run example -- <service> --stack STACK [--dry-run] [--name-prefix VALUE] (--help: details)",
    );
  });

  const owned: [string, CommandSpec][] = [
    ["plan", PLAN_COMMAND],
    ...OPERATIONS.map((op) => [op, DEPLOY_COMMANDS[op]] as [string, CommandSpec]),
    ["docs", DOCS_COMMAND],
    ["new-stack", NEW_STACK_COMMAND],
    ["rollback", ROLLBACK_COMMAND],
    ["ci", CI_COMMAND],
  ];
  it.each(owned)(
    "npm run %s -- --help names every option, its default and an example",
    (_n, spec) => {
      const help = helpText(spec);
      expect(help.startsWith(`usage: ${spec.command} `)).toBe(true);
      for (const [name, option] of Object.entries(spec.options)) {
        expect(name).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
        const flag = option.type === "string" ? `--${name} ${option.value}` : `--${name}`;
        expect(option.value === undefined).toBe(option.type === "boolean");
        expect(help).toContain(`\n  ${flag} `);
        expect(help).toContain(`default: ${option.default}; example: ${option.example}`);
        expect(option.example.startsWith(`--${name}`)).toBe(true);
      }
      expect(help).toContain("  -h, --help ");
      expect(help).toContain(`\nexit codes: ${spec.exitCodes}`);
      // The usage part of the help stays within 100 columns.
      const usage = help.split("\n\n")[0].split("\n");
      expect(usage.every((l) => l.length <= 100)).toBe(true);
    },
  );

  it("plan: --help answers in-process on stdout with exit 0", async () => {
    const out = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      expect(await planMain(["--stack", "nope", "--help"])).toBe(0);
      expect(out.mock.calls.map((c) => String(c[0])).join("")).toBe(`${helpText(PLAN_COMMAND)}\n`);
    } finally {
      out.mockRestore();
    }
  });

  it("rollback, docs and each deploy operation answer --help with exit 0 and nothing on stderr", async () => {
    let out = "";
    let err = "";
    expect(
      await rollbackMain(["--help"], { out: (t) => void (out += t), err: (t) => void (err += t) }),
    ).toBe(0);
    expect(out).toBe(`${helpText(ROLLBACK_COMMAND)}\n`);
    out = "";
    expect(await docsMain(["-h"], (t) => void (out += t))).toBe(0);
    expect(out).toBe(`${helpText(DOCS_COMMAND)}\n`);
    for (const op of OPERATIONS) {
      const lines: string[] = [];
      const errors: string[] = [];
      const ctx = {
        out: (l: string) => void lines.push(l),
        err: (l: string) => void errors.push(l),
        env: {},
        openWorkspace: () => Promise.reject(new Error("--help must not open a workspace")),
      } as unknown as Parameters<typeof runDeployCommand>[1];
      expect(await runDeployCommand([op, "--help"], ctx)).toBe(0);
      expect(lines).toEqual([helpText(DEPLOY_COMMANDS[op])]);
      expect(errors).toEqual([]);
    }
    expect(err).toBe("");
  });

  it("the compiled plan answers --help (stdout, exit 0) and a bad flag (one line and the usage, exit 2)", async () => {
    // The two runs overlap: each mostly loads the compiled modules.
    const [help, bad] = await Promise.all([
      runCompiled("plan", ["--help"]),
      runCompiled("plan", ["--stak", "dev"]),
    ]);
    expect([help.status, help.stdout, help.stderr]).toEqual([0, `${helpText(PLAN_COMMAND)}\n`, ""]);
    expect([bad.status, bad.stdout, bad.stderr]).toEqual([
      2,
      "",
      `error: Unknown option '--stak'\n${usageLine(PLAN_COMMAND)}\n`,
    ]);
  });
});

describe("exit codes of library errors", () => {
  const run = (error: unknown, env: Record<string, string> = {}) => {
    let text = "";
    const code = exitCodeFor(error, "usage: x", { err: (t) => void (text += t), env });
    return [code, text];
  };

  it("maps wrong inputs to 2 with the usage line, user problems to 1, never a stack trace", () => {
    expect(run(new PlanInputError('unknown stack "x"'))).toEqual([
      2,
      'error: unknown stack "x"\nusage: x\n',
    ]);
    expect(run(new ChangedSinceError('unknown git ref "y"'))[0]).toBe(2);
    expect(run(new DeployInputError("--local and PULUMI_BACKEND_URL"))[0]).toBe(2);
    expect(run(new UsageError("--x given twice"))[0]).toBe(2);
    expect(run(new CatalogError(["a.yaml:1: name: bad"]))).toEqual([
      1,
      "error: the catalog or stack settings are invalid (1 problem); nothing was planned:\na.yaml:1: name: bad\n",
    ]);
    expect(run(new SettingsError(["s: x", "s: y"]))[1]).toContain("(2 problems)");
    expect(run(new DeployError(["one", "two"]))).toEqual([1, "error: one\ntwo\n"]);
    expect(run(new Error("boom"))).toEqual([1, "error: boom\n"]);
    expect(run(new Error("boom"), { MLPLATFORM_DEBUG: "1" })[1]).toMatch(
      /^error: boom\nError: boom\n\s+at /,
    );
  });
});

describe("npm run docs -- --check", () => {
  it("exits 1 naming the stale sections and writes nothing; 0 when fresh", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "docs-check-"));
    try {
      const fresh = regenerate(fs.readFileSync(path.join(ROOT, "README.md"), "utf8"));
      const readme = path.join(dir, "README.md");
      const stale = fresh.replace(
        /(<!-- generated:catalog-limits -->)[\s\S]*?(<!-- \/generated:catalog-limits -->)/,
        "$1\nold table\n$2",
      );
      fs.writeFileSync(readme, stale);
      let out = "";
      let err = "";
      const io = [(t: string) => void (out += t), (t: string) => void (err += t)] as const;
      expect(await docsMain(["--check", "--readme", readme], ...io)).toBe(1);
      expect(err).toBe(
        `error: ${readme}: stale generated section: catalog-limits (run npm run docs); nothing was written\n`,
      );
      expect(fs.readFileSync(readme, "utf8")).toBe(stale);
      expect(staleSections(stale, fresh)).toEqual(["catalog-limits"]);
      fs.writeFileSync(readme, fresh);
      expect(await docsMain(["--check", "--readme", readme], ...io)).toBe(0);
      expect(out).toContain("reference tables already up to date");
      expect(await docsMain(["--help", "--readme", readme], ...io)).toBe(0);
      expect(fs.readFileSync(readme, "utf8")).toBe(fresh);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
