/**
 * MlflowTracking from a purpose-built Args value: the experiment and the Unity Catalog model are
 * data (retained, protected where asked); the principal owns the model and the team only EXECUTEs
 * it; once the service is decommissioned (no principal) the platform owns it and nobody else is
 * granted anything.
 */
import { one, recordDeclarations, tree } from "./harness";

const mocks = recordDeclarations();

// Imported after setMocks, as a program would.
import { MlflowTracking, MlflowTrackingArgs } from "../../components/mlflow-tracking";

const ARGS: MlflowTrackingArgs = {
  experimentPath: "/Shared/acme/qa/fraud",
  model: { catalog: "ml_qa", schema: "models", name: "fraud" },
  artifactsBucketName: "acme-fraud-qa-artifacts",
  teamGroup: "risk",
  servicePrincipalClientId: "app-123",
  retiredOwner: "platform-app",
  tags: { service: "fraud" },
};
const EXPERIMENT = "databricks:index/mlflowExperiment:MlflowExperiment";
const MODEL = "databricks:index/registeredModel:RegisteredModel";

beforeEach(() => mocks.reset());

describe("MlflowTracking", () => {
  test("an active service: experiment, model, their permissions and the principal's catalog and schema use", async () => {
    const tracking = new MlflowTracking("fraud-tracking", { ...ARGS, protect: true });
    await mocks.settle();
    const p = "fraud-tracking";
    expect(tree(mocks.declared)).toEqual([
      ["databricks:index/grant:Grant", `${p}-uc-catalog`, p],
      ["databricks:index/grant:Grant", `${p}-uc-schema`, p],
      ["databricks:index/grants:Grants", `${p}-uc-model`, p],
      [EXPERIMENT, `${p}-experiment`, p],
      ["databricks:index/permissions:Permissions", `${p}-experiment`, p],
      [MODEL, `${p}-uc-model`, p],
      ["mlplatform:mlflow:MlflowTracking", p, ""],
    ]);
    const experiment = one(mocks.declared, EXPERIMENT, `${p}-experiment`);
    expect(experiment.inputs).toEqual({
      name: "/Shared/acme/qa/fraud",
      artifactLocation: "s3://acme-fraud-qa-artifacts/mlflow",
    });
    const model = one(mocks.declared, MODEL, `${p}-uc-model`);
    expect(model.inputs).toEqual({
      catalogName: "ml_qa",
      schemaName: "models",
      name: "fraud",
      comment: "Managed by mlplatform (fraud); aliases champion and challenger.",
      owner: "app-123",
    });
    for (const data of [experiment, model])
      expect([data.protect, data.retainOnDelete]).toEqual([true, true]);
    expect(
      one(mocks.declared, "databricks:index/permissions:Permissions", `${p}-experiment`).inputs,
    ).toEqual({
      experimentId: `${p}-experiment-id`,
      accessControls: [
        { groupName: "risk", permissionLevel: "CAN_MANAGE" },
        { servicePrincipalName: "app-123", permissionLevel: "CAN_EDIT" },
      ],
    });
    expect(one(mocks.declared, "databricks:index/grants:Grants", `${p}-uc-model`).inputs).toEqual({
      model: `${p}-uc-model-id`,
      grants: [{ principal: "risk", privileges: ["EXECUTE"] }],
    });
    expect(one(mocks.declared, "databricks:index/grant:Grant", `${p}-uc-catalog`).inputs).toEqual({
      catalog: "ml_qa",
      principal: "app-123",
      privileges: ["USE_CATALOG"],
    });
    expect(one(mocks.declared, "databricks:index/grant:Grant", `${p}-uc-schema`).inputs).toEqual({
      schema: "ml_qa.models",
      principal: "app-123",
      privileges: ["USE_SCHEMA"],
    });
    expect(await new Promise((resolve) => tracking.registeredModelName.apply(resolve))).toBe(
      "ml_qa.models.fraud",
    );
  });

  test("decommissioned (no principal): the platform owns the retained model; no principal grant; unprotected by default", async () => {
    new MlflowTracking("old-tracking", { ...ARGS, servicePrincipalClientId: undefined });
    await mocks.settle();
    expect(one(mocks.declared, MODEL, "old-tracking-uc-model").inputs.owner).toBe("platform-app");
    expect(mocks.declared.filter((d) => d.type === "databricks:index/grant:Grant")).toEqual([]);
    expect(
      one(mocks.declared, "databricks:index/permissions:Permissions", "old-tracking-experiment")
        .inputs.accessControls,
    ).toEqual([{ groupName: "risk", permissionLevel: "CAN_MANAGE" }]);
    for (const type of [EXPERIMENT, MODEL]) {
      const data = mocks.declared.find((d) => d.type === type)!;
      expect([data.protect, data.retainOnDelete]).toEqual([false, true]);
    }
  });

  test("adopted experiment and model are imported; the legacy workspace model is retained and unprotected", async () => {
    new MlflowTracking("adopted", {
      ...ARGS,
      protect: true,
      importIds: { experiment: "4242", model: "ml_qa.models.legacy" },
      legacyWorkspaceModelName: "acme-fraud-qa",
    });
    await mocks.settle();
    expect(one(mocks.declared, EXPERIMENT, "adopted-experiment").importId).toBe("4242");
    expect(one(mocks.declared, MODEL, "adopted-uc-model").importId).toBe("ml_qa.models.legacy");
    const legacy = one(mocks.declared, "databricks:index/mlflowModel:MlflowModel", "adopted-model");
    expect([legacy.inputs.name, legacy.protect, legacy.retainOnDelete, legacy.parent]).toEqual([
      "acme-fraud-qa",
      false,
      true,
      "adopted",
    ]);
  });
});
