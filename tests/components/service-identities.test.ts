/**
 * ServiceIdentities from a purpose-built Args value: the exact trust and inline policies of the CI
 * and cluster roles, the Databricks principal's entitlements and secret, and no CI identity where
 * none is asked for (every environment but the one that builds images).
 */
import { one, policyOf, recordDeclarations, tree } from "./harness";

const mocks = recordDeclarations((a) => ({
  ...a.inputs,
  arn: `arn:mock:${a.name}`,
  ...(a.type === "databricks:index/servicePrincipal:ServicePrincipal"
    ? { applicationId: "app-123" }
    : {}),
  ...(a.type === "databricks:index/servicePrincipalSecret:ServicePrincipalSecret"
    ? { secret: "s3cr3t" }
    : {}),
}));

// Imported after setMocks, as a program would.
import { ServiceIdentities, ServiceIdentitiesArgs } from "../../components/service-identities";

const ECR = "arn:aws:ecr:eu-west-1:123456789012:repository/acme/fraud-qa";
const BASE = "arn:aws:ecr:eu-west-1:123456789012:repository/acme/base-qa";
const ARTIFACTS = "arn:aws:s3:::acme-fraud-qa-artifacts";
const PREDICTIONS = "arn:aws:s3:::acme-fraud-qa-predictions";
const RUNNER = "arn:aws:iam::123456789012:role/drone-runner";
const PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"];
const PUSH = [
  "ecr:InitiateLayerUpload",
  "ecr:UploadLayerPart",
  "ecr:CompleteLayerUpload",
  "ecr:PutImage",
];

const ARGS: ServiceIdentitiesArgs = {
  ci: { roleName: "acme-fraud-qa-ci", droneRunnerRoleArn: RUNNER },
  clusterRoleName: "acme-fraud-qa-cluster",
  servicePrincipalName: "acme-fraud-qa-ci",
  ecrRepositoryArn: ECR,
  baseImageRepositoryArn: BASE,
  artifactsBucketArn: ARTIFACTS,
  predictionsBucketArn: PREDICTIONS,
  secretLifetimeDays: 30,
  secretRotation: "rotation-30d-7",
  tags: { service: "fraud" },
};

beforeEach(() => mocks.reset());

describe("ServiceIdentities", () => {
  test("with a CI identity: every piece, parented in the component", async () => {
    new ServiceIdentities("fraud-identities", ARGS);
    await mocks.settle();
    const p = "fraud-identities";
    expect(tree(mocks.declared)).toEqual([
      ["aws:iam/instanceProfile:InstanceProfile", `${p}-cluster`, p],
      ["aws:iam/role:Role", `${p}-ci`, p],
      ["aws:iam/role:Role", `${p}-cluster`, p],
      ["aws:iam/rolePolicy:RolePolicy", `${p}-ci`, p],
      ["aws:iam/rolePolicy:RolePolicy", `${p}-cluster`, p],
      ["databricks:index/instanceProfile:InstanceProfile", `${p}-cluster`, p],
      ["databricks:index/servicePrincipal:ServicePrincipal", `${p}-ci`, p],
      ["databricks:index/servicePrincipalRole:ServicePrincipalRole", `${p}-instance-profile`, p],
      ["databricks:index/servicePrincipalSecret:ServicePrincipalSecret", `${p}-ci`, p],
      ["mlplatform:identity:ServiceIdentities", p, ""],
    ]);
  });

  test("the CI role: assumable only by the Drone runners' role; push this repository, read the base image, ci/ only", async () => {
    new ServiceIdentities("fraud-identities", ARGS);
    await mocks.settle();
    const role = one(mocks.declared, "aws:iam/role:Role", "fraud-identities-ci");
    expect(role.inputs.name).toBe("acme-fraud-qa-ci");
    expect(role.inputs.maxSessionDuration).toBe(3600);
    expect(policyOf(role, "assumeRolePolicy").Statement).toEqual([
      {
        Sid: "DroneRunnerOnly",
        Effect: "Allow",
        Principal: { AWS: RUNNER },
        Action: ["sts:AssumeRole"],
      },
    ]);
    const policy = one(mocks.declared, "aws:iam/rolePolicy:RolePolicy", "fraud-identities-ci");
    expect(policy.inputs.role).toBe("fraud-identities-ci-id");
    expect(policyOf(policy).Statement).toEqual([
      { Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
      {
        Sid: "PushServiceImages",
        Effect: "Allow",
        Action: [...PULL, ...PUSH, "ecr:DescribeImages"],
        Resource: ECR,
      },
      { Sid: "PullBaseImage", Effect: "Allow", Action: PULL, Resource: BASE },
      {
        Sid: "ListCiPrefix",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: ARTIFACTS,
        Condition: { StringLike: { "s3:prefix": ["ci/*"] } },
      },
      {
        Sid: "ReadWriteCiPrefix",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject"],
        Resource: `${ARTIFACTS}/ci/*`,
      },
    ]);
  });

  test("the cluster role: EC2 only; pull this repository and the base image; this service's two buckets", async () => {
    new ServiceIdentities("fraud-identities", ARGS);
    await mocks.settle();
    const role = one(mocks.declared, "aws:iam/role:Role", "fraud-identities-cluster");
    expect(policyOf(role, "assumeRolePolicy").Statement).toEqual([
      {
        Sid: "Ec2Instances",
        Effect: "Allow",
        Principal: { Service: "ec2.amazonaws.com" },
        Action: ["sts:AssumeRole"],
      },
    ]);
    expect(
      policyOf(one(mocks.declared, "aws:iam/rolePolicy:RolePolicy", "fraud-identities-cluster"))
        .Statement,
    ).toEqual([
      { Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
      { Sid: "PullServiceImages", Effect: "Allow", Action: PULL, Resource: ECR },
      { Sid: "PullBaseImage", Effect: "Allow", Action: PULL, Resource: BASE },
      {
        Sid: "ListServiceBuckets",
        Effect: "Allow",
        Action: ["s3:ListBucket", "s3:GetBucketLocation"],
        Resource: [ARTIFACTS, PREDICTIONS],
      },
      {
        Sid: "ReadWriteServiceObjects",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        Resource: [`${ARTIFACTS}/*`, `${PREDICTIONS}/*`],
      },
    ]);
    expect(
      one(mocks.declared, "aws:iam/instanceProfile:InstanceProfile", "fraud-identities-cluster")
        .inputs,
    ).toEqual({
      name: "acme-fraud-qa-cluster",
      role: "acme-fraud-qa-cluster",
      tags: { service: "fraud" },
    });
    expect(
      one(
        mocks.declared,
        "databricks:index/instanceProfile:InstanceProfile",
        "fraud-identities-cluster",
      ).inputs,
    ).toEqual({
      instanceProfileArn: "arn:mock:fraud-identities-cluster",
      iamRoleArn: "arn:mock:fraud-identities-cluster",
      skipValidation: true,
    });
  });

  test("the service principal: no entitlement of its own; its secret has a lifetime, a rotation, and stays secret", async () => {
    const identities = new ServiceIdentities("fraud-identities", ARGS);
    await mocks.settle();
    expect(
      one(
        mocks.declared,
        "databricks:index/servicePrincipal:ServicePrincipal",
        "fraud-identities-ci",
      ).inputs,
    ).toEqual({
      displayName: "acme-fraud-qa-ci",
      allowClusterCreate: false,
      allowInstancePoolCreate: false,
      databricksSqlAccess: false,
      workspaceAccess: false,
    });
    const secret = one(
      mocks.declared,
      "databricks:index/servicePrincipalSecret:ServicePrincipalSecret",
      "fraud-identities-ci",
    );
    expect(secret.inputs).toEqual({
      servicePrincipalId: "fraud-identities-ci-id",
      lifetime: "2592000s",
    });
    expect(secret.additionalSecretOutputs).toContain("secret");
    expect(
      one(
        mocks.declared,
        "databricks:index/servicePrincipalRole:ServicePrincipalRole",
        "fraud-identities-instance-profile",
      ).inputs,
    ).toEqual({
      servicePrincipalId: "fraud-identities-ci-id",
      role: "fraud-identities-cluster-id",
    });
    const value = await new Promise((resolve) => identities.servicePrincipalSecret.apply(resolve));
    expect(value).toBe("s3cr3t");
    // The program hands it on as a secret (the Databricks secret scope, the Drone secrets).
    expect(
      await (identities.servicePrincipalSecret as unknown as { isSecret: Promise<boolean> })
        .isSecret,
    ).toBe(true);
  });

  test("without a CI identity (any environment but the one that builds): no CI role, no CI policy", async () => {
    const identities = new ServiceIdentities("prod-identities", { ...ARGS, ci: undefined });
    await mocks.settle();
    expect(identities.ciRole).toBeUndefined();
    expect(
      mocks.declared
        .filter((d) => d.name === "prod-identities-ci")
        .map((d) => d.type)
        .sort(),
    ).toEqual([
      "databricks:index/servicePrincipal:ServicePrincipal",
      "databricks:index/servicePrincipalSecret:ServicePrincipalSecret",
    ]);
    expect(mocks.declared.filter((d) => d.type.startsWith("aws:iam/role"))).toHaveLength(2);
  });
});
