/** The catalog page's inputs without a browser: outputs files, the script JSON, schedules, the command line. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { run, SPEC } from "../../cli/catalog-page";
import { CatalogPageError } from "../../offline/catalog-page/errors";
import { cronInWords } from "../../offline/catalog-page/model";
import {
  KnownStack,
  parseStackOutputs,
  readStackOutputs,
  splitOutputsArgument,
} from "../../offline/catalog-page/outputs";
import { jsonForScript } from "../../offline/catalog-page/safe-json";

const FIXTURES = path.join(__dirname, "fixtures");
const STACKS: KnownStack[] = [
  { stack: "dev", environment: "dev", awsAccountId: "111111111111" },
  { stack: "prod", environment: "prod", awsAccountId: "222222222222" },
];
const PROD = fs.readFileSync(path.join(FIXTURES, "prod-outputs.json"), "utf8");

/** The detail of the CatalogPageError that parsing `document` throws. */
function refusal(document: unknown, stack?: string, stacks = STACKS): string {
  const text = typeof document === "string" ? document : JSON.stringify(document);
  try {
    parseStackOutputs(text, "o.json", stack ? `${stack}=o.json` : "o.json", stack, stacks);
  } catch (e) {
    expect(e).toBeInstanceOf(CatalogPageError);
    expect((e as CatalogPageError).input).toBe("outputs");
    return (e as CatalogPageError).detail;
  }
  throw new Error("accepted");
}

function prodWith(service: Record<string, unknown>, top: Record<string, unknown> = {}): unknown {
  const doc = JSON.parse(PROD) as { services: Record<string, Record<string, unknown>> };
  return {
    ...doc,
    ...top,
    services: { "demand-forecast": { ...doc.services["demand-forecast"], ...service } },
  };
}

describe("jsonForScript", () => {
  it("escapes <, >, & and U+2028/2029 so that no markup survives, and parses back", () => {
    const value = { a: "</script><!--x-->&\u2028\u2029", b: [1, "é"] };
    const text = jsonForScript(value);
    expect(text).toBe(
      '{"a":"\\u003c/script\\u003e\\u003c!--x--\\u003e\\u0026\\u2028\\u2029","b":[1,"é"]}',
    );
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });

  it("refuses a value with no JSON form", () => {
    expect(() => jsonForScript(undefined)).toThrow("the value has no JSON form");
  });
});

describe("cronInWords", () => {
  it("reads the catalog's five-field crons, Sunday as 0 and 7", () => {
    expect(cronInWords("0 2 1 * *")).toBe("At 02:00, on day 1 of the month");
    expect(cronInWords("30 6 * * 1-5")).toBe("At 06:30, Monday through Friday");
    expect(cronInWords("0 0 * * 0")).toBe("At 00:00, only on Sunday");
    expect(cronInWords("0 0 * * 7")).toBe("At 00:00, only on Sunday");
    expect(cronInWords("@daily")).toBe("At 00:00");
  });

  it("throws on what it cannot read", () => {
    expect(() => cronInWords("61 * * * *")).toThrow();
  });
});

describe("stack outputs", () => {
  it("splits `stack=file` from a bare file", () => {
    expect(splitOutputsArgument("prod=out/prod.json")).toEqual({
      stack: "prod",
      file: "out/prod.json",
    });
    expect(splitOutputsArgument("out/prod.json")).toEqual({ file: "out/prod.json" });
    expect(splitOutputsArgument("./a=b/x.json")).toEqual({ file: "./a=b/x.json" });
  });

  it("reads the ids, finds the stack from the environment, drops secrets and other outputs", () => {
    const outputs = parseStackOutputs(PROD, "p.json", "p.json", undefined, STACKS);
    expect(outputs).toEqual({
      stack: "prod",
      file: "p.json",
      environment: "prod",
      accountId: "222222222222",
      services: {
        "demand-forecast": {
          artifactsBucket: "mlp-demand-forecast-prod-artifacts",
          batchPredictionJobId: "771122334455",
          championVersion: "7",
          ecrRepositoryUrl: "222222222222.dkr.ecr.eu-west-1.amazonaws.com/mlp/demand-forecast-prod",
          experimentId: "3141592653589793",
          predictionsBucket: "mlp-demand-forecast-prod-predictions",
          registeredModel: "ml_prod.models.demand_forecast",
          trainingJobId: "771122334400",
        },
      },
    });
    const dev = readStackOutputs(path.join(FIXTURES, "dev-outputs.json"), STACKS);
    expect(dev.stack).toBe("dev");
    // "[secret]" is what `--show-secrets=false` prints: no id to link.
    expect(dev.services["search-ranking"].trainingJobId).toBeUndefined();
    expect(dev.services["demand-forecast"]).not.toHaveProperty("managedFiles");
  });

  it("refuses what is not a stack's JSON outputs, naming the file", () => {
    expect(refusal("{not json")).toMatch(
      /^o\.json: not JSON \(.+\); give the output of `pulumi stack output --json`$/,
    );
    expect(refusal([1, 2])).toBe(
      "o.json: not a JSON object; give the output of `pulumi stack output --json`",
    );
    expect(refusal({ services: {} })).toBe(
      'o.json: no "environment" output: not the outputs of a stack of this project (index.ts exports environment, accountId and services)',
    );
    expect(refusal({ environment: "dev", services: [] })).toBe(
      'o.json: no "services" object: not the outputs of a stack of this project',
    );
    expect(refusal({ environment: "dev", services: { a: "x" } })).toBe(
      'o.json: services.a: "x" is not an object',
    );
  });

  it("refuses another stack's outputs", () => {
    expect(refusal({ environment: "staging", services: {} })).toBe(
      'o.json: environment "staging" is not the environment of any stack (stacks: dev (dev), prod (prod))',
    );
    expect(refusal(JSON.parse(PROD), "dev")).toBe(
      'o.json: environment: "prod", but stack dev deploys environment "dev": these are another stack\'s outputs',
    );
    expect(refusal(JSON.parse(PROD), "qa")).toBe(
      'o.json: no stack "qa" in stacks/ (stacks: dev, prod)',
    );
    expect(refusal(prodWith({}, { accountId: "333333333333" }))).toBe(
      'o.json: accountId: "333333333333", but stack prod deploys AWS account 222222222222 (mlplatform:awsAccountId): these are another stack\'s outputs',
    );
    expect(
      refusal(prodWith({ ecrRepositoryUrl: "333333333333.dkr.ecr.eu-west-1.amazonaws.com/mlp/x" })),
    ).toBe(
      "o.json: services.demand-forecast.ecrRepositoryUrl: account 333333333333, but stack prod deploys AWS account 222222222222",
    );
    const shards = [
      ...STACKS,
      { stack: "prod-b", environment: "prod", awsAccountId: "222222222222" },
    ];
    expect(refusal(JSON.parse(PROD), undefined, shards)).toBe(
      'o.json: environment "prod" is deployed by several stacks (prod, prod-b): name the stack, as --outputs STACK=o.json',
    );
  });

  it("refuses ids that would make links lead nowhere, naming the field and the form", () => {
    expect(refusal(prodWith({ trainingJobId: "12ab" }))).toBe(
      'o.json: services.demand-forecast.trainingJobId: "12ab" is not digits',
    );
    expect(refusal(prodWith({ experimentId: { id: 1 } }))).toBe(
      'o.json: services.demand-forecast.experimentId: {"id":1} is not a string',
    );
    expect(refusal(prodWith({ registeredModel: "demand_forecast" }))).toBe(
      'o.json: services.demand-forecast.registeredModel: "demand_forecast" is not CATALOG.SCHEMA.MODEL',
    );
    expect(refusal(prodWith({ repositoryUrl: "javascript:alert(1)" }))).toBe(
      'o.json: services.demand-forecast.repositoryUrl: "javascript:alert(1)" is not https://HOST/OWNER/REPOSITORY',
    );
    expect(refusal(prodWith({ championVersion: "0" }))).toBe(
      'o.json: services.demand-forecast.championVersion: "0" is not a model version number',
    );
    expect(refusal(prodWith({}, { databricksHost: "http://dbc" }))).toBe(
      'o.json: databricksHost: "http://dbc" is not a workspace URL (https://HOST)',
    );
  });

  it("names a missing file and how to write it", () => {
    expect(() => readStackOutputs("prod=/nonexistent/p.json", STACKS)).toThrow(
      "/nonexistent/p.json: no such file; write it with `pulumi stack output --json --show-secrets=false --stack STACK > /nonexistent/p.json`",
    );
  });
});

describe("npm run catalog", () => {
  async function catalog(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const code = await run(argv, {
      out: (t) => void (out += t),
      err: (t) => void (err += t),
      env: {},
    });
    return { code, out, err };
  }
  const usage =
    "usage: npm run catalog -- --out DIR [--stack STACK] [--outputs [STACK=]FILE] [--services DIR] (--help: details)";

  it("--help and -h list each option with its default and an example, exit 0", async () => {
    for (const flag of ["--help", "-h"]) {
      const { code, out, err } = await catalog([flag, "--bogus"]);
      expect(code).toBe(0);
      expect(err).toBe("");
      const lines = out.split("\n");
      for (const [name, option] of Object.entries(SPEC.options)) {
        const at = lines.findIndex((l) => l.startsWith(`  --${name} ${option.value}`));
        expect(at).toBeGreaterThan(0);
        expect(lines[at]).toContain(option.description);
        expect(lines[at + 1].trim()).toBe(`default: ${option.default}; example: ${option.example}`);
      }
      expect(out).toContain(
        "default: none: planned names, no links; example: --outputs prod=prod-outputs.json",
      );
      expect(out).toContain("  npm run catalog -- --out out/catalog\n");
    }
  });

  it("refuses a wrong command line with exit 2, the flag and the usage", async () => {
    expect(await catalog(["--bogus"])).toEqual({
      code: 2,
      out: "",
      err: `error: Unknown option '--bogus'\n${usage}\n`,
    });
    expect(await catalog([])).toEqual({
      code: 2,
      out: "",
      err: `error: --out is required (e.g. --out out/catalog)\n${usage}\n`,
    });
    expect((await catalog(["--out", "x", "--stack", "dev", "--stack", "prod"])).err).toBe(
      `error: --stack given twice\n${usage}\n`,
    );
    expect((await catalog(["--out", "x", "extra"])).code).toBe(2);
  });

  it("maps the page's own errors to the option they came from, with no stack trace", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "catalog-cli-"));
    const unknown = await catalog(["--out", out, "--stack", "qa"]);
    expect(unknown).toEqual({
      code: 2,
      out: "",
      err: `error: --stack qa: no such stack (stacks: dev, prod)\n${usage}\n`,
    });
    const missing = await catalog(["--out", out, "--outputs", "prod=/nonexistent/p.json"]);
    expect(missing.code).toBe(2);
    expect(missing.err).toBe(
      `error: --outputs prod=/nonexistent/p.json: /nonexistent/p.json: no such file; write it with \`pulumi stack output --json --show-secrets=false --stack STACK > /nonexistent/p.json\`\n${usage}\n`,
    );
    const dev = path.join(FIXTURES, "dev-outputs.json");
    const foreign = await catalog(["--out", out, "--stack", "prod", "--outputs", dev]);
    expect(foreign.err).toBe(
      `error: --outputs ${dev}: ${dev}: outputs of stack dev, which this page does not show (--stack prod)\n${usage}\n`,
    );
    const twice = await catalog(["--out", out, "--outputs", dev, "--outputs", `dev=${dev}`]);
    expect(twice.err).toBe(
      `error: --outputs dev=${dev}: ${dev}: a second outputs file for stack dev (the first: ${dev})\n${usage}\n`,
    );
    for (const r of [unknown, missing, foreign, twice]) expect(r.err).not.toMatch(/\n\s+at /);
    expect(fs.readdirSync(out)).toEqual([]);
  });
});
