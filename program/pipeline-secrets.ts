/**
 * The Drone secrets a service pipeline uses: one definition shared by the Drone integration
 * (which creates them) and the service template's .drone.yml (which references them).
 */
export interface PipelineSecret {
  /** Drone secret name (matches [a-zA-Z0-9-_.]+). */
  name: string;
  description: string;
}

export const PIPELINE_SECRETS = {
  /** IAM role the pipeline assumes (from the runner's own role) to push images. */
  ciRoleArn: {
    name: "aws_ci_role_arn",
    description: "ARN of the service's CI role (assumed by the Drone runner role).",
  },
  /** ECR repository URL images are pushed to. */
  ecrRepositoryUrl: {
    name: "ecr_repository_url",
    description: "The service's ECR repository URL.",
  },
  databricksHost: { name: "databricks_host", description: "Databricks workspace URL." },
  databricksClientId: {
    name: "databricks_client_id",
    description: "Application id of the service's Databricks service principal.",
  },
  databricksClientSecret: {
    name: "databricks_client_secret",
    description: "OAuth secret of the service's Databricks service principal.",
  },
  trainingJobId: {
    name: "databricks_training_job_id",
    description: "Id of the service's Databricks training job.",
  },
  mlflowTrackingUri: {
    name: "mlflow_tracking_uri",
    description: "MLflow tracking URI (databricks).",
  },
  mlflowExperimentId: {
    name: "mlflow_experiment_id",
    description: "Id of the service's MLflow experiment.",
  },
} as const satisfies Record<string, PipelineSecret>;

export type PipelineSecretKey = keyof typeof PIPELINE_SECRETS;
