import * as databricks from "@pulumi/databricks";
import * as pulumi from "@pulumi/pulumi";
import { dataResourceOptions } from "./tags";

export interface UnityCatalogModelName {
  /** Catalog holding the environment's models (it exists; the platform may create models in it). */
  catalog: string;
  /** Schema inside the catalog. */
  schema: string;
  /** Model name inside the schema (no dots). */
  name: string;
}

export interface MlflowTrackingArgs {
  /** Workspace path of the experiment (from catalog/names.ts). */
  experimentPath: string;
  /** The service's model in Unity Catalog. */
  model: UnityCatalogModelName;
  /** Bucket (name) holding the experiment's artifacts, under mlflow/. */
  artifactsBucketName: pulumi.Input<string>;
  /** Databricks group of the owning team: manages the experiment, may load (EXECUTE) the model. */
  teamGroup: string;
  /**
   * Application id of the service principal the jobs run as: edits the experiment and owns the
   * model (creates versions, moves aliases). Unset once decommissioned.
   */
  servicePrincipalClientId?: pulumi.Input<string>;
  /**
   * Owner of the model once there is no service principal (a decommissioned service): the
   * platform's own principal, so that a retained model is never owned by a deleted identity.
   */
  retiredOwner: pulumi.Input<string>;
  /**
   * Name of the legacy workspace-registry model of a stack deployed before Unity Catalog: declared
   * unprotected and retained so that dropping it later deletes nothing. Defaults to none.
   */
  legacyWorkspaceModelName?: string;
  /** Adopt existing ones: the experiment's id, the model's full name. Defaults to none. */
  importIds?: { experiment?: string; model?: string };
  tags: Record<string, string>;
  /** Mark experiment and model `protect` (always retained on delete). Defaults to false. */
  protect?: boolean;
}

/**
 * The service's MLflow experiment and its model in Unity Catalog (`<catalog>.<schema>.<model>`),
 * with least-privilege access: the service principal owns the model (Unity Catalog lets only the
 * owner or a metastore admin create versions and set aliases: databricks-sdk RegisteredModels
 * "setAlias"/"deleteAlias": "The caller must be a metastore admin or an owner of the registered
 * model"), the team may read and load it (EXECUTE), and nobody else has a grant on it (the model's
 * `Grants` resource is authoritative).
 */
export class MlflowTracking extends pulumi.ComponentResource {
  public readonly experiment: databricks.MlflowExperiment;
  public readonly model: databricks.RegisteredModel;
  public readonly experimentId: pulumi.Output<string>;
  /** Full Unity Catalog name, `<catalog>.<schema>.<model>`. */
  public readonly registeredModelName: pulumi.Output<string>;

  constructor(name: string, args: MlflowTrackingArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("mlplatform:mlflow:MlflowTracking", name, {}, opts);
    const { protect = false, servicePrincipalClientId: sp, model } = args;
    const data = { parent: this, ...dataResourceOptions(protect) };
    const fullName = `${model.catalog}.${model.schema}.${model.name}`;

    // `description` is left out: the provider marks it deprecated and the API ignores it.
    this.experiment = new databricks.MlflowExperiment(
      `${name}-experiment`,
      {
        name: args.experimentPath,
        artifactLocation: pulumi.interpolate`s3://${args.artifactsBucketName}/mlflow`,
      },
      // An adopted experiment keeps its artifact location: MLflow cannot move one, and the
      // provider would replace the experiment to change it.
      {
        ...data,
        import: args.importIds?.experiment,
        ignoreChanges: args.importIds?.experiment ? ["artifactLocation"] : undefined,
      },
    );
    // Unity Catalog model: versions and aliases live in it, so it is data (retained, protected
    // where asked). The provider's Update sends only owner and comment and its id is the full
    // name (terraform-provider-databricks, pluginfw registered_model resource), so an up never
    // touches the aliases MLflow sets.
    this.model = new databricks.RegisteredModel(
      `${name}-uc-model`,
      {
        catalogName: model.catalog,
        schemaName: model.schema,
        name: model.name,
        comment: `Managed by mlplatform (${args.tags.service ?? name}); aliases champion and challenger.`,
        owner: sp ?? args.retiredOwner,
      },
      // The provider imports a model by its full name (its id).
      { ...data, import: args.importIds?.model },
    );
    if (args.legacyWorkspaceModelName) {
      // Migration only: keeps the old workspace-registry model in the program, unprotected and
      // retained, so the next up lifts `protect` and the one after drops it from the state alone.
      new databricks.MlflowModel(
        `${name}-model`,
        { name: args.legacyWorkspaceModelName },
        { parent: this, ...dataResourceOptions(false) },
      );
    }
    new databricks.Permissions(
      `${name}-experiment`,
      {
        experimentId: this.experiment.id,
        accessControls: [
          { groupName: args.teamGroup, permissionLevel: "CAN_MANAGE" },
          ...(sp ? [{ servicePrincipalName: sp, permissionLevel: "CAN_EDIT" }] : []),
        ],
      },
      { parent: this },
    );
    // Registered models take ALL_PRIVILEGES, APPLY_TAG and EXECUTE (provider docs of
    // databricks.RegisteredModel, "Access Control"); EXECUTE reads and loads versions.
    new databricks.Grants(
      `${name}-uc-model`,
      {
        model: this.model.id,
        grants: [{ principal: args.teamGroup, privileges: ["EXECUTE"] }],
      },
      { parent: this },
    );
    if (sp) {
      // An owner of a model also needs USE_CATALOG and USE_SCHEMA on its parents (same SDK docs).
      new databricks.Grant(
        `${name}-uc-catalog`,
        { catalog: model.catalog, principal: sp, privileges: ["USE_CATALOG"] },
        { parent: this },
      );
      new databricks.Grant(
        `${name}-uc-schema`,
        { schema: `${model.catalog}.${model.schema}`, principal: sp, privileges: ["USE_SCHEMA"] },
        { parent: this },
      );
    }

    this.experimentId = this.experiment.id;
    this.registeredModelName = pulumi.output(fullName);
    this.registerOutputs({
      experimentId: this.experimentId,
      registeredModelName: this.registeredModelName,
    });
  }
}
