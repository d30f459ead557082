/** previewScope: what a real preview of a change must cover, from the offline plan and its diff. */
import { PlanDiff } from "../../offline/plan/diff";
import { previewScope } from "../../offline/plan/scope";
import { PlanDocument } from "../../offline/plan/types";

function resource(name: string) {
  return { urn: `urn:pulumi:dev::mlplatform::aws:s3/bucket:Bucket::${name}` };
}

const plan = {
  stack: "dev",
  services: [
    { name: "churn", resources: [resource("churn-a"), resource("churn-b")] },
    { name: "churn-eu", resources: [resource("churn-eu-a")] },
  ],
} as unknown as PlanDocument;

const base = {
  stack: "dev",
  services: [{ name: "gone", resources: [resource("gone-a")] }],
} as unknown as PlanDocument;

function diff(...groups: [string, string][]): PlanDiff {
  return {
    baseStack: "dev",
    stack: "dev",
    groups: groups.map(([name, status]) => ({ name, status, added: [], removed: [], changed: [] })),
  } as unknown as PlanDiff;
}

describe("previewScope", () => {
  it("previews the whole stack without a base plan", () => {
    expect(previewScope({ plan })).toEqual({
      stack: "dev",
      preview: "all",
      reason: "no base plan to compare with (--diff)",
      services: [],
      targets: [],
    });
  });

  it("previews the whole stack when shared files changed, even with no offline difference", () => {
    const scope = previewScope({
      plan,
      diff: diff(["churn", "unchanged"]),
      sharedChanges: ["package-lock.json", "components/ml-service.ts", "a", "b"],
    });
    expect(scope.preview).toBe("all");
    expect(scope.reason).toBe(
      "shared files changed (package-lock.json, components/ml-service.ts, a and 1 more): providers and code every service uses",
    );
  });

  it("previews the whole stack when the platform's own resources change", () => {
    expect(previewScope({ plan, diff: diff(["platform", "changed"]) }).preview).toBe("all");
  });

  it("previews nothing when no group changes", () => {
    expect(
      previewScope({ plan, diff: diff(["platform", "unchanged"], ["churn", "unchanged"]) }),
    ).toMatchObject({ preview: "none", services: [], targets: [] });
  });

  it("targets exactly the changed services' URNs, a removed one's from the base", () => {
    const scope = previewScope({
      plan,
      base,
      diff: diff(["churn", "changed"], ["churn-eu", "unchanged"], ["gone", "removed"]),
    });
    expect(scope).toEqual({
      stack: "dev",
      preview: "services",
      reason: "only these services change: churn, gone",
      services: ["churn", "gone"],
      targets: [
        "urn:pulumi:dev::mlplatform::aws:s3/bucket:Bucket::churn-a",
        "urn:pulumi:dev::mlplatform::aws:s3/bucket:Bucket::churn-b",
        "urn:pulumi:dev::mlplatform::aws:s3/bucket:Bucket::gone-a",
      ],
    });
  });
});
