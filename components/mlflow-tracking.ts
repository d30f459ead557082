import * as databricks from "@pulumi/databricks";
import * as pulumi from "@pulumi/pulumi";
import { dataResourceOptions } from "./tags";

export interface MlflowTrackingArgs {
  /** Workspace path of the experiment (from lib/names.ts). */
  experimentPath: string;
  /** Registered model name (from lib/names.ts). */
  registeredModelName: string;
  /** Bucket (name) holding the experiment's artifacts, under mlflow/. */
  artifactsBucketName: pulumi.Input<string>;
  /** Databricks group of the owning team. */
  teamGroup: string;
  /** Application id of the service principal the jobs run as (logs runs, moves the champion alias); unset once decommissioned. */
  servicePrincipalClientId?: pulumi.Input<string>;
  description: string;
  tags: Record<string, string>;
  /** Mark experiment and model `protect` (always retained on delete). Defaults to false. */
  protect?: boolean;
}

/** The service's MLflow experiment and registered model, with team permissions. */
export class MlflowTracking extends pulumi.ComponentResource {
  public readonly experiment: databricks.MlflowExperiment;
  public readonly model: databricks.MlflowModel;
  public readonly experimentId: pulumi.Output<string>;
  public readonly registeredModelName: pulumi.Output<string>;

  constructor(name: string, args: MlflowTrackingArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("mlplatform:mlflow:MlflowTracking", name, {}, opts);
    const { protect = false, servicePrincipalClientId: sp } = args;
    const data = { parent: this, ...dataResourceOptions(protect) };

    this.experiment = new databricks.MlflowExperiment(
      `${name}-experiment`,
      {
        name: args.experimentPath,
        artifactLocation: pulumi.interpolate`s3://${args.artifactsBucketName}/mlflow`,
        description: args.description,
      },
      data,
    );
    this.model = new databricks.MlflowModel(
      `${name}-model`,
      {
        name: args.registeredModelName,
        description: args.description,
        tags: Object.entries(args.tags).map(([key, value]) => ({ key, value })),
      },
      data,
    );
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
    new databricks.Permissions(
      `${name}-model`,
      {
        registeredModelId: this.model.registeredModelId,
        accessControls: [
          { groupName: args.teamGroup, permissionLevel: "CAN_MANAGE_PRODUCTION_VERSIONS" },
          ...(sp
            ? [{ servicePrincipalName: sp, permissionLevel: "CAN_MANAGE_PRODUCTION_VERSIONS" }]
            : []),
        ],
      },
      { parent: this },
    );

    this.experimentId = this.experiment.id;
    this.registeredModelName = this.model.name;
    this.registerOutputs({
      experimentId: this.experimentId,
      registeredModelName: this.registeredModelName,
    });
  }
}
