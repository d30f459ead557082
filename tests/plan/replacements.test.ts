import * as fs from "fs";
import * as path from "path";
import {
  DELETE_BEFORE_REPLACE_TYPES,
  diffGroup,
  PlanDiff,
  REPLACE_ON_CHANGE,
  replacements,
  replacingPaths,
} from "../../offline/plan/diff";
import { formatDiff, formatMarkdown } from "../../offline/plan/format";
import { PlanDocument, PlanResource } from "../../offline/plan/types";
import { REPOSITORY_IDENTITY_FIELDS } from "../../components/drone/repository-provider";
import { SECRET_SET_IDENTITY_FIELDS } from "../../components/drone/secret-set-provider";
import { COMMIT_IDENTITY_FIELDS } from "../../components/github/commit-provider";

function resource(type: string, name: string, inputs: Record<string, unknown>): PlanResource {
  return {
    urn: `urn:pulumi:dev::mlplatform::${type}::${name}`,
    type,
    name,
    custom: true,
    inputs,
    protect: false,
    retainOnDelete: false,
  };
}

function diffOf(before: PlanResource[], after: PlanResource[]): PlanDiff {
  return { baseStack: "dev", stack: "dev", groups: [diffGroup("svc", before, after)] };
}

describe("replacements in a plan diff", () => {
  it("marks a change of a ForceNew input as a replacement, old and new value shown", () => {
    const diff = diffOf(
      [resource("aws:s3/bucket:Bucket", "svc-artifacts", { bucket: "mlp-a", tags: { t: "1" } })],
      [resource("aws:s3/bucket:Bucket", "svc-artifacts", { bucket: "mlp-b", tags: { t: "2" } })],
    );
    const [change] = diff.groups[0].changed;
    expect(change.paths).toEqual(["bucket", "tags.t"]);
    expect(change.replace).toEqual({ paths: ["bucket"], deleteFirst: false });
    expect(replacements(diff)).toEqual([change]);
    expect(formatDiff(diff).split("\n")).toEqual([
      "Diff against the base plan of dev:",
      "WARNING: 1 resource replaced (deleted and created anew): aws:s3/bucket:Bucket svc-artifacts",
      "svc: changed",
      "  +- aws:s3/bucket:Bucket svc-artifacts: bucket, tags.t (REPLACED: bucket cannot change in place)",
      "-     bucket: mlp-a",
      "+     bucket: mlp-b",
      "-     tags.t: 1",
      "+     tags.t: 2",
    ]);
  });

  it("keeps an in-place update as ~ with no warning", () => {
    const job = "databricks:index/job:Job";
    const diff = diffOf(
      [resource(job, "svc-training", { schedule: { quartzCronExpression: "0 0 3 ? * 2" } })],
      [resource(job, "svc-training", { schedule: { quartzCronExpression: "0 15 3 ? * 3" } })],
    );
    expect(diff.groups[0].changed[0].replace).toBeUndefined();
    const text = formatDiff(diff);
    expect(text).not.toContain("WARNING");
    expect(text).not.toContain("+-");
    expect(text).toContain(
      "  ~ databricks:index/job:Job svc-training: schedule.quartzCronExpression\n" +
        "-     schedule.quartzCronExpression: 0 0 3 ? * 2\n" +
        "+     schedule.quartzCronExpression: 0 15 3 ? * 3",
    );
  });

  it("replaces on any input of a resource without an update, and on a replacementTrigger", () => {
    expect(replacingPaths("databricks:index/secretScope:SecretScope", ["name"])).toEqual(["name"]);
    expect(
      replacingPaths("aws:iam/role:Role", ["assumeRolePolicy", "(option) replacementTrigger"]),
    ).toEqual(["(option) replacementTrigger"]);
    expect(replacingPaths("aws:iam/role:Role", ["assumeRolePolicy", "(option) protect"])).toEqual(
      [],
    );
    expect(
      replacingPaths("aws:ecr/repository:Repository", ["encryptionConfigurations[0].kmsKey"]),
    ).toEqual(["encryptionConfigurations[0].kmsKey"]);
    // A prefix of a field name is not the field.
    expect(replacingPaths("aws:s3/bucket:Bucket", ["bucketX"])).toEqual([]);
  });

  it("says when the old resource is deleted before its replacement exists", () => {
    const type = "pulumi-nodejs:dynamic/drone:Repository";
    const diff = diffOf(
      [resource(type, "svc-ci-repository", { owner: "acme", name: "a" })],
      [resource(type, "svc-ci-repository", { owner: "acme", name: "b" })],
    );
    expect(diff.groups[0].changed[0].replace).toEqual({ paths: ["name"], deleteFirst: true });
    expect(formatDiff(diff)).toContain(
      "(REPLACED: name cannot change in place; the old one is deleted first)",
    );
  });

  it("warns in the markdown above the diff block and counts replacements per service", () => {
    const diff = diffOf(
      [resource("databricks:index/secret:Secret", "svc-jobs-client-secret", { key: "a" })],
      [resource("databricks:index/secret:Secret", "svc-jobs-client-secret", { key: "b" })],
    );
    const doc = {
      stack: "dev",
      summary: { services: 1, resources: 1 },
      services: [{ name: "svc", team: "t", resources: [] }],
      findings: [],
      platform: { resources: [] },
      imports: [],
    } as unknown as PlanDocument;
    const md = formatMarkdown(doc, diff);
    expect(md).toContain(
      "**Warning: 1 resource replaced (deleted and created anew): `databricks:index/secret:Secret svc-jobs-client-secret`.**\n\n```diff\n",
    );
    expect(md).toContain("| svc | t | 0 | changed (+0 -0 ~1, 1 replaced) |");
    // No indentation before +/- inside the diff block: GitHub colours those lines.
    expect(md).toContain("\n-     key: a\n+     key: b\n");
  });

  it("lists exactly the dynamic providers' identity fields (their `replaces`)", () => {
    expect(REPLACE_ON_CHANGE["pulumi-nodejs:dynamic/drone:Repository"]).toEqual([
      ...REPOSITORY_IDENTITY_FIELDS,
    ]);
    expect(REPLACE_ON_CHANGE["pulumi-nodejs:dynamic/drone:RepositorySecrets"]).toEqual([
      ...SECRET_SET_IDENTITY_FIELDS,
    ]);
    expect(REPLACE_ON_CHANGE["pulumi-nodejs:dynamic/github:Commit"]).toEqual([
      ...COMMIT_IDENTITY_FIELDS,
    ]);
    for (const type of DELETE_BEFORE_REPLACE_TYPES) expect(REPLACE_ON_CHANGE[type]).toBeDefined();
  });

  it("names only inputs the provider SDKs declare (camelCase Args properties)", () => {
    const root = path.join(__dirname, "../../node_modules/@pulumi");
    for (const [type, fields] of Object.entries(REPLACE_ON_CHANGE)) {
      if (type.startsWith("pulumi-nodejs:") || fields.includes("*")) continue;
      const [pkg, mod, cls] = type.split(":");
      const file = mod.startsWith("index/")
        ? mod.slice("index/".length)
        : mod.includes("/")
          ? mod
          : `${mod}/${cls[0].toLowerCase()}${cls.slice(1)}`;
      const dts = fs.readFileSync(path.join(root, pkg, `${file}.d.ts`), "utf8");
      const args = dts.match(new RegExp(`export interface ${cls}Args \\{[\\s\\S]*?\\n\\}`));
      expect({ type, found: Boolean(args) }).toEqual({ type, found: true });
      for (const field of fields) {
        expect({
          type,
          field,
          declared: new RegExp(`\\n    ${field}\\??:`).test(args![0]),
        }).toEqual({ type, field, declared: true });
      }
    }
  });
});
