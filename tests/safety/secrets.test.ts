/**
 * Secrets never leak: distinctive token values are seeded into the stack config exactly as Pulumi
 * hands them to the program (secret config keys), and every output form, file, log line and error
 * message of the plan is searched for them. The mock engine must receive them only wrapped as
 * secrets.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { CatalogError } from "../../catalog/errors";
import { exitCodeFor } from "../../cli/command";
import { diffPlans } from "../../offline/plan/diff";
import { formatDiff, formatFindings, formatMarkdown, formatPlan } from "../../offline/plan/format";
import { installMockEngine, RecordedResource } from "../../offline/plan/mock-engine";
import { offlineConfig, PROJECT, runPlan } from "../../offline/plan/run";
import { tuneSdkForOfflinePlan } from "../../offline/plan/sdk-tuning";
import { declarePlatform } from "../../program/program";
import { CONFIG_NAMESPACE, SECRET_SETTING_KEYS } from "../../catalog/settings";
import { main as planMain } from "../../cli/plan";
import { main as validateMain } from "../../cli/validate";
import {
  EXAMPLES_DIR,
  projectStacks,
  tempDir,
  VALID_ENTRY,
  withLine,
  writeCatalog,
} from "./fixtures";

/** Distinctive values no code path could produce by accident. */
const SEEDS: Record<string, string> = {
  githubToken: "ghp_SEEDgithubTOKEN7f3a9c1e5b2d",
  databricksClientSecret: "dose_SEEDdatabricksSECRET4b8e2d",
  droneToken: "SEEDdroneTOKEN91c3e7a5",
};
const SEED_VALUES = Object.values(SEEDS);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const waitForRPCs: () => Promise<void> = require("@pulumi/pulumi/runtime/settings").waitForRPCs;

function leaks(text: string): string[] {
  return SEED_VALUES.filter((seed) => text.includes(seed));
}

/** Everything written to stdout, stderr and the console while the spies are installed. */
let captured = "";
const secretKeysSeen: string[][] = [];

beforeEach(() => {
  captured = "";
  const original = pulumi.runtime.setAllConfig;
  // The config runPlan computes, with the real values a stack would hold instead of placeholders.
  jest.spyOn(pulumi.runtime, "setAllConfig").mockImplementation((config, secretKeys) => {
    const seeded = { ...config };
    for (const [key, value] of Object.entries(SEEDS)) {
      const full = `${CONFIG_NAMESPACE}:${key}`;
      if (full in seeded) seeded[full] = value;
    }
    secretKeysSeen.push([...(secretKeys ?? [])]);
    original(seeded, secretKeys);
  });
  const capture = (chunk: unknown) => {
    captured += String(chunk);
    return true;
  };
  jest.spyOn(process.stdout, "write").mockImplementation(capture);
  jest.spyOn(process.stderr, "write").mockImplementation(capture);
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      captured += `${args.map(String).join(" ")}\n`;
    });
  }
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe("the seeded config", () => {
  it("marks every token key secret and the program really receives the seeded values", async () => {
    const info = projectStacks().find((s) => s.stack === "dev")!;
    const { config, secretKeys } = offlineConfig(info);
    expect(secretKeys.sort()).toEqual(
      SECRET_SETTING_KEYS.map((k) => `${CONFIG_NAMESPACE}:${k}`).sort(),
    );
    pulumi.runtime.setAllConfig(config, secretKeys);
    const output = new pulumi.Config(CONFIG_NAMESPACE).requireSecret("githubToken");
    expect(await (output as unknown as { isSecret: Promise<boolean> }).isSecret).toBe(true);
    expect(await new Promise((resolve) => output.apply(resolve))).toBe(SEEDS.githubToken);
  });
});

describe("the mock engine", () => {
  /** Plain occurrences of a seed (outside a secret wrapper) and wrapped ones, by resource. */
  function scan(recorded: RecordedResource[]): { plain: string[]; wrapped: string[] } {
    const plain: string[] = [];
    const wrapped: string[] = [];
    const walk = (value: unknown, where: string, inSecret: boolean): void => {
      if (typeof value === "string") {
        for (const seed of leaks(value)) (inSecret ? wrapped : plain).push(`${where}: ${seed}`);
        return;
      }
      if (Array.isArray(value)) return value.forEach((v, i) => walk(v, `${where}[${i}]`, inSecret));
      if (value && typeof value === "object") {
        const record = value as Record<string, unknown>;
        const secret = record[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
        for (const [k, v] of Object.entries(record)) walk(v, `${where}.${k}`, inSecret || secret);
      }
    };
    for (const r of recorded) walk(r.inputs, `${r.type} ${r.name}`, false);
    return { plain, wrapped };
  }

  /** Where the dynamic resources carry a token: each must reach the engine wrapped. */
  function dynamicTokenPaths(recorded: RecordedResource[]): string[] {
    return recorded
      .filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"))
      .map((r) => {
        const seed = r.type.includes("/github:") ? SEEDS.githubToken : SEEDS.droneToken;
        return `${r.type} ${r.name}.token.value: ${seed}`;
      });
  }

  it.each(["dev", "prod"])("receives the tokens of %s only wrapped as secrets", async (stack) => {
    const info = projectStacks().find((s) => s.stack === stack)!;
    const recorded = installMockEngine(PROJECT, stack, {
      region: info.settings.awsRegion,
      accountId: info.settings.awsAccountId,
      githubOrganization: info.settings.githubOrganization,
      keepProviderCode: true,
    });
    const { config, secretKeys } = offlineConfig(info);
    pulumi.runtime.setAllConfig(config, secretKeys);
    // As the offline plan runs the program: no stack captured per resource (inputs are the same).
    const restoreSdk = tuneSdkForOfflinePlan();
    try {
      await declarePlatform({ servicesDir: EXAMPLES_DIR });
      await waitForRPCs();
    } finally {
      restoreSdk();
    }
    const { plain, wrapped } = scan(recorded);
    expect(plain).toEqual([]);
    // The positive control: the providers did get the real values, as secrets.
    expect(wrapped).toEqual(
      expect.arrayContaining([
        `pulumi:providers:github github.token.value: ${SEEDS.githubToken}`,
        `pulumi:providers:databricks databricks.clientSecret.value: ${SEEDS.databricksClientSecret}`,
        ...dynamicTokenPaths(recorded),
      ]),
    );
    // Serialized dynamic-provider code would be stored in plain text in the state.
    const dynamic = recorded.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
    // Repository, content and CI live in each service's first environment: dev in the examples.
    expect(new Set(dynamic.map((r) => r.type))).toEqual(
      new Set(
        stack === "dev"
          ? [
              "pulumi-nodejs:dynamic/drone:Repository",
              "pulumi-nodejs:dynamic/drone:RepositorySecrets",
              "pulumi-nodejs:dynamic/github:Commit",
            ]
          : [],
      ),
    );
    for (const r of dynamic) {
      // The real serialized code, not the plan's marker.
      expect(String(r.inputs.__provider)).toContain("exports.handler");
      expect(leaks(String(r.inputs.__provider))).toEqual([]);
    }
    expect(leaks(captured)).toEqual([]);
  });
});

describe("the plan", () => {
  it.each(["dev", "prod"])("of %s shows no token in any form", async (stack) => {
    const doc = await runPlan({ stack });
    expect(secretKeysSeen.at(-1)).toEqual(
      expect.arrayContaining(Object.keys(SEEDS).map((k) => `${CONFIG_NAMESPACE}:${k}`)),
    );
    const catalog = writeCatalog({});
    for (const f of fs.readdirSync(EXAMPLES_DIR))
      fs.copyFileSync(path.join(EXAMPLES_DIR, f), path.join(catalog, f));
    fs.unlinkSync(path.join(catalog, "product-recommender.yaml"));
    const base = await runPlan({ stack, servicesDir: catalog });
    const diff = diffPlans(base, doc);
    const forms = [
      JSON.stringify(doc),
      JSON.stringify(doc, null, 2),
      formatPlan(doc),
      formatMarkdown(doc),
      formatMarkdown(doc, diff),
      formatDiff(diff),
      formatFindings(doc.findings).join("\n"),
    ];
    for (const form of forms) expect(leaks(form)).toEqual([]);
    // The secrets are there, masked: the mask proves the masking ran on them.
    const github = doc.platform.resources.find((r) => r.type === "pulumi:providers:github")!;
    expect(github.inputs.token).toBe("[secret]");
    expect(leaks(captured)).toEqual([]);
  });

  it("written by the command (stdout, stderr, --json, --markdown, --diff) shows no token", async () => {
    const out = tempDir("plan-out");
    const json = path.join(out, "plan.json");
    const markdown = path.join(out, "plan.md");
    expect(await planMain(["--stack", "prod", "--json", json])).toBe(0);
    const catalog = writeCatalog({});
    for (const f of fs.readdirSync(EXAMPLES_DIR))
      fs.copyFileSync(path.join(EXAMPLES_DIR, f), path.join(catalog, f));
    fs.unlinkSync(path.join(catalog, "demand-forecast.yaml"));
    const code = await planMain([
      "--stack",
      "prod",
      "--services",
      catalog,
      "--json",
      path.join(out, "second.json"),
      "--markdown",
      markdown,
      "--diff",
      json,
      // prod protects data: removing an entry needs the acknowledgement (tested in data-safety).
      "--allow-removal",
      "demand-forecast",
    ]);
    expect(code).toBe(0);
    expect(captured).toContain("demand-forecast: removed");
    for (const file of fs.readdirSync(out)) {
      expect(leaks(fs.readFileSync(path.join(out, file), "utf8"))).toEqual([]);
    }
    expect(fs.readdirSync(out).sort()).toEqual(["plan.json", "plan.md", "second.json"]);
    expect(leaks(captured)).toEqual([]);
  });
});

describe("the error paths", () => {
  /** Runs a command's failure through the real reporter, with process.exit stopped. */
  async function reported(run: () => unknown): Promise<number> {
    let code = -1;
    jest.spyOn(process, "exit").mockImplementation(((c?: number) => {
      code = c ?? 0;
      throw new Error("exit");
    }) as typeof process.exit);
    try {
      await run();
    } catch (error) {
      // The entry points' own reporter (runMain): exit code, one-line message on stderr.
      code = exitCodeFor(error, "usage", {
        err: (text) => void process.stderr.write(text),
        env: process.env,
      });
    }
    return code;
  }

  it("an invalid catalog reports its problems without a token", async () => {
    const dir = writeCatalog({ "churn-model.yaml": withLine(3, "team: Growth") });
    await expect(runPlan({ stack: "dev", servicesDir: dir })).rejects.toBeInstanceOf(CatalogError);
    expect(await reported(() => planMain(["--services", dir]))).toBe(1);
    expect(await reported(() => validateMain(["--services", dir]))).toBe(1);
    expect(captured).toContain('team: "Growth" is not valid');
    expect(leaks(captured)).toEqual([]);
  });

  it("an unknown stack is a usage error without a token, even with debugging on", async () => {
    process.env.MLPLATFORM_DEBUG = "1";
    try {
      expect(await reported(() => planMain(["--stack", "nope"]))).toBe(2);
      expect(captured).toContain('unknown stack "nope" (stacks: dev, prod)');
      // An unexpected failure after the config is set prints its stack under debugging.
      const dir = writeCatalog({ "churn-model.yaml": VALID_ENTRY });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const format: { formatPlan: typeof formatPlan } = require("../../offline/plan/format");
      jest.spyOn(format, "formatPlan").mockImplementation(() => {
        throw new Error("the terminal went away");
      });
      expect(await reported(() => planMain(["--services", dir]))).toBe(1);
      expect(captured).toContain(
        "error: the terminal went away\nError: the terminal went away\n    at ",
      );
    } finally {
      delete process.env.MLPLATFORM_DEBUG;
    }
    expect(leaks(captured)).toEqual([]);
  });
});
