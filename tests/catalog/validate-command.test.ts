/**
 * `npm run validate`'s output formats: the formatter functions in-process, the argument parser,
 * and one run of the real command.
 */
import * as path from "path";
import { UsageError } from "../../cli/command";
import { parseProblem, Problem, problemText, sortProblems } from "../../catalog/errors";
import {
  escapeData,
  escapeProperty,
  formatProblems,
  githubAnnotation,
  toJsonProblems,
} from "../../catalog/report";
import { HELP, parseValidateArgs } from "../../cli/validate";
import { problemsOf, runCli, VALID_ENTRY, withLine, writeCatalog } from "../safety/fixtures";

const PROBLEMS: Problem[] = [
  {
    file: "services/churn-model.yaml",
    line: 7,
    column: 13,
    field: "training.workers",
    message: "65 is out of range (from 0 to 64)",
  },
  { file: "services/notes.txt", message: "unexpected file (entries are named <name>.yaml)" },
];

describe("formats", () => {
  it("text: one line per problem, file:line: field: message", () => {
    expect(formatProblems(PROBLEMS, "text")).toBe(
      "services/churn-model.yaml:7: training.workers: 65 is out of range (from 0 to 64)\n" +
        "services/notes.txt: unexpected file (entries are named <name>.yaml)\n",
    );
  });

  it("json: an array of {file, line, column?, field, message}", () => {
    expect(toJsonProblems(PROBLEMS)).toEqual([
      {
        file: "services/churn-model.yaml",
        line: 7,
        column: 13,
        field: "training.workers",
        message: "65 is out of range (from 0 to 64)",
      },
      {
        file: "services/notes.txt",
        line: null,
        field: "",
        message: "unexpected file (entries are named <name>.yaml)",
      },
    ]);
    expect(JSON.parse(formatProblems(PROBLEMS, "json"))).toEqual(toJsonProblems(PROBLEMS));
    expect(formatProblems([], "json")).toBe("[]\n");
  });

  it("github: one ::error command per problem", () => {
    expect(formatProblems(PROBLEMS, "github")).toBe(
      "::error file=services/churn-model.yaml,line=7,col=13,title=training.workers::65 is out of range (from 0 to 64)\n" +
        "::error file=services/notes.txt,title=catalog::unexpected file (entries are named <name>.yaml)\n",
    );
  });

  it("github: escapes data (% CR LF) and properties (also : and ,) as the runner requires", () => {
    expect(escapeData("100% done\r\nnext: a,b")).toBe("100%25 done%0D%0Anext: a,b");
    expect(escapeProperty("C:\\x,y%\n")).toBe("C%3A\\x%2Cy%25%0A");
    expect(
      githubAnnotation({
        file: "dir,a/b:c.yaml",
        line: 2,
        field: "images.dev",
        message: "a\nb % c",
      }),
    ).toBe("::error file=dir%2Ca/b%3Ac.yaml,line=2,title=images.dev::a%0Ab %25 c");
  });
});

describe("located problems", () => {
  it("read back from their one-line form, a stack setting as the field", () => {
    const lines = [
      "services/a.yaml:7: training.workers: 65 is out of range (from 0 to 64)",
      'stacks/Pulumi.dev.yaml: mlplatform:shardServices: "x" is not a service in the catalog',
      "services/notes.txt: unexpected file",
    ];
    expect(lines.map(parseProblem)).toEqual([
      {
        file: "services/a.yaml",
        line: 7,
        message: "training.workers: 65 is out of range (from 0 to 64)",
      },
      {
        file: "stacks/Pulumi.dev.yaml",
        field: "mlplatform:shardServices",
        message: '"x" is not a service in the catalog',
      },
      { file: "services/notes.txt", message: "unexpected file" },
    ]);
    expect(lines.map(parseProblem).map(problemText)).toEqual(lines);
  });

  it("sort by file, then line, whole-file problems first, otherwise in the order found", () => {
    const sorted = sortProblems([
      { file: "b.yaml", line: 2, message: "b2" },
      { file: "a.yaml", line: 9, message: "a9" },
      { file: "b.yaml", message: "b" },
      { file: "a.yaml", line: 1, message: "a1 first" },
      { file: "a.yaml", line: 1, message: "a1 second" },
    ]);
    expect(sorted.map((p) => p.message)).toEqual(["a1 first", "a1 second", "a9", "b", "b2"]);
  });
});

describe("arguments", () => {
  it("defaults to text and reads each option", () => {
    expect(parseValidateArgs([])).toEqual({
      services: undefined,
      stacks: undefined,
      format: "text",
      help: false,
    });
    expect(parseValidateArgs(["--services", "s", "--stacks=t", "--format", "github"])).toEqual({
      services: "s",
      stacks: "t",
      format: "github",
      help: false,
    });
    expect(parseValidateArgs(["-h"]).help).toBe(true);
  });

  it.each([
    [["--format", "xml"], "--format xml: expected one of text, json, github"],
    [["--colour"], "Unknown option '--colour'"],
    [["extra"], "Unexpected argument 'extra'"],
  ])("%j is a usage error", (argv, message) => {
    expect(() => parseValidateArgs(argv)).toThrow(UsageError);
    expect(() => parseValidateArgs(argv)).toThrow(message);
  });

  it("--help lists each option with its default and an example", () => {
    for (const text of [
      "--services DIR",
      "default: services/; example: --services ./my-services",
      "--stacks DIR",
      "default: stacks/; example: --stacks ./stacks",
      "--format FORMAT",
      "default: text; example: --format github",
      "-h, --help",
      "npm run validate -- --services services --format github",
    ]) {
      expect(HELP).toContain(text);
    }
  });
});

describe("npm run validate --format json", () => {
  it("prints every problem as JSON on stdout and exits 1", () => {
    const dir = writeCatalog({
      "churn-model.yaml": withLine(7, "  workers: 65", VALID_ENTRY.replace("  schedule:", "  x:")),
      "other.txt": "",
    });
    const result = runCli("validate", ["--services", dir, "--format", "json"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe("");
    const file = path.join(dir, "churn-model.yaml");
    expect(JSON.parse(result.stdout)).toEqual([
      {
        file,
        line: 7,
        column: 12,
        field: "training.workers",
        message: "65 is out of range (from 0 to 64)",
      },
      {
        file: path.join(dir, "other.txt"),
        line: null,
        field: "",
        message:
          "unexpected file (entries are named <name>.yaml; also allowed: schema.json, README.md, .gitkeep)",
      },
    ]);
    // The same problems as the in-process validation.
    expect(problemsOf(dir)).toHaveLength(2);
  });
});
