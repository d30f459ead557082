import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { diffPlans } from "../../offline/plan/diff";
import { formatMarkdown, formatPlan } from "../../offline/plan/format";
import { runPlan, SECRET_MASK } from "../../offline/plan/run";
import { examplePlan } from "../helpers/example-plans";
import { copyOfExamples, one, service } from "../helpers/plan";
import { CompiledResult, runCompiled } from "../helpers/compiled-run";

describe("the offline plan", () => {
  it("lists every example service deployed to each stack, and only those", async () => {
    const dev = await examplePlan("dev");
    const prod = await examplePlan("prod");
    expect(dev.services.map((s) => s.name)).toEqual([
      "demand-forecast",
      "product-recommender",
      "search-ranking",
    ]);
    expect(prod.services.map((s) => s.name)).toEqual(["demand-forecast", "product-recommender"]);
    expect(prod.environment).toBe("prod");
    expect(dev.project).toBe("mlplatform");
  });

  it("has the documented JSON shape", async () => {
    const doc = await examplePlan("dev");
    expect(Object.keys(doc).sort()).toEqual([
      "environment",
      "findings",
      "imports",
      "platform",
      "project",
      "retained",
      "services",
      "stack",
      "summary",
    ]);
    const s = service(doc, "search-ranking");
    expect(s).toMatchObject({
      team: "search",
      file: "services/search-ranking.yaml",
      template: "sklearn",
    });
    expect(s.digest).toMatch(/^[0-9a-f]{64}$/);
    for (const r of [...doc.platform.resources, ...s.resources]) {
      expect(Object.keys(r).sort()).toEqual(
        expect.arrayContaining([
          "custom",
          "inputs",
          "name",
          "protect",
          "retainOnDelete",
          "type",
          "urn",
        ]),
      );
      expect(r.urn).toMatch(/^urn:pulumi:dev::mlplatform::/);
    }
    const bucket = one(s, "aws:s3/bucket:Bucket", "-artifacts");
    expect(bucket.type).toBe("aws:s3/bucket:Bucket");
    expect(bucket.inputs.bucket).toBe("mlp-search-ranking-dev-artifacts");
    // Summary counts cloud resources, not components.
    const custom = [...doc.platform.resources, ...doc.services.flatMap((x) => x.resources)].filter(
      (r) => r.custom,
    );
    expect(doc.summary).toEqual({ services: 3, resources: custom.length });
  });

  it("masks every secret value", async () => {
    const doc = await examplePlan("dev");
    const text = JSON.stringify(doc);
    expect(text).not.toContain("offline-placeholder");
    expect(text).not.toContain("mock-oauth-secret");
    const s = service(doc, "product-recommender");
    expect(one(s, "databricks:index/secret:Secret").inputs.stringValue).toBe(SECRET_MASK);
    const github = doc.platform.resources.find((r) => r.type === "pulumi:providers:github")!;
    expect(github.inputs.token).toBe(SECRET_MASK);
    const databricks = doc.platform.resources.find(
      (r) => r.type === "pulumi:providers:databricks",
    )!;
    expect(databricks.inputs.clientSecret).toBe(SECRET_MASK);
    expect(formatPlan(doc) + formatMarkdown(doc)).not.toContain("offline-placeholder");
  });

  it("is deterministic: two runs give byte-identical JSON", async () => {
    // The file's shared plan (made by an earlier test) against a fresh run.
    const a = JSON.stringify(await examplePlan("prod"));
    const b = JSON.stringify(await runPlan({ stack: "prod" }));
    expect(a).toBe(b);
  });

  it("--diff reports exactly the service and input whose schedule changed", async () => {
    const dir = copyOfExamples();
    const base = await runPlan({ stack: "dev", servicesDir: dir });
    const file = path.join(dir, "product-recommender.yaml");
    fs.writeFileSync(
      file,
      fs.readFileSync(file, "utf8").replace('schedule: "0 3 * * 1"', 'schedule: "0 4 * * 1"'),
    );
    const current = await runPlan({ stack: "dev", servicesDir: dir });
    const diff = diffPlans(base, current);
    const touched = diff.groups.filter((g) => g.status !== "unchanged");
    expect(touched.map((g) => g.name)).toEqual(["product-recommender"]);
    expect(touched[0].added).toEqual([]);
    expect(touched[0].removed).toEqual([]);
    expect(touched[0].changed.map((c) => [c.name, c.paths])).toEqual([
      ["product-recommender-jobs-training", ["schedule.quartzCronExpression"]],
    ]);
  });
});

describe("npm run plan (the command)", () => {
  // The compiled command, as `npm run plan` runs it; the runs that do not depend on each other
  // start together (each child mostly loads the program).
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "plan-"));
  const base = path.join(out, "p.json");
  let printed: CompiledResult;
  let usageError: CompiledResult;
  const removal = copyOfExamples();
  fs.unlinkSync(path.join(removal, "demand-forecast.yaml"));
  const removalArgs = ["--stack", "prod", "--quiet", "--services", removal, "--diff", base];
  let refused: CompiledResult;
  let allowed: CompiledResult;

  beforeAll(async () => {
    [printed, usageError] = await Promise.all([
      runCompiled("plan", [
        "--stack",
        "prod",
        "--json",
        base,
        "--markdown",
        path.join(out, "p.md"),
      ]),
      runCompiled("plan", ["--stack", "nope"]),
    ]);
    // The removal runs diff against the plan the first run wrote.
    [refused, allowed] = await Promise.all([
      runCompiled("plan", removalArgs),
      runCompiled("plan", [...removalArgs, "--allow-removal", "demand-forecast"]),
    ]);
  }, 600_000);

  it("prints each service's tree and a total, writes JSON and markdown", () => {
    expect(printed.status).toBe(0);
    expect(printed.stderr).not.toContain("Error");
    expect(printed.stdout).toContain(
      "service demand-forecast (team supply-chain, services/demand-forecast.yaml)",
    );
    expect(printed.stdout).toMatch(/Total: 2 services, \d+ resources/);
    const doc = JSON.parse(fs.readFileSync(base, "utf8"));
    expect(doc.services.map((s: { name: string }) => s.name)).toEqual([
      "demand-forecast",
      "product-recommender",
    ]);
    expect(fs.readFileSync(path.join(out, "p.md"), "utf8")).toContain(
      "### Infrastructure plan: stack `prod`",
    );
  });

  it("exits 2 on a usage error and names the problem", () => {
    expect(usageError.status).toBe(2);
    expect(usageError.stderr).toContain('unknown stack "nope" (stacks: dev, prod)');
    expect(usageError.stderr).not.toMatch(/\n\s+at /);
  });

  it("refuses an unacknowledged removal from prod, and accepts it with --allow-removal", () => {
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(
      'service "demand-forecast" is removed from protected stack prod',
    );
    expect(refused.stderr).toContain("--allow-removal demand-forecast");
    expect(allowed.status).toBe(0);
    expect(allowed.stdout).toContain("demand-forecast: removed");
  });
});
