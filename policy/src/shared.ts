/**
 * The two facts the rules share with the offline plan. They live here so that policy/ needs nothing
 * outside itself (`pulumi policy publish policy` uploads only this folder); lib/plan keeps the same
 * values, and tests/policy/pack-self-contained.test.ts fails if the two ever differ.
 */

/** Resource types whose deletion loses data (buckets, images, repositories, experiments, models). */
export const DATA_BEARING_TYPES: ReadonlySet<string> = new Set([
  "aws:s3/bucket:Bucket",
  "aws:ecr/repository:Repository",
  "github:index/repository:Repository",
  "databricks:index/mlflowExperiment:MlflowExperiment",
  "databricks:index/mlflowModel:MlflowModel",
  "databricks:index/registeredModel:RegisteredModel",
  "databricks:index/directory:Directory",
]);

/** What a secret input looks like in the offline plan (the pack sees secrets unwrapped). */
export const SECRET_MASK = "[secret]";
