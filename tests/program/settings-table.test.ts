/**
 * One settings table (catalog/settings.ts) yields the StackSettings type, the README's reference and
 * Pulumi.yaml's project `config:` block; every committed stack file passes the checks the Pulumi
 * CLI makes of a stack against that block (offline/project-config.ts cites them).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import * as YAML from "yaml";
import { main as docsMain } from "../../cli/docs";
import {
  matchesConfigType,
  PROJECT_CONFIG_END,
  PROJECT_CONFIG_START,
  projectConfig,
  projectConfigBlock,
  regenerateProjectFile,
  stackConfigProblems,
} from "../../offline/project-config";
import {
  asConfigText,
  CONFIG_NAMESPACE,
  parseSettings,
  SETTINGS,
  SettingsError,
} from "../../catalog/settings";
import { REPO } from "../helpers/plan";

const PROJECT_FILE = path.join(REPO, "Pulumi.yaml");
const projectText = () => fs.readFileSync(PROJECT_FILE, "utf8");
const STACK_FILES = fs
  .readdirSync(path.join(REPO, "stacks"))
  .filter((f) => /^Pulumi\.[a-z0-9]+\.yaml$/.test(f))
  .sort();

function stackConfig(file: string): Record<string, unknown> {
  return (
    YAML.parse(fs.readFileSync(path.join(REPO, "stacks", file), "utf8")) as {
      config: Record<string, unknown>;
    }
  ).config;
}

describe("the StackSettings type", () => {
  // The type as the compiler sees it: one property per plain setting, plus the stack's name.
  const program = ts.createProgram([path.join(REPO, "catalog", "settings.ts")], {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    noEmit: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(path.join(REPO, "catalog", "settings.ts"))!;
  const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(source)!);
  const symbol = exported.find((s) => s.name === "StackSettings")!;
  const type = checker.getDeclaredTypeOfSymbol(symbol);
  const properties = Object.fromEntries(
    checker
      .getPropertiesOfType(type)
      .map((p) => [p.name, checker.typeToString(checker.getTypeOfSymbolAtLocation(p, source))]),
  );

  it("compiles: catalog/settings.ts has no type error", () => {
    expect(ts.getPreEmitDiagnostics(program, source).map((d) => d.messageText)).toEqual([]);
  });

  it("is mapped from the table, with no hand-kept list of its keys", () => {
    expect(ts.isTypeAliasDeclaration(symbol.declarations![0])).toBe(true);
    const text = source.getFullText();
    for (const s of SETTINGS)
      expect([s.key, new RegExp(`^\\s+${s.key}\\??:`, "m").test(text)]).toEqual([s.key, false]);
  });

  it("has exactly the plain settings of the table and stack, no secret", () => {
    const plain = SETTINGS.filter((s) => !s.secret).map((s) => s.key);
    expect(Object.keys(properties).sort()).toEqual(["stack", ...plain].sort());
    expect(plain).toHaveLength(35);
    for (const secret of ["githubToken", "databricksClientSecret", "droneToken"]) {
      expect(properties[secret]).toBeUndefined();
    }
  });

  it("types each setting from its table type, and its allowed values as a union", () => {
    const expected: Record<string, string> = {
      string: "string",
      integer: "number",
      boolean: "boolean",
      "string-list": "string[]",
      "string-map": "Record<string, string>",
    };
    for (const s of SETTINGS.filter((x) => !x.secret)) {
      const shown = properties[s.key];
      if (s.allowed) {
        expect(shown.split(" | ").sort()).toEqual(s.allowed.map((a) => `"${a}"`).sort());
      } else {
        expect([s.key, shown]).toEqual([s.key, expected[s.type]]);
      }
    }
    expect(properties.stack).toBe("string");
    expect(properties.githubPlan.split(" | ").sort()).toEqual(['"enterprise"', '"free"', '"team"']);
    expect(properties.orchestrator.split(" | ").sort()).toEqual(['"airflow"', '"databricks"']);
    expect(properties.servicePrincipalSecretDays).toBe("number");
    expect(properties.shardTeams).toBe("string[]");
    expect(properties.accountTags).toBe("Record<string, string>");
  });
});

describe("Pulumi.yaml's project config block", () => {
  it("is up to date with catalog/settings.ts (run npm run docs)", () => {
    const text = projectText();
    expect(regenerateProjectFile(text)).toBe(text);
    expect(text).toContain(`\n${projectConfigBlock()}\n`);
  });

  it("declares every plain setting without the namespace, in the table's order, and no secret", () => {
    const declared = (YAML.parse(projectText()) as { config: Record<string, unknown> }).config;
    expect(declared).toEqual(projectConfig());
    expect(Object.keys(declared)).toEqual(SETTINGS.filter((s) => !s.secret).map((s) => s.key));
    for (const key of Object.keys(declared)) expect(key).not.toContain(":");
    for (const secret of ["githubToken", "databricksClientSecret", "droneToken"]) {
      expect(declared[secret]).toBeUndefined();
    }
  });

  it("gives each key its Pulumi type, description and default", () => {
    const config = projectConfig();
    expect(config.environment).toEqual({
      type: "string",
      description:
        "Environment this stack deploys (services list it in environments). Several stacks may share one environment when it is sharded.",
    });
    expect(config.servicePrincipalSecretDays).toMatchObject({ type: "integer", default: 90 });
    expect(config.servicePrincipalSecretDays.description).toMatch(/ From 14 to 730\.$/);
    expect(config.githubPlan).toMatchObject({ type: "string", default: "enterprise" });
    expect(config.githubPlan.description).toMatch(/ One of free, team, enterprise\.$/);
    expect(config.production).toMatchObject({ type: "boolean", default: false });
    expect(config.shardTeams).toMatchObject({
      type: "array",
      items: { type: "string" },
      default: [],
    });
    expect(config.accountTags).toMatchObject({ type: "object", default: {} });
    expect(config.airflowDagBucket).toMatchObject({ type: "string", default: "" });
    // Required settings have no default, so the CLI requires them in every stack.
    for (const s of SETTINGS.filter((x) => !x.secret && x.default === undefined)) {
      expect("default" in config[s.key]).toBe(false);
    }
  });

  it("uses only what Pulumi's project schema allows in a declaration", () => {
    // pulumi/pulumi sdk/go/common/workspace/project.json, $defs configTypeDeclaration
    // (additionalProperties false) and simpleConfigType.
    const allowedKeys = ["default", "description", "items", "secret", "type", "value"];
    for (const [key, declared] of Object.entries(projectConfig())) {
      expect([key, Object.keys(declared).filter((k) => !allowedKeys.includes(k))]).toEqual([
        key,
        [],
      ]);
      expect(["string", "integer", "boolean", "array", "object"]).toContain(declared.type);
      expect(declared.items === undefined).toBe(declared.type !== "array");
      expect(declared.secret).toBeUndefined();
      if (declared.default !== undefined) {
        expect(matchesConfigType(declared.type, declared.items, declared.default)).toBe(true);
      }
    }
  });

  it("names the project mlplatform, the namespace the stack files use", () => {
    expect((YAML.parse(projectText()) as { name: string }).name).toBe(CONFIG_NAMESPACE);
  });

  it("is regenerated between its markers, the rest of the file kept byte for byte", () => {
    const text = projectText();
    const before = text.slice(0, text.indexOf(PROJECT_CONFIG_START));
    const after = text.slice(text.indexOf(PROJECT_CONFIG_END) + PROJECT_CONFIG_END.length);
    const stale = `${before}${PROJECT_CONFIG_START}\nconfig:\n  old: {type: string}\n${PROJECT_CONFIG_END}${after}`;
    expect(regenerateProjectFile(stale)).toBe(text);
    expect(before).toContain("name: mlplatform\n");
    expect(before).toContain("stackConfigDir: stacks\n");
    expect(() => regenerateProjectFile("name: x\nruntime: nodejs\n")).toThrow(
      `Pulumi.yaml has no generated project-config block (a line "${PROJECT_CONFIG_START}" and a line "${PROJECT_CONFIG_END}")`,
    );
  });

  it("npm run docs -- --check fails on a stale block, names it and writes nothing", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "project-config-"));
    try {
      const project = path.join(dir, "Pulumi.yaml");
      const fresh = projectText();
      const stale = fresh.replace("    default: enterprise\n", "    default: free\n");
      expect(stale).not.toBe(fresh);
      fs.writeFileSync(project, stale);
      let out = "";
      let err = "";
      const io = [(t: string) => void (out += t), (t: string) => void (err += t)] as const;
      const readme = path.join(REPO, "README.md");
      const args = ["--readme", readme, "--project", project];
      expect(await docsMain(["--check", ...args], ...io)).toBe(1);
      expect(err).toBe(
        `error: ${project}: stale generated section: project-config (run npm run docs); nothing was written\n`,
      );
      expect(fs.readFileSync(project, "utf8")).toBe(stale);
      expect(await docsMain(args, ...io)).toBe(0);
      expect(out).toContain(`${project}: config block updated\n`);
      expect(fs.readFileSync(project, "utf8")).toBe(fresh);
      err = "";
      expect(await docsMain(["--check", ...args], ...io)).toBe(0);
      expect(err).toBe("");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("every stack file under Pulumi's project config rules", () => {
  it.each(STACK_FILES)("%s: type of every key, every required key set, no error", (file) => {
    const stack = /^Pulumi\.(.+)\.yaml$/.exec(file)![1];
    expect(
      stackConfigProblems(`stacks/${file}`, stack, projectConfig(), stackConfig(file)),
    ).toEqual([]);
  });

  it("the stacks folder holds the dev and prod stacks", () => {
    expect(STACK_FILES).toEqual(["Pulumi.dev.yaml", "Pulumi.prod.yaml"]);
  });

  const dev = () => stackConfig("Pulumi.dev.yaml");
  const check = (config: Record<string, unknown>, declared = projectConfig()) =>
    stackConfigProblems("stacks/Pulumi.dev.yaml", "dev", declared, config);

  it("reports missing required keys as the CLI does, sorted, and defaults need no value", () => {
    const config = dev();
    delete config["mlplatform:awsRegion"];
    expect(check(config)).toEqual([
      "stacks/Pulumi.dev.yaml: Stack 'dev' is missing configuration value 'awsRegion'",
    ]);
    delete config["mlplatform:namePrefix"];
    delete config["mlplatform:environment"];
    expect(check(config)).toEqual([
      "stacks/Pulumi.dev.yaml: Stack 'dev' is missing configuration values 'awsRegion', 'environment' and 'namePrefix'",
    ]);
    const defaultsOnly = dev();
    delete defaultsOnly["mlplatform:artifactRetentionDays"];
    delete defaultsOnly["mlplatform:accountTags"];
    expect(check(defaultsOnly)).toEqual([]);
  });

  it("reports a value of the wrong type, with the CLI's type names", () => {
    expect(
      check({
        ...dev(),
        "mlplatform:artifactRetentionDays": "thirty",
        "mlplatform:protectData": "yes",
        "mlplatform:shardTeams": "search",
        "mlplatform:accountTags": ["a"],
        "mlplatform:environment": { nested: "x" },
      }),
    ).toEqual([
      "stacks/Pulumi.dev.yaml: Stack 'dev' with configuration key 'accountTags' must be of type 'object'",
      "stacks/Pulumi.dev.yaml: Stack 'dev' with configuration key 'artifactRetentionDays' must be of type 'integer'",
      "stacks/Pulumi.dev.yaml: Stack 'dev' with configuration key 'environment' must be of type 'string'",
      "stacks/Pulumi.dev.yaml: Stack 'dev' with configuration key 'protectData' must be of type 'boolean'",
      "stacks/Pulumi.dev.yaml: Stack 'dev' with configuration key 'shardTeams' must be of type 'array<string>'",
    ]);
    // What the CLI accepts: integers and booleans as text, a list of strings.
    expect(
      check({
        ...dev(),
        "mlplatform:artifactRetentionDays": "30",
        "mlplatform:protectData": "true",
        "mlplatform:shardTeams": ["search"],
      }),
    ).toEqual([]);
    expect(check({ ...dev(), "mlplatform:shardTeams": ["search", 3] })).toEqual([
      "stacks/Pulumi.dev.yaml: Stack 'dev' with configuration key 'shardTeams' must be of type 'array<string>'",
    ]);
  });

  it("refuses a secret with a default, and a secret key set in plain text", () => {
    const declared = {
      ...projectConfig(),
      githubToken: { type: "string" as const, secret: true, default: "ghp_x" },
    };
    expect(check(dev(), declared)).toEqual([
      "Pulumi.yaml: config.githubToken: a secret must not have a default (plain text)",
    ]);
    const secret = { ...projectConfig(), githubToken: { type: "string" as const, secret: true } };
    expect(check({ ...dev(), "mlplatform:githubToken": "ghp_plain" }, secret)).toEqual([
      "stacks/Pulumi.dev.yaml: Stack 'dev' with configuration key 'githubToken' must be encrypted as it's secret",
    ]);
    expect(check({ ...dev(), "mlplatform:githubToken": { secure: "v1:abc" } }, secret)).toEqual([]);
    // Declared without a default, a token would be required in every committed stack file.
    expect(check(dev(), secret)).toEqual([
      "stacks/Pulumi.dev.yaml: Stack 'dev' is missing configuration value 'githubToken'",
    ]);
  });

  it("refuses an array without items and a default of the wrong type", () => {
    const declared = {
      list: { type: "array" as const },
      count: { type: "integer" as const, default: "many" },
    };
    expect(check({ "mlplatform:list": [] }, declared)).toEqual([
      "Pulumi.yaml: config.count: the default is not of type integer",
      "Pulumi.yaml: config.list: an array must declare the type of its items",
      "stacks/Pulumi.dev.yaml: Stack 'dev' with configuration key 'list' must be of type 'array'",
    ]);
  });
});

describe("the settings the program reads once the CLI has applied the project defaults", () => {
  it.each(STACK_FILES)("%s: the same as the stack file alone", (file) => {
    const stack = /^Pulumi\.(.+)\.yaml$/.exec(file)![1];
    const prefix = `${CONFIG_NAMESPACE}:`;
    const own = Object.fromEntries(
      Object.entries(stackConfig(file))
        .filter(([k]) => k.startsWith(prefix))
        .map(([k, v]) => [k.slice(prefix.length), v]),
    );
    // The engine sets each unset declared key to its default as config text
    // (pulumi/pulumi sdk/go/common/workspace/config.go createConfigValue).
    const applied: Record<string, unknown> = { ...own };
    for (const [key, declared] of Object.entries(projectConfig())) {
      if (applied[key] === undefined && declared.default !== undefined) {
        applied[key] = asConfigText(declared.default);
      }
    }
    expect(Object.keys(applied).length).toBeGreaterThan(Object.keys(own).length);
    expect(parseSettings(stack, applied, file)).toEqual(parseSettings(stack, own, file));
  });

  it("takes an empty default as none, and still refuses a wrong non-empty value", () => {
    const own = Object.fromEntries(
      Object.entries(stackConfig("Pulumi.dev.yaml"))
        .filter(([k]) => k.startsWith("mlplatform:"))
        .map(([k, v]) => [k.slice("mlplatform:".length), v]),
    );
    const settings = parseSettings(
      "dev",
      { ...own, airflowDagBucket: "", airflowPrincipal: "" },
      "f",
    );
    expect([settings.airflowDagBucket, settings.airflowPrincipal]).toEqual(["", ""]);
    expect(() => parseSettings("dev", { ...own, airflowDagBucket: "Not_A_Bucket" }, "f")).toThrow(
      SettingsError,
    );
    expect(asConfigText([])).toBe("[]");
    expect(asConfigText({})).toBe("{}");
    expect(asConfigText(false)).toBe("false");
    expect(asConfigText(90)).toBe("90");
  });
});
