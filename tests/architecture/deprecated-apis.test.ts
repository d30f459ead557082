/**
 * A deprecated provider resource or argument fails the lint: eslint.config.js enables
 * @typescript-eslint/no-deprecated (https://typescript-eslint.io/rules/no-deprecated) on the code
 * that declares or runs infrastructure, and the rule reports a planted use of a resource and of an
 * argument that @pulumi/aws marks @deprecated, and nothing in the same code written without them.
 */
import { ESLint, Linter } from "eslint";
import * as path from "path";
import * as ts from "typescript";

const REPO = path.join(__dirname, "..", "..");
const RULE = "@typescript-eslint/no-deprecated";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const PROJECT_CONFIG: Linter.Config[] = require("../../eslint.config.js");

/** One ESLint for every configuration look-up: it resolves the configuration once. */
let configEslint: ESLint | undefined;

/** The project's configuration as ESLint computes it for `file` (no file is read). */
async function ruleFor(file: string): Promise<unknown> {
  configEslint ??= new ESLint({
    cwd: REPO,
    overrideConfigFile: true,
    overrideConfig: PROJECT_CONFIG,
  });
  const config = (await configEslint.calculateConfigForFile(
    path.join(REPO, file),
  )) as Linter.Config;
  return config.rules?.[RULE];
}

/**
 * Lints planted files (repository-relative name -> code) with the project's configuration and type
 * information from one program of those files alone (the whole project's program takes minutes
 * on a busy machine).
 */
async function lintPlanted(
  planted: Record<string, string>,
): Promise<Record<string, Linter.LintMessage[]>> {
  const byPath = new Map(Object.entries(planted).map(([f, code]) => [path.join(REPO, f), code]));
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    strict: true,
    skipLibCheck: true,
    types: [],
    // The ES library alone: the default for this target adds the DOM's declarations, which no
    // file here uses (https://www.typescriptlang.org/tsconfig/#lib).
    lib: ["lib.es2022.d.ts"],
  };
  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) => {
    const code = byPath.get(path.resolve(name));
    return code !== undefined
      ? ts.createSourceFile(name, code, language, true)
      : getSourceFile(name, language, ...rest);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => byPath.has(path.resolve(name)) || fileExists(name);
  const program = ts.createProgram({ rootNames: [...byPath.keys()], options, host });
  const eslint = new ESLint({
    cwd: REPO,
    overrideConfigFile: true,
    overrideConfig: [
      ...PROJECT_CONFIG,
      { languageOptions: { parserOptions: { projectService: false, programs: [program] } } },
    ],
    ruleFilter: ({ ruleId }) => ruleId === RULE,
  });
  const out: Record<string, Linter.LintMessage[]> = {};
  for (const [file, code] of Object.entries(planted)) {
    const [result] = await eslint.lintText(code, { filePath: path.join(REPO, file) });
    out[file] = result.messages;
  }
  return out;
}

describe("where the check runs", () => {
  test.each([
    "components/planted.ts",
    "components/drone/planted.ts",
    "program/program.ts",
    "offline/plan/planted.ts",
    "policy/src/planted.ts",
    "cli/planted.ts",
    "index.ts",
  ])("%s: an error", async (file) => {
    expect(await ruleFor(file)).toEqual([2]);
  });

  test("tests are not checked (they plant deprecated uses on purpose)", async () => {
    expect(await ruleFor("tests/architecture/planted.ts")).toBeUndefined();
  });
});

describe("a deprecated provider API in use fails the lint", () => {
  const DEPRECATED = "components/planted-deprecated.ts";
  const CURRENT = "components/planted-current.ts";
  let messages: Record<string, Linter.LintMessage[]>;
  beforeAll(async () => {
    messages = await lintPlanted({
      [DEPRECATED]: [
        'import * as s3 from "@pulumi/aws/s3";',
        "",
        'export const bucket = new s3.Bucket("b", { bucket: "mlp-b", acl: "private" });',
        'export const legacy = new s3.BucketV2("c", { bucket: "mlp-c" });',
        "",
      ].join("\n"),
      [CURRENT]: [
        'import * as s3 from "@pulumi/aws/s3";',
        "",
        'export const bucket = new s3.Bucket("b", { bucket: "mlp-b" });',
        'export const acl = new s3.BucketAcl("b-acl", { bucket: bucket.id, acl: "private" });',
        "",
      ].join("\n"),
    });
  }, 600_000);

  test("a deprecated argument and a deprecated resource are each reported, where they are", () => {
    expect(messages[DEPRECATED].map((m) => [m.ruleId, m.severity, m.line, m.message])).toEqual([
      [
        RULE,
        2,
        3,
        "`acl` is deprecated. acl is deprecated. Use the aws.s3.BucketAcl resource instead.",
      ],
      [
        RULE,
        2,
        4,
        "`BucketV2` is deprecated. s3.BucketV2 has been deprecated in favor of s3.Bucket",
      ],
    ]);
  });

  test("the same resources without them pass", () => {
    expect(messages[CURRENT]).toEqual([]);
  });
});
