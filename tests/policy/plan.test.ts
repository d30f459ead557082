/** The rules over real plans: the example catalog is compliant, findings are placed and ordered. */
import { examplePlan } from "../helpers/example-plans";
import { engineIds, restoreEngineIds } from "../../offline/plan/types";
import { evaluatePolicies, hasMandatoryFindings } from "../../offline/policy/evaluate";
import { TYPES } from "../../policy/src/rules";
import { resources, service } from "../helpers/plan";
import { compliantService, finding, planOf, resource, SERVICE, urnOf } from "./fixtures";

describe("the example catalog", () => {
  test.each([["dev"], ["prod"]])("the %s plan has no finding at all", async (stack) => {
    const doc = await examplePlan(stack);
    // The plan checks real resources of every kind the rules look at, not an empty stack.
    const checked = [
      TYPES.bucket,
      TYPES.publicAccessBlock,
      TYPES.bucketPolicy,
      TYPES.ecrRepository,
      TYPES.ecrLifecyclePolicy,
      TYPES.iamRole,
      TYPES.iamRolePolicy,
      TYPES.databricksJob,
      TYPES.databricksPermissions,
      // Source repositories live in the services' source environment (dev) only.
      ...(stack === "dev" ? [TYPES.githubRepository, TYPES.githubRuleset] : []),
    ];
    const all = doc.services.flatMap((s) => resources(s));
    for (const type of checked) {
      expect(all.filter((r) => r.type === type).length).toBeGreaterThan(0);
    }
    const findings = evaluatePolicies(doc);
    expect(findings).toEqual([]);
    expect(hasMandatoryFindings(findings)).toBe(false);
  });

  test("breaking one real resource of the dev plan is found, on that service", async () => {
    const doc = await examplePlan("dev");
    const s = service(doc, "search-ranking");
    const job = resources(s, TYPES.databricksJob)[0];
    const permissions = resources(s, TYPES.databricksPermissions).find((p) => p.name === job.name);
    expect(permissions).toBeDefined();
    s.resources = s.resources.filter((r) => r !== permissions);
    expect(evaluatePolicies(doc)).toEqual([
      {
        policy: "databricks-job-permissions",
        severity: "mandatory",
        service: "search-ranking",
        urn: job.urn,
        message: "job has no Permissions resource with its jobId",
      },
    ]);
  });
});

describe("the engine's ids, recorded by the plan", () => {
  test("every cloud resource carries the id the engine answered, outside its written form", async () => {
    const doc = await examplePlan("dev");
    const s = service(doc, "search-ranking");
    const job = resources(s, TYPES.databricksJob)[0];
    const permissions = resources(s, TYPES.databricksPermissions).find((p) => p.name === job.name)!;
    // The job's id is the mock engine's numeric id, and its permissions point at exactly that.
    expect(job.id).toMatch(/^\d+$/);
    expect(permissions.inputs.jobId).toBe(job.id);
    const bucket = resources(s, TYPES.bucket)[0];
    expect(bucket.id).toBe(bucket.inputs.bucket);
    // Not written: the JSON of a resource and of the plan have no id field, a copy drops it.
    expect(Object.keys(job)).not.toContain("id");
    expect(JSON.parse(JSON.stringify(job)).id).toBeUndefined();
    expect({ ...job }.id).toBeUndefined();
    // Components have none (a real stack gives them none either).
    const component = doc.services.flatMap((x) => x.resources).find((r) => !r.custom)!;
    expect(component.id).toBeUndefined();
  });

  test("a plan that crossed a process boundary gets its ids back, and its findings with them", async () => {
    const doc = await examplePlan("dev");
    const ids = engineIds(doc);
    const copy = structuredClone(doc);
    // Without the ids, jobs match their permissions by id no more: every job is reported.
    const jobs = copy.services.flatMap((x) => resources(x, TYPES.databricksJob));
    expect(jobs.length).toBeGreaterThan(0);
    expect(evaluatePolicies(copy).map((f) => f.urn)).toEqual(jobs.map((j) => j.urn).sort());
    expect(evaluatePolicies(restoreEngineIds(copy, ids))).toEqual([]);
    expect(Object.keys(ids).length).toBe(doc.summary.resources);
  });
});

describe("evaluatePolicies", () => {
  test("findings on platform resources carry no service", () => {
    const platformBucket = resource(TYPES.bucket, "platform-logs", {
      bucket: "platform-logs",
      tags: { service: "platform", team: "ml-platform", environment: "dev" },
    });
    const withoutRetain = evaluatePolicies(planOf(compliantService(), [platformBucket])).filter(
      (f) => f.policy === "data-retained",
    );
    expect(withoutRetain).toEqual([
      {
        policy: "data-retained",
        severity: "mandatory",
        urn: urnOf(TYPES.bucket, "platform-logs"),
        message: "data-bearing resource sets neither retainOnDelete nor protect",
      },
    ]);
  });

  test("the order of findings does not depend on the order of resources", () => {
    const broken = compliantService().map((r) => ({ ...r, retainOnDelete: false }));
    const forward = evaluatePolicies(planOf(broken));
    const backward = evaluatePolicies(planOf([...broken].reverse()));
    expect(forward).toEqual(backward);
    expect(forward.map((f) => f.urn)).toEqual([
      urnOf(TYPES.ecrRepository, "svc-images"),
      urnOf(TYPES.bucket, "svc-artifacts"),
      urnOf("databricks:index/mlflowExperiment:MlflowExperiment", "svc-experiment"),
      urnOf(TYPES.githubRepository, "svc-repo"),
    ]);
    expect(forward[0]).toEqual(
      finding(
        "data-retained",
        "mandatory",
        urnOf(TYPES.ecrRepository, "svc-images"),
        "data-bearing resource sets neither retainOnDelete nor protect",
      ),
    );
    expect(forward.every((f) => f.service === SERVICE)).toBe(true);
  });

  test("components are not checked", () => {
    const component = { ...resource(TYPES.bucket, "svc-component", {}), custom: false };
    expect(evaluatePolicies(planOf([...compliantService(), component]))).toEqual([]);
  });
});
