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

const DOMAIN =
  "lib/catalog is the domain: it uses nothing of the program, the components, rendering, the plan, the policies or the tools (import direction: eslint.config.js).";
const COMPONENTS =
  "components take only their Args: they use nothing of lib/ (the catalog, the program, rendering, settings, names, the plan, the policies) or the tools (import direction: eslint.config.js).";

describe("a wrong-way import fails the lint", () => {
  test("the catalog importing the plan engine", async () => {
    expect(
      await violations("lib/catalog/planted.ts", 'import { runPlan } from "../plan/run";\n'),
    ).toEqual([`'../plan/run' import is restricted from being used by a pattern. ${DOMAIN}`]);
  });

  test("the same import as a type import and as a re-export", async () => {
    const code =
      'import type { PlanDocument } from "../plan/types";\nexport { runPlan } from "../plan/run";\n';
    expect(await violations("lib/catalog/planted.ts", code)).toHaveLength(2);
  });

  test("a component importing a command-line entry point, from a nested folder", async () => {
    const [message] = await violations(
      "components/drone/planted.ts",
      'import { main } from "../../cli/plan";\n',
    );
    expect(message).toContain("components take only their Args");
  });

  test("a component importing the program or the policies", async () => {
    const code =
      'import { declarePlatform } from "../lib/program";\nimport { RULES } from "../lib/policy/rules";\n';
    expect(await violations("components/planted.ts", code)).toHaveLength(2);
  });

  test("a component importing the catalog's types: the components rule, with its message", async () => {
    expect(
      await violations(
        "components/planted.ts",
        'import { ResolvedService } from "../lib/catalog/types";\n',
      ),
    ).toEqual([
      `'../lib/catalog/types' import is restricted from being used by a pattern. ${COMPONENTS}`,
    ]);
  });

  test("a component importing any lib/ module: settings, names, rendering, the pipeline secrets, the project root", async () => {
    const code = [
      'import { StackSettings } from "../../lib/settings";',
      'import { effectiveNames } from "../../lib/names";',
      'import { renderAirflowDag } from "../../lib/render";',
      'import type { PipelineSecretKey } from "../../lib/pipeline-secrets";',
      'export { PROJECT_ROOT } from "../../lib/project-root";',
      "",
    ].join("\n");
    const found = await violations("components/drone/planted.ts", code);
    expect(found).toHaveLength(5);
    for (const message of found) expect(message).toContain(COMPONENTS);
    // A component's own folder, a sibling's and the SDKs stay allowed beside them.
    expect(
      await violations(
        "components/drone/planted.ts",
        'import { serviceTags } from "../tags";\nimport { GitCommit } from "../github";\nimport * as aws from "@pulumi/aws";\n',
      ),
    ).toEqual([]);
  });

  test("the catalog importing a component, rendering or the program's mapping", async () => {
    const code = [
      'import { visibilityProblem } from "../../components/github/features";',
      'import { airflowDagKey } from "../render/airflow";',
      'import { MlService } from "../service";',
      'import { imageSource } from "../delivery";',
      "",
    ].join("\n");
    const found = await violations("lib/catalog/planted.ts", code);
    expect(found).toHaveLength(4);
    for (const message of found) expect(message).toContain("lib/catalog is the domain");
  });

  test("rendering importing the program's mapping", async () => {
    const [message] = await violations(
      "lib/render/planted.ts",
      'import { pipelineSecrets } from "../service";\n',
    );
    expect(message).toContain("rendering works from the catalog alone");
  });

  test("the policy pack importing anything outside policy/", async () => {
    const code =
      'import { parseSettings } from "../../lib/settings";\nimport { x } from "../../../lib/plan/types";\n';
    const [message] = await violations("policy/src/planted.ts", code);
    expect(message).toContain("the policy pack is self-contained");
    expect(await violations("policy/src/rules/planted.ts", code)).toHaveLength(1);
  });

  test("policy evaluation importing the plan engine's internals", async () => {
    const [message] = await violations(
      "lib/policy/planted.ts",
      'import { mockOutputs } from "../plan/mock-engine";\n',
    );
    expect(message).toContain("never the plan engine's internals");
  });

  test("the plan importing the rules' internals instead of the policies' entry points", async () => {
    const code =
      'import { RULES } from "../policy/rules";\nimport { TYPES } from "../../policy/src/shared";\n';
    expect(await violations("lib/plan/planted.ts", code)).toHaveLength(2);
  });
});

describe("a legitimate import passes", () => {
  test.each([
    [
      "lib/catalog/planted.ts",
      'import { validateEntry } from "./schema";\nimport { names } from "../names";\n',
    ],
    [
      "components/planted.ts",
      'import { serviceTags } from "./tags";\nimport * as pulumi from "@pulumi/pulumi";\n',
    ],
    ["components/drone/planted.ts", 'import { BaseImage } from "../base-image";\n'],
    [
      "policy/src/rules/planted.ts",
      'import { TYPES } from "../shared";\nimport { list } from "../view";\n',
    ],
    [
      "lib/policy/planted.ts",
      'import type { PlanDocument } from "../plan/types";\nexport * from "../../policy/src/rules";\n',
    ],
    [
      "lib/plan/planted.ts",
      'import { evaluatePolicies } from "../policy/evaluate";\nimport { SECRET_MASK } from "../policy/shared";\n',
    ],
    // The program maps the catalog to the components' Args: it imports both.
    [
      "lib/planted.ts",
      'import { ImageCopy } from "../components/image-promotion/image-copy";\nimport { toQuartz } from "./catalog/cron";\n',
    ],
    // The tools beside the program use everything.
    [
      "cli/planted.ts",
      'import { runPlan } from "../lib/plan/run";\nimport { RULES } from "../lib/policy/rules";\n',
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
  const folders = [
    "lib/catalog",
    "components",
    "lib/render",
    "policy",
    "lib/policy",
    "lib/plan",
    "lib/deploy",
  ];
  const files = folders.flatMap(tsFiles);
  expect(files.length).toBeGreaterThan(50);
  const found: string[] = [];
  for (const file of files) {
    const code = fs.readFileSync(path.join(REPO, file), "utf8");
    const [result] = await eslint.lintText(code, { filePath: path.join(REPO, file) });
    for (const m of result.messages) if (m.ruleId === RULE) found.push(`${file}:${m.line}`);
  }
  expect(found).toEqual([]);
});
