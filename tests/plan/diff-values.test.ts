/**
 * What a reviewer reads after a schedule edit in a catalog entry: `npm run plan -- --diff` shows
 * the training job's old and new Quartz cron expression, in the terminal text and in the
 * pull-request markdown (a ```diff block whose -/+ lines start at the first column, so GitHub
 * colours them). Runs the compiled command, as `npm run plan` does: a base plan, then the plan of
 * the edited catalog against it.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { diffPlans } from "../../offline/plan/diff";
import { PlanDocument } from "../../offline/plan/types";
import { runCompiled } from "../helpers/compiled-run";
import { copyOfExamples } from "../helpers/plan";

const JOB = "databricks:index/job:Job product-recommender-jobs-training";
// Quartz fields: second minute hour day-of-month month day-of-week, Sunday = 1
// (databricks-sdk-py databricks/sdk/service/jobs.py CronSchedule.quartz_cron_expression).
const OLD_QUARTZ = "0 0 3 ? * 2"; // cron "0 3 * * 1": Mondays 03:00
const NEW_QUARTZ = "0 15 4 ? * 4"; // cron "15 4 * * 3": Wednesdays 04:15

describe("npm run plan -- --diff after a schedule edit", () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "diff-values-"));
  const services = copyOfExamples();
  let base: PlanDocument;
  let edited: PlanDocument;
  let stdout: string;
  let markdown: string;

  beforeAll(async () => {
    const baseRun = await runCompiled("plan", [
      "--stack",
      "dev",
      "--services",
      services,
      "--quiet",
      "--json",
      path.join(out, "base.json"),
    ]);
    // stderr carries only the progress lines ("planning stack dev offline...").
    expect([baseRun.status, baseRun.stderr.includes("error")]).toEqual([0, false]);
    const entry = path.join(services, "product-recommender.yaml");
    const text = fs.readFileSync(entry, "utf8");
    expect(text).toContain('  schedule: "0 3 * * 1"\n');
    fs.writeFileSync(
      entry,
      text.replace('  schedule: "0 3 * * 1"\n', '  schedule: "15 4 * * 3"\n'),
    );
    const run = await runCompiled("plan", [
      "--stack",
      "dev",
      "--services",
      services,
      "--quiet",
      "--diff",
      path.join(out, "base.json"),
      "--json",
      path.join(out, "edited.json"),
      "--markdown",
      path.join(out, "plan.md"),
    ]);
    expect([run.status, run.stderr.includes("error")]).toEqual([0, false]);
    stdout = run.stdout;
    base = JSON.parse(fs.readFileSync(path.join(out, "base.json"), "utf8")) as PlanDocument;
    edited = JSON.parse(fs.readFileSync(path.join(out, "edited.json"), "utf8")) as PlanDocument;
    markdown = fs.readFileSync(path.join(out, "plan.md"), "utf8");
  }, 300_000);

  afterAll(() => {
    fs.rmSync(out, { recursive: true, force: true });
    fs.rmSync(services, { recursive: true, force: true });
  });

  it("changes exactly the training job's Quartz expression, old and new values kept", () => {
    const diff = diffPlans(base, edited);
    const touched = diff.groups.filter((g) => g.status !== "unchanged");
    expect(touched.map((g) => [g.name, g.added.length, g.removed.length])).toEqual([
      ["product-recommender", 0, 0],
    ]);
    expect(touched[0].changed.map((c) => [c.name, c.paths, c.values, c.replace])).toEqual([
      [
        "product-recommender-jobs-training",
        ["schedule.quartzCronExpression"],
        [{ path: "schedule.quartzCronExpression", before: OLD_QUARTZ, after: NEW_QUARTZ }],
        undefined,
      ],
    ]);
  });

  it("prints the old and the new expression in the text, before the tree would be", () => {
    expect(stdout.split("\n\n")[0].split("\n")).toEqual([
      "Diff against the base plan of dev:",
      "product-recommender: changed",
      `  ~ ${JOB}: schedule.quartzCronExpression`,
      `-     schedule.quartzCronExpression: ${OLD_QUARTZ}`,
      `+     schedule.quartzCronExpression: ${NEW_QUARTZ}`,
    ]);
    expect(stdout).not.toContain("WARNING");
    expect(stdout).not.toContain("demand-forecast: changed");
    expect(stdout).not.toContain("search-ranking: changed");
  });

  it("puts them in a diff block of the markdown, - and + in the first column", () => {
    const lines = markdown.split("\n");
    const start = lines.indexOf("```diff");
    expect(start).toBeGreaterThan(0);
    const end = lines.indexOf("```", start + 1);
    expect(lines.slice(start + 1, end)).toEqual([
      "product-recommender: changed",
      `  ~ ${JOB}: schedule.quartzCronExpression`,
      `-     schedule.quartzCronExpression: ${OLD_QUARTZ}`,
      `+     schedule.quartzCronExpression: ${NEW_QUARTZ}`,
    ]);
    expect(markdown).toContain("| product\\-recommender | personalization |");
    expect(markdown).toMatch(/\| changed \(\+0 -0 ~1\) \|/);
    // No indented -/+ line anywhere: GitHub would not colour it.
    expect(lines.filter((l) => /^\s+[-+]\s+schedule/.test(l))).toEqual([]);
    expect(lines.filter((l) => l.includes(OLD_QUARTZ))).toEqual([
      `-     schedule.quartzCronExpression: ${OLD_QUARTZ}`,
    ]);
  });
});
