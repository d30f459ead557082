/**
 * The facts the rules share with each other and with the offline plan: the type tokens the rules
 * name, the data-bearing types and the secret mask. They live here so that policy/ needs nothing
 * outside itself (`pulumi policy publish policy` uploads only this folder); offline/plan imports them
 * from here (through policy/src/shared.ts) instead of keeping copies.
 */

/** Type tokens the rules name. */
export const TYPES = {
  bucket: "aws:s3/bucket:Bucket",
  bucketV2: "aws:s3/bucketV2:BucketV2",
  publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  encryption:
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  encryptionV2:
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  versioning: "aws:s3/bucketVersioning:BucketVersioning",
  versioningV2: "aws:s3/bucketVersioningV2:BucketVersioningV2",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  ecrRepository: "aws:ecr/repository:Repository",
  ecrLifecyclePolicy: "aws:ecr/lifecyclePolicy:LifecyclePolicy",
  ecrRepositoryPolicy: "aws:ecr/repositoryPolicy:RepositoryPolicy",
  iamRole: "aws:iam/role:Role",
  iamRolePolicy: "aws:iam/rolePolicy:RolePolicy",
  iamPolicy: "aws:iam/policy:Policy",
  iamUserPolicy: "aws:iam/userPolicy:UserPolicy",
  iamGroupPolicy: "aws:iam/groupPolicy:GroupPolicy",
  iamInstanceProfile: "aws:iam/instanceProfile:InstanceProfile",
  githubRepository: "github:index/repository:Repository",
  droneSecret: "pulumi-nodejs:dynamic/drone:Secret",
  droneRepositorySecrets: "pulumi-nodejs:dynamic/drone:RepositorySecrets",
  githubVulnerabilityAlerts:
    "github:index/repositoryVulnerabilityAlerts:RepositoryVulnerabilityAlerts",
  githubRuleset: "github:index/repositoryRuleset:RepositoryRuleset",
  githubBranchProtection: "github:index/branchProtection:BranchProtection",
  githubBranchProtectionV3: "github:index/branchProtectionV3:BranchProtectionV3",
  githubBranchDefault: "github:index/branchDefault:BranchDefault",
  githubActionsSecret: "github:index/actionsSecret:ActionsSecret",
  githubActionsEnvironmentSecret: "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
  githubActionsOrganizationSecret:
    "github:index/actionsOrganizationSecret:ActionsOrganizationSecret",
  githubDependabotSecret: "github:index/dependabotSecret:DependabotSecret",
  githubCodespacesSecret: "github:index/codespacesSecret:CodespacesSecret",
  databricksJob: "databricks:index/job:Job",
  droneRepository: "pulumi-nodejs:dynamic/drone:Repository",
  databricksCluster: "databricks:index/cluster:Cluster",
  databricksPermissions: "databricks:index/permissions:Permissions",
  databricksSecret: "databricks:index/secret:Secret",
} as const;

/** Type prefix of resources served by a dynamic provider (the Drone integration). */
export const DYNAMIC_TYPE_PREFIX = "pulumi-nodejs:dynamic";

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
