/**
 * Promotion is a reviewed catalog change: moving an environment's pin changes exactly the image of
 * the service's jobs and the image copy, and the pull request's plan shows old and new values.
 */
import * as fs from "fs";
import * as path from "path";
import { diffPlans } from "../../offline/plan/diff";
import { formatMarkdown } from "../../offline/plan/format";
import { runPlan } from "../../offline/plan/run";
import { PlanDocument } from "../../offline/plan/types";
import { copyOfExamples, one, resources, service } from "../helpers/plan";

const OLD = {
  gitSha: "4b6f0d2c9e8a7b1f3c5d6e7f8091a2b3c4d5e6f7",
  digest: "sha256:9f2c1e7a3b5d4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a",
};
const NEW = {
  gitSha: "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00",
  digest: `sha256:${"ab".repeat(32)}`,
};
const PROD_REPO = "222222222222.dkr.ecr.eu-west-1.amazonaws.com/mlp/product-recommender-prod";

/** The example catalog with product-recommender's prod pin replaced by `pin` (or dropped). */
function catalogWithProdPin(pin: typeof NEW | undefined): string {
  const dir = copyOfExamples();
  const file = path.join(dir, "product-recommender.yaml");
  const text = fs.readFileSync(file, "utf8");
  const prodPin = `  prod:\n    gitSha: ${OLD.gitSha}\n    digest: ${OLD.digest}\n`;
  expect(text).toContain(prodPin);
  const replacement = pin ? `  prod:\n    gitSha: ${pin.gitSha}\n    digest: ${pin.digest}\n` : "";
  fs.writeFileSync(file, text.replace(prodPin, replacement));
  return dir;
}

let base: PlanDocument;
beforeAll(async () => {
  base = await runPlan({ stack: "prod", servicesDir: copyOfExamples() });
});

describe("a pull request that moves the prod pin", () => {
  let moved: PlanDocument;
  beforeAll(async () => {
    moved = await runPlan({ stack: "prod", servicesDir: catalogWithProdPin(NEW) });
  });

  it("changes the two jobs' image and provenance and the image copy, and nothing else", () => {
    const diff = diffPlans(base, moved);
    const touched = diff.groups.filter((g) => g.status !== "unchanged");
    expect(touched.map((g) => [g.name, g.status])).toEqual([["product-recommender", "changed"]]);
    const [group] = touched;
    expect(group.added).toEqual([]);
    expect(group.removed).toEqual([]);
    expect(group.changed.map((c) => [c.type, c.name, c.paths])).toEqual([
      [
        "command:local:Command",
        "product-recommender-image",
        ["environment.DIGEST", "environment.GIT_SHA", "triggers[2]", "triggers[3]"],
      ],
      [
        "databricks:index/job:Job",
        "product-recommender-jobs-batch-prediction",
        [
          "parameters[0].default",
          "parameters[1].default",
          "parameters[2].default",
          "tasks[0].newCluster.dockerImage.url",
        ],
      ],
      [
        "databricks:index/job:Job",
        "product-recommender-jobs-training",
        [
          "parameters[0].default",
          "parameters[1].default",
          "parameters[2].default",
          "tasks[0].newCluster.dockerImage.url",
        ],
      ],
    ]);
  });

  it("shows old and new image of each job in the markdown comment, coloured as a diff", () => {
    const markdown = formatMarkdown(moved, diffPlans(base, moved));
    for (const job of ["training", "batch-prediction"]) {
      const at = markdown.indexOf(`~ databricks:index/job:Job product-recommender-jobs-${job}:`);
      expect(at).toBeGreaterThan(0);
      const block = markdown.slice(at, markdown.indexOf("\n  ~", at + 1));
      expect(block).toContain(
        `\n-     tasks[0].newCluster.dockerImage.url: ${PROD_REPO}:${OLD.gitSha}\n+     tasks[0].newCluster.dockerImage.url: ${PROD_REPO}:${NEW.gitSha}`,
      );
    }
    expect(markdown).toContain(`-     environment.DIGEST: ${OLD.digest}`);
    expect(markdown).toContain(`+     environment.DIGEST: ${NEW.digest}`);
    // Nothing else is listed as changing: the two jobs update in place, and the copy command is
    // replaced (its triggers name the image), which runs the copy again.
    expect(markdown.match(/^ {2}~ /gm)).toHaveLength(2);
    expect(markdown.match(/^ {2}\+- .*$/gm)).toEqual([
      "  +- command:local:Command product-recommender-image: environment.DIGEST, environment.GIT_SHA, triggers[2], triggers[3] (REPLACED: triggers[2], triggers[3] cannot change in place)",
    ]);
    expect(markdown).not.toMatch(/^ {2}[+-] /m);
  });

  it("copies the new image from dev's registry before the jobs point at it", () => {
    const s = service(moved, "product-recommender");
    const copy = one(s, "command:local:Command");
    expect(copy.inputs.environment).toMatchObject({ GIT_SHA: NEW.gitSha, DIGEST: NEW.digest });
    for (const job of resources(s, "databricks:index/job:Job")) {
      const task = (job.inputs.tasks as Record<string, Record<string, unknown>>[])[0];
      expect(task.newCluster.dockerImage).toEqual({ url: `${PROD_REPO}:${NEW.gitSha}` });
    }
  });
});

describe("dropping the prod pin", () => {
  it("puts both jobs back on the placeholder and removes the copy (the copied image stays)", async () => {
    const dropped = await runPlan({ stack: "prod", servicesDir: catalogWithProdPin(undefined) });
    const s = service(dropped, "product-recommender");
    expect(resources(s, "command:local:Command")).toEqual([]);
    for (const job of resources(s, "databricks:index/job:Job")) {
      const task = (job.inputs.tasks as Record<string, Record<string, unknown>>[])[0];
      expect((task.sparkPythonTask as { pythonFile: string }).pythonFile).toBe(
        "file:/opt/mlplatform/no_model_yet.py",
      );
      expect((task.newCluster.dockerImage as { url: string }).url).toContain("/mlp/base-prod:");
    }
    const diff = diffPlans(base, dropped);
    const group = diff.groups.find((g) => g.name === "product-recommender")!;
    // The command has no delete step: removing it from the stack deletes no image.
    expect(group.removed.map((r) => r.type)).toEqual(["command:local:Command"]);
  });
});
