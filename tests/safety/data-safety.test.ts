/**
 * Data survives catalog edits: removing, renaming or decommissioning an entry never deletes a
 * bucket, an ECR repository, a GitHub repository, an experiment or a registered model.
 */
import * as fs from "fs";
import * as path from "path";
import { DATA_BEARING_TYPES, diffPlans, unretainedDataDeletions } from "../../offline/plan/diff";
import { checkRemovals, parseAllowRemoval } from "../../offline/plan/removal-guard";
import { PlanDocument, PlanResource, runPlan } from "../../offline/plan/run";
import { EXAMPLES_DIR, writeCatalog } from "./fixtures";

function copyOfExamples(): string {
  const dir = writeCatalog({});
  for (const f of fs.readdirSync(EXAMPLES_DIR))
    fs.copyFileSync(path.join(EXAMPLES_DIR, f), path.join(dir, f));
  return dir;
}

function edit(dir: string, file: string, change: (text: string) => string): void {
  const full = path.join(dir, file);
  fs.writeFileSync(full, change(fs.readFileSync(full, "utf8")));
}

const custom = (list: PlanResource[]) => list.filter((r) => r.custom);
const types = (list: PlanResource[]) => [...new Set(list.map((r) => r.type))].sort();
const servicePlan = (doc: PlanDocument, name: string) => doc.services.find((s) => s.name === name);

/** The data-bearing pieces of a service in its source environment (where its repository lives). */
/** Settings that keep a retained bucket locked down after its entry is removed. */
const BUCKET_LOCKDOWN = [
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  "aws:s3/bucketPolicy:BucketPolicy",
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:s3/bucketVersioning:BucketVersioning",
];
const DATA_IN_SOURCE = [
  "aws:ecr/repository:Repository",
  "aws:s3/bucket:Bucket",
  "databricks:index/mlflowExperiment:MlflowExperiment",
  "databricks:index/registeredModel:RegisteredModel",
  "github:index/repository:Repository",
];
/** Compute and access pieces a removal really deletes. */
const COMPUTE = [
  "aws:iam/role:Role",
  "aws:iam/rolePolicy:RolePolicy",
  "databricks:index/job:Job",
  "databricks:index/permissions:Permissions",
  "databricks:index/servicePrincipal:ServicePrincipal",
  "databricks:index/secretScope:SecretScope",
];

let devBase: PlanDocument;
let prodBase: PlanDocument;
beforeAll(async () => {
  devBase = await runPlan({ stack: "dev", servicesDir: copyOfExamples() });
  prodBase = await runPlan({ stack: "prod", servicesDir: copyOfExamples() });
});

describe("the data-bearing types", () => {
  it("are a service's five, the legacy workspace model and the experiments' folder", () => {
    expect([...DATA_BEARING_TYPES].sort()).toEqual(
      [
        ...DATA_IN_SOURCE,
        "databricks:index/mlflowModel:MlflowModel",
        "databricks:index/directory:Directory",
      ].sort(),
    );
  });
});

describe("removing a service entry", () => {
  let current: PlanDocument;
  beforeAll(async () => {
    const dir = copyOfExamples();
    fs.unlinkSync(path.join(dir, "product-recommender.yaml"));
    current = await runPlan({ stack: "dev", servicesDir: dir });
  });

  it("marks the service removed, its data retained and its compute deleted", () => {
    const diff = diffPlans(devBase, current);
    const touched = diff.groups.filter((g) => g.status !== "unchanged");
    // Its team had no other service: the team's use of the model catalog goes with it, nothing else.
    expect(touched.map((g) => [g.name, g.status])).toEqual([
      ["platform", "changed"],
      ["product-recommender", "removed"],
    ]);
    expect(touched[0].removed.map((r) => r.name)).toEqual([
      "team-personalization-model-catalog",
      "team-personalization-model-schema",
    ]);
    expect(touched[0].added).toEqual([]);
    expect(touched[0].changed).toEqual([]);
    const group = touched[1];
    const before = custom(servicePlan(devBase, "product-recommender")!.resources);
    expect(group.removed).toHaveLength(before.length);
    expect(group.added).toEqual([]);
    // Data-bearing resources, and the buckets' lock-down, which stays with a retained bucket.
    expect(types(group.retained)).toEqual([...DATA_IN_SOURCE, ...BUCKET_LOCKDOWN].sort());
    expect(
      group.retained
        .filter((r) => DATA_BEARING_TYPES.has(r.type))
        .map((r) => r.name)
        .sort(),
    ).toEqual([
      "product-recommender-images",
      "product-recommender-repo",
      "product-recommender-store-artifacts",
      "product-recommender-store-predictions",
      "product-recommender-tracking-experiment",
      "product-recommender-tracking-uc-model",
    ]);
    for (const r of group.retained) expect(r.retainOnDelete).toBe(true);
    expect(group.deleted.some((r) => DATA_BEARING_TYPES.has(r.type))).toBe(false);
    expect(types(group.deleted)).toEqual(expect.arrayContaining(COMPUTE));
    expect(group.retained.length + group.deleted.length).toBe(group.removed.length);
    expect(unretainedDataDeletions(diff)).toEqual([]);
  });

  it("leaves every other service's resources and the rest of the platform byte-identical", () => {
    expect(current.services.map((s) => s.name)).toEqual(["demand-forecast", "search-ranking"]);
    for (const s of current.services) {
      expect(JSON.stringify(s.resources)).toBe(
        JSON.stringify(servicePlan(devBase, s.name)!.resources),
      );
      expect(s.outputs).toEqual(servicePlan(devBase, s.name)!.outputs);
    }
    const otherTeams = devBase.platform.resources.filter(
      (r) => !r.name.startsWith("team-personalization-"),
    );
    expect(JSON.stringify(current.platform.resources)).toBe(JSON.stringify(otherTeams));
  });
});

describe("renaming a service's name (and file)", () => {
  it("is one service removed and one added, with all data of the old one retained", async () => {
    const dir = copyOfExamples();
    edit(dir, "search-ranking.yaml", (t) => t.replace("name: search-ranking", "name: search-rank"));
    fs.renameSync(path.join(dir, "search-ranking.yaml"), path.join(dir, "search-rank.yaml"));
    const current = await runPlan({ stack: "dev", servicesDir: dir });
    const diff = diffPlans(devBase, current);
    const touched = diff.groups.filter((g) => g.status !== "unchanged");
    expect(touched.map((g) => [g.name, g.status])).toEqual([
      ["search-rank", "added"],
      ["search-ranking", "removed"],
    ]);
    const [added, removed] = touched;
    expect(types(removed.retained)).toEqual([...DATA_IN_SOURCE, ...BUCKET_LOCKDOWN].sort());
    expect(removed.retained.filter((r) => DATA_BEARING_TYPES.has(r.type))).toHaveLength(6);
    expect(removed.retained).toHaveLength(6 + 2 * BUCKET_LOCKDOWN.length);
    expect(unretainedDataDeletions(diff)).toEqual([]);
    // The new service gets new physical names: nothing is moved.
    const newBucket = added.added.find((r) => r.name === "search-rank-store-artifacts")!;
    expect(newBucket.inputs.bucket).toBe("mlp-search-rank-dev-artifacts");
  });

  it("changing only displayName changes no physical name and removes nothing", async () => {
    const dir = copyOfExamples();
    edit(dir, "demand-forecast.yaml", (t) =>
      t.replace("displayName: Store demand forecast", "displayName: Demand forecasting (stores)"),
    );
    const current = await runPlan({ stack: "dev", servicesDir: dir });
    const diff = diffPlans(devBase, current);
    for (const g of diff.groups) {
      expect(g.added).toEqual([]);
      expect(g.removed).toEqual([]);
    }
  });
});

describe("decommissioned: true", () => {
  let dev: PlanDocument;
  let prod: PlanDocument;
  beforeAll(async () => {
    const dir = copyOfExamples();
    edit(dir, "demand-forecast.yaml", (t) => `${t}decommissioned: true\n`);
    dev = await runPlan({ stack: "dev", servicesDir: dir });
    prod = await runPlan({ stack: "prod", servicesDir: dir });
  });

  it("keeps the data-bearing pieces (with their settings and access), drops all compute", () => {
    const s = servicePlan(dev, "demand-forecast")!;
    expect(s.decommissioned).toBe(true);
    const kept = custom(s.resources);
    expect(types(kept.filter((r) => DATA_BEARING_TYPES.has(r.type)))).toEqual(DATA_IN_SOURCE);
    for (const gone of [
      "aws:iam/role:Role",
      "aws:iam/rolePolicy:RolePolicy",
      "aws:iam/instanceProfile:InstanceProfile",
      "aws:ecr/repositoryPolicy:RepositoryPolicy",
      "databricks:index/job:Job",
      "databricks:index/servicePrincipal:ServicePrincipal",
      "databricks:index/servicePrincipalSecret:ServicePrincipalSecret",
      "databricks:index/secretScope:SecretScope",
      "databricks:index/secret:Secret",
      "github:index/repositoryRuleset:RepositoryRuleset",
    ]) {
      expect(kept.filter((r) => r.type === gone)).toEqual([]);
    }
    // What is left besides the data: its settings (encryption, public access block...) and the
    // team's access to the experiment and the model.
    const rest = kept.filter((r) => !DATA_BEARING_TYPES.has(r.type));
    for (const r of rest) {
      expect(r.type).toMatch(
        /^aws:s3\/bucket\w+:|^aws:ecr\/lifecyclePolicy:|^github:index\/(repositoryVulnerabilityAlerts|teamRepository):|^databricks:index\/(permissions|grants):/,
      );
    }
    // The diff from the active service deletes only compute.
    const diff = diffPlans(devBase, dev);
    const group = diff.groups.find((g) => g.name === "demand-forecast")!;
    expect(group.status).toBe("changed");
    expect(group.added).toEqual([]);
    expect(group.retained).toEqual([]);
    expect(group.deleted.filter((r) => DATA_BEARING_TYPES.has(r.type))).toEqual([]);
    expect(types(group.deleted)).toEqual(expect.arrayContaining(["databricks:index/job:Job"]));
  });

  it("unprotects its data in prod (so the entry can then be removed) but still retains it", () => {
    const s = servicePlan(prod, "demand-forecast")!;
    const data = custom(s.resources).filter((r) => DATA_BEARING_TYPES.has(r.type));
    // prod is not the source environment: no repository there.
    expect(types(data)).toEqual(DATA_IN_SOURCE.filter((t) => !t.startsWith("github:")));
    for (const r of data) {
      expect(r.protect).toBe(false);
      expect(r.retainOnDelete).toBe(true);
    }
    const other = servicePlan(prod, "product-recommender")!;
    for (const r of custom(other.resources).filter((x) => DATA_BEARING_TYPES.has(x.type)))
      expect(r.protect).toBe(true);
  });
});

describe("in prod (protectData: true)", () => {
  it("every data-bearing resource is protected and retained, and nothing else is protected", () => {
    const all = [...prodBase.platform.resources, ...prodBase.services.flatMap((s) => s.resources)];
    const data = custom(all).filter((r) => DATA_BEARING_TYPES.has(r.type));
    expect(data.length).toBeGreaterThanOrEqual(8);
    for (const r of data) {
      expect([r.name, r.protect, r.retainOnDelete]).toEqual([r.name, true, true]);
    }
    for (const r of custom(all).filter((x) => !DATA_BEARING_TYPES.has(x.type)))
      expect([r.name, r.protect]).toEqual([r.name, false]);
  });

  it("in dev data is retained but not protected", () => {
    const data = custom(devBase.services.flatMap((s) => s.resources)).filter((r) =>
      DATA_BEARING_TYPES.has(r.type),
    );
    expect(data).toHaveLength(18);
    for (const r of data)
      expect([r.name, r.protect, r.retainOnDelete]).toEqual([r.name, false, true]);
  });
});

describe("the removal guard (offline/plan/removal-guard.ts)", () => {
  let prodWithout: PlanDocument;
  let prodDecommissioned: PlanDocument;
  let prodRenamed: PlanDocument;
  beforeAll(async () => {
    const without = copyOfExamples();
    fs.unlinkSync(path.join(without, "demand-forecast.yaml"));
    prodWithout = await runPlan({ stack: "prod", servicesDir: without });
    const decommissioned = copyOfExamples();
    edit(decommissioned, "demand-forecast.yaml", (t) => `${t}decommissioned: true\n`);
    prodDecommissioned = await runPlan({ stack: "prod", servicesDir: decommissioned });
    const renamed = copyOfExamples();
    edit(renamed, "demand-forecast.yaml", (t) =>
      t.replace("name: demand-forecast", "name: store-demand"),
    );
    fs.renameSync(
      path.join(renamed, "demand-forecast.yaml"),
      path.join(renamed, "store-demand.yaml"),
    );
    prodRenamed = await runPlan({ stack: "prod", servicesDir: renamed });
  });
  const guard = (base: PlanDocument, current: PlanDocument, protectData: boolean, allow = "") =>
    checkRemovals(base, current, diffPlans(base, current), {
      protectData,
      allowRemoval: parseAllowRemoval(allow || undefined),
    });

  it("refuses a reorder of environments that would move the repository, in any stack, unless acknowledged", () => {
    const reordered: PlanDocument = structuredClone(devBase);
    const s = reordered.services.find((x) => x.name === "demand-forecast")!;
    s.environments = ["staging", "dev"];
    for (const protectData of [false, true]) {
      expect(guard(devBase, reordered, protectData)).toEqual({
        notes: [],
        problems: [
          `${s.file}: environments: the first environment of "demand-forecast" changes from dev to staging; the first environment owns the repository, its files and its Drone activation, so this would move them. Keep dev first, or acknowledge with --allow-removal demand-forecast`,
        ],
      });
    }
    expect(guard(devBase, reordered, true, "demand-forecast")).toEqual({
      problems: [],
      notes: [
        "service \"demand-forecast\" moves its first environment from dev to staging (acknowledged with --allow-removal): its repository, template files and Drone activation leave dev's stack (the repository is retained) and staging's stack creates them.",
      ],
    });
    // Adding an environment at the end moves nothing.
    const added: PlanDocument = structuredClone(devBase);
    added.services.find((x) => x.name === "demand-forecast")!.environments.push("qa");
    expect(guard(devBase, added, true)).toEqual({ problems: [], notes: [] });
  });

  it("refuses removing an active service from a protected stack, saying what to do", () => {
    expect(guard(prodBase, prodWithout, true)).toEqual({
      problems: [
        `${prodBase.services[0].file}: service "demand-forecast" is removed from protected stack prod: its data (2 S3 buckets, 1 ECR repository, 1 MLflow experiment, 1 Unity Catalog registered model) would be left unmanaged. First set decommissioned: true in its entry and deploy, then remove it; or acknowledge with --allow-removal demand-forecast`,
      ],
      notes: [],
    });
  });

  it("allows it with the acknowledgement, and notes it", () => {
    const report = guard(prodBase, prodWithout, true, "demand-forecast");
    expect(report.problems).toEqual([]);
    expect(report.notes).toEqual([
      'service "demand-forecast" is removed from stack prod (acknowledged with --allow-removal): its data (2 S3 buckets, 1 ECR repository, 1 MLflow experiment, 1 Unity Catalog registered model) stay in the cloud, no longer managed.',
    ]);
  });

  it("allows it after the decommission step was deployed", () => {
    const report = guard(prodDecommissioned, prodWithout, true);
    expect(report.problems).toEqual([]);
    expect(report.notes).toHaveLength(1);
    expect(report.notes[0]).toMatch(
      /^service "demand-forecast" was decommissioned and is now removed/,
    );
    // The decommission step itself removes nothing: no acknowledgement needed.
    expect(guard(prodBase, prodDecommissioned, true)).toEqual({ problems: [], notes: [] });
  });

  it("does not ask in an unprotected stack", () => {
    expect(guard(devBase, devBase, false)).toEqual({ problems: [], notes: [] });
    expect(guard(prodBase, prodWithout, false).problems).toEqual([]);
  });

  it("explains a rename of name and still requires the acknowledgement in prod", () => {
    const report = guard(prodBase, prodRenamed, true);
    expect(report.notes).toEqual([
      'service "demand-forecast" is removed and "store-demand" added: name is immutable, so this is a new service, not a rename. The data of "demand-forecast" stays in the cloud, unmanaged, and "store-demand" starts empty. To change what people see, change displayName and keep name.',
    ]);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toContain(
      'service "demand-forecast" is removed from protected stack prod (renamed to "store-demand"?)',
    );
  });

  it("refuses a stale acknowledgement", () => {
    expect(guard(prodBase, prodBase, true, "search-ranking, search-ranking").problems).toEqual([
      '--allow-removal search-ranking: service "search-ranking" is not removed by this change (drop it from the flag)',
    ]);
  });

  it("refuses any deleted data-bearing resource, whatever the flags", () => {
    const broken: PlanDocument = JSON.parse(JSON.stringify(prodWithout));
    const base: PlanDocument = JSON.parse(JSON.stringify(prodBase));
    const bucket = base.services[0].resources.find((r) => r.type === "aws:s3/bucket:Bucket")!;
    bucket.retainOnDelete = false;
    const report = checkRemovals(base, broken, diffPlans(base, broken), {
      protectData: false,
      allowRemoval: ["demand-forecast"],
    });
    expect(report.problems).toEqual([
      `aws:s3/bucket:Bucket ${bucket.name}: would be deleted with its data (data-bearing resources must be retained; this is a bug in the components, not in the catalog)`,
    ]);
  });
});
