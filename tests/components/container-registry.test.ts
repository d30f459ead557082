/**
 * ContainerRegistry from a purpose-built Args value: one immutable, scanned, KMS-encrypted ECR
 * repository with its lifecycle policy, retained (protected where asked), and the repository
 * policy of grantAccess: named pullers and pushers, every other principal denied.
 */
import { one, policyOf, recordDeclarations, tree } from "./harness";

const mocks = recordDeclarations();

// Imported after setMocks, as a program would.
import { ContainerRegistry } from "../../components/container-registry";

const REPO = "aws:ecr/repository:Repository";
const CLUSTER = "arn:aws:iam::123456789012:role/acme-fraud-qa-cluster";
const CI = "arn:aws:iam::123456789012:role/acme-fraud-qa-ci";
const PROMOTION = "arn:aws:iam::210987654321:role/acme-prod-image-promotion";
const PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"];
const PUSH = [
  "ecr:InitiateLayerUpload",
  "ecr:UploadLayerPart",
  "ecr:CompleteLayerUpload",
  "ecr:PutImage",
];

beforeEach(() => mocks.reset());

describe("ContainerRegistry", () => {
  test("the repository: immutable tags, scan on push, KMS, never force-deleted; retained", async () => {
    new ContainerRegistry("fraud-images", {
      repositoryName: "acme/fraud-qa",
      tags: { service: "fraud" },
    });
    await mocks.settle();
    expect(tree(mocks.declared)).toEqual([
      ["aws:ecr/lifecyclePolicy:LifecyclePolicy", "fraud-images-lifecycle", "fraud-images"],
      [REPO, "fraud-images", "fraud-images"],
      ["mlplatform:aws:ContainerRegistry", "fraud-images", ""],
    ]);
    const repo = one(mocks.declared, REPO, "fraud-images");
    expect(repo.inputs).toEqual({
      name: "acme/fraud-qa",
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfigurations: [{ encryptionType: "KMS" }],
      forceDelete: false,
      tags: { service: "fraud" },
    });
    expect([repo.retainOnDelete, repo.protect, repo.importId]).toEqual([true, false, ""]);
    const lifecycle = one(
      mocks.declared,
      "aws:ecr/lifecyclePolicy:LifecyclePolicy",
      "fraud-images-lifecycle",
    );
    expect(JSON.parse(String(lifecycle.inputs.policy)).rules).toEqual([
      {
        rulePriority: 1,
        description: "Expire untagged images after 7 days",
        selection: {
          tagStatus: "untagged",
          countType: "sinceImagePushed",
          countUnit: "days",
          countNumber: 7,
        },
        action: { type: "expire" },
      },
      {
        rulePriority: 2,
        description: "Keep the newest 50 tagged images",
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 50 },
        action: { type: "expire" },
      },
    ]);
    // No policy until grantAccess.
    expect(
      mocks.declared.filter((d) => d.type === "aws:ecr/repositoryPolicy:RepositoryPolicy"),
    ).toEqual([]);
  });

  test("protect and adopt as asked", async () => {
    new ContainerRegistry("kept", {
      repositoryName: "acme/kept-qa",
      tags: {},
      protect: true,
      importId: "legacy/kept",
      untaggedExpiryDays: 3,
      keepTaggedImages: 10,
    });
    await mocks.settle();
    const repo = one(mocks.declared, REPO, "kept");
    expect([repo.retainOnDelete, repo.protect, repo.importId]).toEqual([true, true, "legacy/kept"]);
    const rules = JSON.parse(
      String(
        one(mocks.declared, "aws:ecr/lifecyclePolicy:LifecyclePolicy", "kept-lifecycle").inputs
          .policy,
      ),
    ).rules;
    expect(
      rules.map((r: { selection: { countNumber: number } }) => r.selection.countNumber),
    ).toEqual([3, 10]);
  });

  test("grantAccess: pulls and pushes by the named roles only (also across accounts), every other principal denied", async () => {
    const registry = new ContainerRegistry("fraud-images", {
      repositoryName: "acme/fraud-qa",
      tags: {},
    });
    registry.grantAccess({ pull: [CLUSTER, PROMOTION], push: [CI] });
    await mocks.settle();
    const policy = one(
      mocks.declared,
      "aws:ecr/repositoryPolicy:RepositoryPolicy",
      "fraud-images-policy",
    );
    expect(policy.parent).toBe("fraud-images");
    expect(policy.inputs.repository).toBe("acme/fraud-qa");
    const readers = [CI, CLUSTER, PROMOTION].sort();
    expect(policyOf(policy).Statement).toEqual([
      {
        Sid: "PullByNamedRoles",
        Effect: "Allow",
        Principal: { AWS: ["arn:aws:iam::123456789012:root", "arn:aws:iam::210987654321:root"] },
        Action: PULL,
        Condition: { ArnLike: { "aws:PrincipalArn": readers } },
      },
      {
        Sid: "PushByNamedRoles",
        Effect: "Allow",
        Principal: { AWS: ["arn:aws:iam::123456789012:root"] },
        Action: [...PULL, ...PUSH],
        Condition: { ArnLike: { "aws:PrincipalArn": [CI] } },
      },
      {
        Sid: "DenyPushByOthers",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: PUSH,
        Condition: { ArnNotLike: { "aws:PrincipalArn": [CI] } },
      },
      {
        Sid: "DenyPullByOthers",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        Condition: { ArnNotLike: { "aws:PrincipalArn": readers } },
      },
    ]);
  });

  test("grantAccess with no pusher: no push allowed, and the deny has no exception", async () => {
    const registry = new ContainerRegistry("frozen", {
      repositoryName: "acme/frozen-qa",
      tags: {},
    });
    registry.grantAccess({ pull: [CLUSTER], push: [] });
    await mocks.settle();
    const statements = policyOf(
      one(mocks.declared, "aws:ecr/repositoryPolicy:RepositoryPolicy", "frozen-policy"),
    ).Statement;
    expect(statements.map((s) => s.Sid)).toEqual([
      "PullByNamedRoles",
      "DenyPushByOthers",
      "DenyPullByOthers",
    ]);
    expect(statements[1]).toEqual({
      Sid: "DenyPushByOthers",
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: PUSH,
    });
  });
});
