/**
 * Adopting what exists: an entry's `adopt` section imports exactly the resources it names, and a
 * service re-added after its removal adopts the data-bearing resources it left behind.
 */
import * as fs from "fs";
import * as path from "path";
import { previousOutputsOf } from "../../cli/plan";
import { loadCatalog } from "../../catalog/load";
import { formatMarkdown, formatPlan } from "../../offline/plan/format";
import { runPlan } from "../../offline/plan/run";
import { PlanDocument } from "../../offline/plan/types";
import { retainedAfter, retainedResourcesOf } from "../../program/program";
import { readStacks } from "../../catalog/stacks";
import { examplePlan } from "../helpers/example-plans";
import { copyOfExamples, one, service, STACKS } from "../helpers/plan";

const ADOPT = [
  "adopt:",
  "  dev:",
  "    repository: legacy-recommender",
  "    ecrRepository: legacy/recommender",
  "    artifactsBucket: acme-legacy-recommender-artifacts",
  "    trainingJob: '918273645'",
  "    batchPredictionJob: '918273646'",
  "    experiment: '5550123'",
  "    registeredModel: legacy.ml.recommender",
  "",
].join("\n");

const byText = (a: unknown, b: unknown) =>
  JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0;

function catalogWith(file: string, extra: string): string {
  const dir = copyOfExamples();
  fs.appendFileSync(path.join(dir, file), `\n${extra}`);
  return dir;
}

describe("an adopt section", () => {
  let doc: PlanDocument;
  beforeAll(async () => {
    doc = await runPlan({
      stack: "dev",
      servicesDir: catalogWith("product-recommender.yaml", ADOPT),
    });
  });

  it("plans an import of exactly the declared resources, with the declared ids", () => {
    const s = service(doc, "product-recommender");
    const imports = s.resources
      .filter((r) => r.importId)
      .map((r) => [r.type, r.name, r.importId])
      .sort(byText);
    expect(imports).toEqual([
      ["aws:ecr/repository:Repository", "product-recommender-images", "legacy/recommender"],
      [
        "aws:s3/bucket:Bucket",
        "product-recommender-store-artifacts",
        "acme-legacy-recommender-artifacts",
      ],
      ["databricks:index/job:Job", "product-recommender-jobs-batch-prediction", "918273646"],
      ["databricks:index/job:Job", "product-recommender-jobs-training", "918273645"],
      [
        "databricks:index/mlflowExperiment:MlflowExperiment",
        "product-recommender-tracking-experiment",
        "5550123",
      ],
      [
        "databricks:index/registeredModel:RegisteredModel",
        "product-recommender-tracking-uc-model",
        "legacy.ml.recommender",
      ],
      ["github:index/repository:Repository", "product-recommender-repo", "legacy-recommender"],
    ]);
    expect(doc.imports.map((i) => i.id).sort()).toEqual(imports.map((i) => i[2]).sort());
    // Nothing else is imported: not the other bucket, not another service.
    expect(one(s, "aws:s3/bucket:Bucket", "-predictions").importId).toBeUndefined();
    expect(doc.services.filter((x) => x.resources.some((r) => r.importId))).toHaveLength(1);
  });

  it("keeps the adopted names, and wires the rest of the service to them", () => {
    const s = service(doc, "product-recommender");
    expect(one(s, "aws:ecr/repository:Repository").inputs.name).toBe("legacy/recommender");
    expect(one(s, "aws:s3/bucket:Bucket", "-artifacts").inputs.bucket).toBe(
      "acme-legacy-recommender-artifacts",
    );
    expect(one(s, "github:index/repository:Repository").inputs.name).toBe("legacy-recommender");
    expect(one(s, "databricks:index/registeredModel:RegisteredModel").inputs).toMatchObject({
      catalogName: "legacy",
      schemaName: "ml",
      name: "recommender",
    });
    const experiment = one(s, "databricks:index/mlflowExperiment:MlflowExperiment");
    // An experiment's artifact location cannot move: an adopted one keeps its own.
    expect(experiment.ignoreChanges).toEqual(["artifactLocation"]);
    const job = one(s, "databricks:index/job:Job", "-training");
    const env = (job.inputs.tasks as { newCluster: { sparkEnvVars: Record<string, string> } }[])[0]
      .newCluster.sparkEnvVars;
    expect(env.MLFLOW_REGISTERED_MODEL).toBe("legacy.ml.recommender");
    expect(env.ARTIFACTS_BUCKET).toBe("acme-legacy-recommender-artifacts");
  });

  it("shows the imports in the tree and in the markdown comment", () => {
    expect(formatPlan(doc)).toContain(
      "aws:ecr/repository:Repository product-recommender-images [retain] = import legacy/recommender",
    );
    const markdown = formatMarkdown(doc);
    expect(markdown).toContain("#### Imports (existing resources adopted)");
    expect(markdown).toContain(
      "databricks:index/job:Job product-recommender-jobs-training <- 918273645",
    );
  });
});

describe("validation of adopt", () => {
  const stacks = readStacks(STACKS);
  const problems = (dir: string): string[] => {
    try {
      loadCatalog(dir, stacks);
      return [];
    } catch (e) {
      return (e as { problems: string[] }).problems.map((p) => p.replace(`${dir}/`, ""));
    }
  };

  it("refuses an id of the wrong form, naming the file and field", () => {
    const dir = catalogWith("demand-forecast.yaml", "adopt:\n  dev:\n    trainingJob: job-12\n");
    expect(problems(dir)).toEqual([
      expect.stringMatching(
        /^demand-forecast\.yaml:\d+: adopt\.dev\.trainingJob: "job-12" is not valid \(a Databricks job id: digits\)$/,
      ),
    ]);
  });

  it("refuses the same resource adopted by two services, naming both", () => {
    const dir = catalogWith("demand-forecast.yaml", "adopt:\n  dev:\n    experiment: '77'\n");
    fs.appendFileSync(
      path.join(dir, "search-ranking.yaml"),
      "\nadopt:\n  dev:\n    experiment: '77'\n",
    );
    expect(problems(dir)).toEqual([
      expect.stringMatching(
        /^search-ranking\.yaml:\d+: adopt\.dev\.experiment: MLflow experiment "77" is already adopted by .*demand-forecast\.yaml \(adopt\.dev\.experiment\) \(one resource can belong to one service only\)$/,
      ),
    ]);
  });

  it("refuses an environment the service is not in, a repository outside its first environment, a job it has no section for", () => {
    expect(
      problems(catalogWith("search-ranking.yaml", "adopt:\n  prod:\n    experiment: '1'\n")),
    ).toEqual([
      expect.stringMatching(
        /^search-ranking\.yaml:\d+: adopt\.prod: adopts resources in "prod", which is not in environments \(dev\)$/,
      ),
    ]);
    expect(
      problems(catalogWith("demand-forecast.yaml", "adopt:\n  prod:\n    repository: x\n")),
    ).toEqual([
      expect.stringMatching(
        /adopt\.prod\.repository: the repository belongs to the first environment \(dev\); adopt it there$/,
      ),
    ]);
    expect(
      problems(catalogWith("search-ranking.yaml", "adopt:\n  dev:\n    batchPredictionJob: '5'\n")),
    ).toEqual([
      expect.stringMatching(
        /adopt\.dev\.batchPredictionJob: the entry has no batchPrediction section to adopt a job for$/,
      ),
    ]);
  });
});

describe("re-adding a removed service", () => {
  it("records what the removal retained, and adopts exactly that when the service comes back", async () => {
    const first = await examplePlan("dev");
    const withoutDir = copyOfExamples();
    fs.unlinkSync(path.join(withoutDir, "search-ranking.yaml"));
    const removed = await runPlan({
      stack: "dev",
      servicesDir: withoutDir,
      previousOutputs: previousOutputsOf(first),
    });
    const before = service(first, "search-ranking");
    expect(removed.retained).toEqual({
      "search-ranking": {
        ecrRepository: "mlp/search-ranking-dev",
        artifactsBucket: "mlp-search-ranking-dev-artifacts",
        predictionsBucket: "mlp-search-ranking-dev-predictions",
        repository: "search-ranking",
        experiment: before.outputs.experimentId,
        registeredModel: "ml_dev.models.search_ranking",
      },
    });

    const back = await runPlan({ stack: "dev", previousOutputs: previousOutputsOf(removed) });
    const s = service(back, "search-ranking");
    expect(
      s.resources
        .filter((r) => r.importId)
        .map((r) => [r.type, r.importId])
        .sort(byText),
    ).toEqual([
      ["aws:ecr/repository:Repository", "mlp/search-ranking-dev"],
      ["aws:s3/bucket:Bucket", "mlp-search-ranking-dev-artifacts"],
      ["aws:s3/bucket:Bucket", "mlp-search-ranking-dev-predictions"],
      ["databricks:index/mlflowExperiment:MlflowExperiment", before.outputs.experimentId],
      ["databricks:index/registeredModel:RegisteredModel", "ml_dev.models.search_ranking"],
      ["github:index/repository:Repository", "search-ranking"],
    ]);
    expect(back.retained).toEqual({});
    // Nobody else adopts anything.
    expect(back.imports.every((i) => i.urn.includes("::search-ranking-"))).toBe(true);
  });

  it("keeps the record across deployments until the service returns", () => {
    const spec = { artifactsBucket: "b" };
    const previous = { services: { a: {} }, retained: { gone: spec } };
    expect(retainedAfter(previous, new Set(["a"]))).toEqual({
      retained: { gone: spec },
      readopted: {},
    });
    expect(retainedAfter(previous, new Set(["a", "gone"]))).toEqual({
      retained: {},
      readopted: { gone: spec },
    });
    expect(
      retainedResourcesOf({ ecrRepositoryUrl: "1.dkr.ecr.r.amazonaws.com/mlp/x-dev" }),
    ).toEqual({ ecrRepository: "mlp/x-dev" });
  });
});

describe("--diff", () => {
  it("refuses a base plan of another stack, naming both", async () => {
    const { main } = await import("../../cli/plan");
    const dev = await examplePlan("dev");
    const file = path.join(copyOfExamples(), "..", `base-${process.pid}.json`);
    fs.writeFileSync(file, JSON.stringify(dev));
    await expect(main(["--stack", "prod", "--diff", file, "--quiet"])).rejects.toThrow(
      `--diff ${file}: that plan is of stack "dev", this one of stack prod; diff against a plan of the same stack`,
    );
  });
});

describe("plan outputs", () => {
  it("shows control characters of a base plan as escapes, never raw", async () => {
    const { formatDiff } = await import("../../offline/plan/format");
    const { diffPlans } = await import("../../offline/plan/diff");
    const dev = await examplePlan("dev");
    const hostile: PlanDocument = structuredClone(dev);
    const bucket = hostile.services[0].resources.find((r) => r.type === "aws:s3/bucket:Bucket")!;
    bucket.inputs.bucket = "x\u001b[2J\u0007\ny";
    // A second bucket of the base that the current plan lacks: shown as removed, by its name.
    hostile.services[0].resources.push({
      ...bucket,
      urn: `${bucket.urn}-evil`,
      name: "evil\u001b]0;title\u0007",
    });
    const text = formatDiff(diffPlans(hostile, dev));
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(text).toContain("x\\u001b[2J\\u0007\\u000ay");
    expect(text).toContain("evil\\u001b]0;title\\u0007");
  });

  it("names the flag of an output path that cannot hold a file, and never writes under /proc", async () => {
    const { main } = await import("../../cli/plan");
    await expect(
      main(["--stack", "dev", "--quiet", "--json", "/proc/self/plan.json"]),
    ).rejects.toThrow("--json /proc/self/plan.json: not a place for an output file (under /proc)");
    const file = path.join(copyOfExamples(), "services-file");
    fs.writeFileSync(file, "");
    await expect(
      main(["--stack", "dev", "--quiet", "--markdown", path.join(file, "plan.md")]),
    ).rejects.toThrow(`--markdown ${path.join(file, "plan.md")}: cannot write it (`);
  });

  it("marks a refused plan as refused in the JSON and the markdown it writes", async () => {
    const { main } = await import("../../cli/plan");
    const prod = await examplePlan("prod");
    const dir = copyOfExamples();
    const base = path.join(dir, "..", `prod-base-${process.pid}.json`);
    fs.writeFileSync(base, JSON.stringify(prod));
    fs.unlinkSync(path.join(dir, "demand-forecast.yaml"));
    const json = path.join(dir, "..", `refused-${process.pid}.json`);
    const markdown = path.join(dir, "..", `refused-${process.pid}.md`);
    const args = ["--stack", "prod", "--services", dir, "--diff", base, "--quiet"];
    expect(await main([...args, "--json", json, "--markdown", markdown])).toBe(1);
    const written = JSON.parse(fs.readFileSync(json, "utf8")) as { refused?: string[] };
    expect(written.refused).toEqual([
      expect.stringContaining('service "demand-forecast" is removed from protected stack prod'),
    ]);
    const md = fs.readFileSync(markdown, "utf8");
    expect(md.startsWith("> **Refused: this plan must not be applied.**\n> - ")).toBe(true);
  });
});
