import * as fs from "fs";
import * as path from "path";
import { secretRotationPeriod } from "../../components/service-identities";
import { runPlan } from "../../offline/plan/run";
import { PlanDocument } from "../../offline/plan/types";
import { PIPELINE_SECRETS } from "../../program/pipeline-secrets";
import {
  copyOfExamples,
  copyOfStacks,
  countByType,
  one,
  resources,
  service,
  statements,
} from "../helpers/plan";

/** The pin of services/product-recommender.yaml (dev and prod). */
const PIN = {
  gitSha: "4b6f0d2c9e8a7b1f3c5d6e7f8091a2b3c4d5e6f7",
  digest: "sha256:9f2c1e7a3b5d4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a",
};

let dev: PlanDocument;
let prod: PlanDocument;
beforeAll(async () => {
  dev = await runPlan({ stack: "dev" });
  prod = await runPlan({ stack: "prod" });
});

const ACCOUNT = "111111111111";
const PROD_ACCOUNT = "222222222222";

describe("what one service gets", () => {
  it("declares exactly these resources (source environment, with batch prediction)", () => {
    const counts = countByType(resources(service(dev, "product-recommender")));
    expect(counts).toEqual({
      "aws:ecr/repository:Repository": 1,
      "aws:ecr/lifecyclePolicy:LifecyclePolicy": 1,
      "aws:ecr/repositoryPolicy:RepositoryPolicy": 1,
      "aws:s3/bucket:Bucket": 2,
      "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 2,
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 2,
      "aws:s3/bucketVersioning:BucketVersioning": 2,
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 2,
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 2,
      "aws:s3/bucketPolicy:BucketPolicy": 2,
      "aws:iam/role:Role": 2,
      "aws:iam/rolePolicy:RolePolicy": 2,
      "aws:iam/instanceProfile:InstanceProfile": 1,
      "databricks:index/instanceProfile:InstanceProfile": 1,
      "databricks:index/servicePrincipal:ServicePrincipal": 1,
      "databricks:index/servicePrincipalSecret:ServicePrincipalSecret": 1,
      "databricks:index/secretScope:SecretScope": 1,
      "databricks:index/secret:Secret": 1,
      "databricks:index/secretAcl:SecretAcl": 1,
      "databricks:index/servicePrincipalRole:ServicePrincipalRole": 1,
      "databricks:index/job:Job": 2,
      "databricks:index/permissions:Permissions": 3,
      "databricks:index/mlflowExperiment:MlflowExperiment": 1,
      "databricks:index/registeredModel:RegisteredModel": 1,
      "databricks:index/grants:Grants": 1,
      "databricks:index/grant:Grant": 2,
      "command:local:Command": 1,
      "github:index/repository:Repository": 1,
      "github:index/repositoryVulnerabilityAlerts:RepositoryVulnerabilityAlerts": 1,
      "github:index/teamRepository:TeamRepository": 1,
      "github:index/repositoryRuleset:RepositoryRuleset": 1,
      "pulumi-nodejs:dynamic/github:Commit": 1,
      "pulumi-nodejs:dynamic/drone:Repository": 1,
      "pulumi-nodejs:dynamic/drone:RepositorySecrets": 1,
    });
  });

  it("has no batch-prediction job when the entry has none, and no repository outside its source environment", () => {
    const search = service(dev, "search-ranking");
    expect(resources(search, "databricks:index/job:Job").map((r) => r.name)).toEqual([
      "search-ranking-jobs-training",
    ]);
    expect(
      resources(service(prod, "product-recommender"), "github:index/repository:Repository"),
    ).toEqual([]);
    expect(
      resources(service(dev, "product-recommender"), "github:index/repository:Repository"),
    ).toHaveLength(1);
  });
});

describe("container registry", () => {
  it("is immutable, scanned on push, KMS-encrypted, with lifecycle rules and scoped access", () => {
    const s = service(dev, "demand-forecast");
    const repo = one(s, "aws:ecr/repository:Repository");
    expect(repo.inputs).toMatchObject({
      name: "mlp/demand-forecast-dev",
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfigurations: [{ encryptionType: "KMS" }],
    });
    expect(repo.inputs.forceDelete).toBeFalsy();
    const rules = JSON.parse(
      String(one(s, "aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs.policy),
    ).rules;
    expect(rules.map((r: { selection: { tagStatus: string } }) => r.selection.tagStatus)).toEqual([
      "untagged",
      "any",
    ]);
    const policy = statements(one(s, "aws:ecr/repositoryPolicy:RepositoryPolicy").inputs.policy);
    const readers = [
      `arn:aws:iam::${ACCOUNT}:role/mlp-demand-forecast-dev-ci`,
      `arn:aws:iam::${ACCOUNT}:role/mlp-demand-forecast-dev-cluster`,
      `arn:aws:iam::${ACCOUNT}:role/mlplatform-deploy-dev`,
      // prod's image-promotion role reads the source registry, across accounts.
      `arn:aws:iam::${PROD_ACCOUNT}:role/mlp-prod-image-promotion`,
    ];
    const writers = [`arn:aws:iam::${ACCOUNT}:role/mlp-demand-forecast-dev-ci`];
    expect(policy).toEqual([
      {
        Sid: "PullByNamedRoles",
        Effect: "Allow",
        Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:root`, `arn:aws:iam::${PROD_ACCOUNT}:root`] },
        Action: [
          "ecr:BatchGetImage",
          "ecr:GetDownloadUrlForLayer",
          "ecr:BatchCheckLayerAvailability",
        ],
        Condition: { ArnLike: { "aws:PrincipalArn": readers } },
      },
      {
        Sid: "PushByNamedRoles",
        Effect: "Allow",
        Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:root`] },
        Action: [
          "ecr:BatchGetImage",
          "ecr:GetDownloadUrlForLayer",
          "ecr:BatchCheckLayerAvailability",
          "ecr:InitiateLayerUpload",
          "ecr:UploadLayerPart",
          "ecr:CompleteLayerUpload",
          "ecr:PutImage",
        ],
        Condition: { ArnLike: { "aws:PrincipalArn": writers } },
      },
      {
        Sid: "DenyPushByOthers",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: [
          "ecr:InitiateLayerUpload",
          "ecr:UploadLayerPart",
          "ecr:CompleteLayerUpload",
          "ecr:PutImage",
        ],
        Condition: { ArnNotLike: { "aws:PrincipalArn": writers } },
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

  it("in production, only the image-promotion role pushes and no CI role exists", () => {
    const s = service(prod, "demand-forecast");
    expect(resources(s, "aws:iam/role:Role").map((r) => r.inputs.name)).toEqual([
      "mlp-demand-forecast-prod-cluster",
    ]);
    const policy = statements(one(s, "aws:ecr/repositoryPolicy:RepositoryPolicy").inputs.policy);
    const push = policy.find((p) => p.Sid === "PushByNamedRoles")!;
    expect(push.Condition).toEqual({
      ArnLike: {
        "aws:PrincipalArn": [`arn:aws:iam::${PROD_ACCOUNT}:role/mlp-prod-image-promotion`],
      },
    });
    expect(policy.find((p) => p.Sid === "DenyPushByOthers")!.Condition).toEqual({
      ArnNotLike: {
        "aws:PrincipalArn": [`arn:aws:iam::${PROD_ACCOUNT}:role/mlp-prod-image-promotion`],
      },
    });
    const allowed = JSON.stringify(policy.filter((p) => p.Effect === "Allow"));
    expect(allowed).not.toContain("drone");
    expect(allowed).not.toContain(`${ACCOUNT}`);
  });
});

describe("platform base image", () => {
  it("services' CI and cluster roles may pull it, and only the deploy role may push it", () => {
    for (const [doc, account, env] of [
      [dev, ACCOUNT, "dev"],
      [prod, PROD_ACCOUNT, "prod"],
    ] as const) {
      const policy = statements(
        doc.platform.resources.find((r) => r.type === "aws:ecr/repositoryPolicy:RepositoryPolicy")!
          .inputs.policy,
      );
      const deploy = `arn:aws:iam::${account}:role/mlplatform-deploy-${env}`;
      const pull = policy.find((p) => p.Sid === "PullByNamedRoles")!;
      expect(pull.Condition).toEqual({
        ArnLike: {
          "aws:PrincipalArn": [
            `arn:aws:iam::${account}:role/mlp-*-${env}-ci`,
            `arn:aws:iam::${account}:role/mlp-*-${env}-cluster`,
            deploy,
          ],
        },
      });
      expect(pull.Action).not.toContain("ecr:PutImage");
      expect(policy.find((p) => p.Sid === "PushByNamedRoles")!.Condition).toEqual({
        ArnLike: { "aws:PrincipalArn": [deploy] },
      });
      expect(policy.find((p) => p.Sid === "DenyPushByOthers")!.Condition).toEqual({
        ArnNotLike: { "aws:PrincipalArn": [deploy] },
      });
    }
  });

  it("the services' roles hold the IAM right to pull it", () => {
    const base = `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/mlp/base-dev`;
    const s = service(dev, "search-ranking");
    for (const suffix of ["-ci", "-cluster"]) {
      const policy = statements(
        resources(s, "aws:iam/rolePolicy:RolePolicy").find((r) => r.name.endsWith(suffix))!.inputs
          .policy,
      );
      expect(policy.find((p) => p.Sid === "PullBaseImage")).toEqual({
        Sid: "PullBaseImage",
        Effect: "Allow",
        Action: [
          "ecr:BatchGetImage",
          "ecr:GetDownloadUrlForLayer",
          "ecr:BatchCheckLayerAvailability",
        ],
        Resource: base,
      });
    }
  });
});

describe("image promotion role", () => {
  it("exists where images are promoted into, trusts only the deploy role, writes only its environment's services", () => {
    expect(dev.platform.resources.filter((r) => r.type === "aws:iam/role:Role")).toEqual([]);
    const role = prod.platform.resources.find((r) => r.type === "aws:iam/role:Role")!;
    expect(role.inputs.name).toBe("mlp-prod-image-promotion");
    expect(statements(role.inputs.assumeRolePolicy)).toEqual([
      {
        Sid: "DeployRoleOnly",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${PROD_ACCOUNT}:role/mlplatform-deploy-prod` },
        Action: ["sts:AssumeRole"],
      },
    ]);
    const policy = statements(
      prod.platform.resources.find(
        (r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.name === "image-promotion",
      )!.inputs.policy,
    );
    expect(policy.find((p) => p.Sid === "ReadSourceImages")!.Resource).toEqual([
      `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/mlp/*-dev`,
    ]);
    const write = policy.find((p) => p.Sid === "WriteTargetImages")!;
    expect(write.Resource).toBe(`arn:aws:ecr:eu-west-1:${PROD_ACCOUNT}:repository/mlp/*-prod`);
    expect(write.Action).toContain("ecr:PutImage");
    expect(policy.find((p) => p.Sid === "NeverTheBaseImage")).toMatchObject({
      Effect: "Deny",
      Resource: `arn:aws:ecr:eu-west-1:${PROD_ACCOUNT}:repository/mlp/base-prod`,
    });
    expect(policy.find((p) => p.Sid === "ReadSourceImages")!.Action).not.toContain("ecr:PutImage");
  });
});

describe("artifact store", () => {
  it.each(["artifacts", "predictions"])(
    "the %s bucket is private, versioned, encrypted, TLS-only, with lifecycle rules",
    (kind) => {
      const s = service(dev, "product-recommender");
      const bucket = one(s, "aws:s3/bucket:Bucket", `-${kind}`);
      expect(bucket.inputs.bucket).toBe(`mlp-product-recommender-dev-${kind}`);
      expect(bucket.inputs.forceDestroy).toBeFalsy();
      expect(bucket.inputs.tags).toMatchObject({
        service: "product-recommender",
        team: "personalization",
        environment: "dev",
        "managed-by": "mlplatform",
      });
      expect(bucket.retainOnDelete).toBe(true);
      expect(bucket.protect).toBe(false);
      const id = bucket.inputs.bucket;
      const pab = one(
        s,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        `-${kind}-public-access-block`,
      );
      expect(pab.inputs).toEqual({
        bucket: id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      expect(
        one(s, "aws:s3/bucketVersioning:BucketVersioning", `-${kind}-versioning`).inputs
          .versioningConfiguration,
      ).toEqual({ status: "Enabled" });
      const sse = one(
        s,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        `-${kind}-encryption`,
      );
      expect(sse.inputs.rules).toEqual([
        { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true },
      ]);
      const lifecycle = one(
        s,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        `-${kind}-lifecycle`,
      );
      expect(lifecycle.inputs.rules).toEqual([
        {
          id: "expire-noncurrent-versions",
          status: "Enabled",
          filter: {},
          noncurrentVersionExpiration: { noncurrentDays: 180 },
        },
        {
          id: "abort-incomplete-uploads",
          status: "Enabled",
          filter: {},
          abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
        },
      ]);
      const [deny] = statements(
        one(s, "aws:s3/bucketPolicy:BucketPolicy", `-${kind}-tls-only`).inputs.policy,
      );
      expect(deny).toEqual({
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: ["s3:*"],
        Resource: [`arn:aws:s3:::${id}`, `arn:aws:s3:::${id}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      });
    },
  );

  it("takes the stack's retention when the entry sets none", () => {
    const lifecycle = one(
      service(dev, "search-ranking"),
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      "-artifacts-lifecycle",
    );
    expect(
      (lifecycle.inputs.rules as { noncurrentVersionExpiration?: { noncurrentDays: number } }[])[0]
        .noncurrentVersionExpiration,
    ).toEqual({ noncurrentDays: 30 });
  });
});

describe("identities", () => {
  it("the CI role is assumable only by the Drone runners' role and may push only its images", () => {
    const s = service(dev, "search-ranking");
    const role = one(s, "aws:iam/role:Role", "-ci");
    expect(statements(role.inputs.assumeRolePolicy)).toEqual([
      {
        Sid: "DroneRunnerOnly",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::111111111111:role/drone-runner-dev" },
        Action: ["sts:AssumeRole"],
      },
    ]);
    const policy = statements(
      resources(s, "aws:iam/rolePolicy:RolePolicy").find((r) => r.name.endsWith("-ci"))!.inputs
        .policy,
    );
    const push = policy.find((p) => p.Sid === "PushServiceImages")!;
    expect(push.Resource).toBe(
      `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/mlp/search-ranking-dev`,
    );
    // The pipeline reads the digest of what it pushed (.drone.yml's image-digest step).
    expect(push.Action).toContain("ecr:DescribeImages");
    expect(policy.find((p) => p.Sid === "ReadWriteCiPrefix")!.Resource).toBe(
      "arn:aws:s3:::mlp-search-ranking-dev-artifacts/ci/*",
    );
  });

  it("the cluster role is for EC2 and reaches only its own buckets and images", () => {
    const s = service(dev, "search-ranking");
    expect(
      statements(one(s, "aws:iam/role:Role", "-cluster").inputs.assumeRolePolicy)[0].Principal,
    ).toEqual({ Service: "ec2.amazonaws.com" });
    const policy = statements(
      resources(s, "aws:iam/rolePolicy:RolePolicy").find((r) => r.name.endsWith("-cluster"))!.inputs
        .policy,
    );
    expect(policy.find((p) => p.Sid === "ReadWriteServiceObjects")!.Resource).toEqual([
      "arn:aws:s3:::mlp-search-ranking-dev-artifacts/*",
      "arn:aws:s3:::mlp-search-ranking-dev-predictions/*",
    ]);
  });

  it("no policy allows a * action, and * resources only for ecr:GetAuthorizationToken", () => {
    for (const doc of [dev, prod]) {
      for (const s of doc.services) {
        for (const r of resources(s, "aws:iam/rolePolicy:RolePolicy")) {
          for (const st of statements(r.inputs.policy)) {
            expect(st.Action.some((a) => a === "*" || a.endsWith(":*"))).toBe(false);
            const targets = ([] as string[]).concat(st.Resource ?? []);
            if (targets.includes("*")) expect(st.Action).toEqual(["ecr:GetAuthorizationToken"]);
          }
        }
      }
    }
  });

  it("two services' policies never name each other's ARNs", () => {
    // Shared principals every service names on purpose: the runners, the deploy role, the
    // promotion role, the base image, and the account roots that scope ArnLike conditions.
    const shared = (arn: string) =>
      arn.endsWith(":root") ||
      /drone-runner|mlplatform-deploy|image-promotion|repository\/mlp\/base-/.test(arn);
    const arnsOf = (name: string) =>
      resources(service(dev, name))
        .filter(
          (r) =>
            r.type === "aws:iam/rolePolicy:RolePolicy" ||
            r.type === "aws:ecr/repositoryPolicy:RepositoryPolicy" ||
            r.type === "aws:s3/bucketPolicy:BucketPolicy",
        )
        .flatMap((r) => statements(r.inputs.policy))
        .flatMap((st) => [
          ...([] as string[]).concat(st.Resource ?? []),
          ...Object.values(st.Principal ?? {}).flat(),
          ...Object.values(st.Condition ?? {})
            .flatMap((c) => Object.values(c as Record<string, string | string[]>))
            .flat()
            .filter((v): v is string => typeof v === "string" && v.startsWith("arn:")),
        ])
        .filter((arn) => arn !== "*" && !shared(arn));
    const names = dev.services.map((s) => s.name);
    for (const a of names) {
      const arns = arnsOf(a);
      expect(arns.length).toBeGreaterThan(5);
      for (const arn of arns) {
        expect(arn).toContain(a);
        for (const b of names.filter((n) => n !== a && !n.startsWith(a)))
          expect(arn).not.toContain(b);
      }
    }
  });

  it("uses an OAuth secret of a service principal, kept secret", () => {
    const s = service(dev, "search-ranking");
    expect(one(s, "databricks:index/servicePrincipal:ServicePrincipal").inputs).toMatchObject({
      displayName: "mlp-search-ranking-dev-ci",
      allowClusterCreate: false,
      workspaceAccess: false,
    });
    expect(one(s, "databricks:index/secret:Secret").inputs).toEqual({
      scope: "mlp-search-ranking-dev",
      key: "databricks-client-secret",
      stringValue: "[secret]",
    });
  });
});

describe("source repository", () => {
  it("is private or internal, archived on destroy, alerted, with the team and a protected default branch", () => {
    const s = service(dev, "search-ranking");
    const repo = one(s, "github:index/repository:Repository");
    expect(repo.inputs).toMatchObject({
      name: "search-ranking",
      visibility: "internal",
      archiveOnDestroy: true,
      topics: ["ml-service", "search", "sklearn"],
    });
    expect(repo.inputs.securityAndAnalysis).toEqual({
      secretScanning: { status: "enabled" },
      secretScanningPushProtection: { status: "enabled" },
    });
    expect(repo.retainOnDelete).toBe(true);
    expect(
      one(s, "github:index/repositoryVulnerabilityAlerts:RepositoryVulnerabilityAlerts").inputs,
    ).toEqual({ repository: "search-ranking", enabled: true });
    expect(one(s, "github:index/teamRepository:TeamRepository").inputs).toEqual({
      teamId: "search",
      repository: "search-ranking",
      permission: "maintain",
    });
    const rules = one(s, "github:index/repositoryRuleset:RepositoryRuleset").inputs as Record<
      string,
      Record<string, unknown>
    >;
    expect(rules.conditions).toEqual({ refName: { includes: ["~DEFAULT_BRANCH"], excludes: [] } });
    expect(rules.rules).toMatchObject({
      deletion: true,
      nonFastForward: true,
      pullRequest: { requiredApprovingReviewCount: 1, requireCodeOwnerReview: true },
      requiredStatusChecks: { requiredChecks: [{ context: "continuous-integration/drone/pr" }] },
    });
    expect(
      one(service(dev, "product-recommender"), "github:index/repository:Repository").inputs
        .visibility,
    ).toBe("private");
  });
});

describe("Drone CI and repository content", () => {
  it("activates the repository and gives it exactly the pipeline's secrets, masked, never to pull requests", () => {
    const s = service(dev, "product-recommender");
    const repo = one(s, "pulumi-nodejs:dynamic/drone:Repository");
    expect(repo.inputs).toMatchObject({
      owner: "acme-ml",
      name: "product-recommender",
      token: "[secret]",
    });
    expect(resources(s, "pulumi-nodejs:dynamic/drone:Secret")).toEqual([]);
    const set = one(s, "pulumi-nodejs:dynamic/drone:RepositorySecrets");
    expect(set.name).toBe("product-recommender-ci-secrets");
    expect(set.inputs).toEqual({
      __provider: "[dynamic provider code]",
      server: "https://drone.acme-ml.example",
      token: "[secret]",
      repository: "acme-ml/product-recommender",
      // Every pipeline secret by name, none readable by pull-request builds; values masked.
      exposure: Object.fromEntries(
        Object.values(PIPELINE_SECRETS).map((p) => [
          p.name,
          { pullRequest: false, pullRequestPush: false },
        ]),
      ),
      values: "[secret]",
    });
    expect(
      resources(
        service(prod, "product-recommender"),
        "pulumi-nodejs:dynamic/drone:RepositorySecrets",
      ),
    ).toEqual([]);
  });

  it("commits the rendered template to the default branch in one commit, and no sync branch on first deployment", () => {
    const s = service(dev, "search-ranking");
    expect(resources(s, "github:index/repositoryFile:RepositoryFile")).toEqual([]);
    const commit = one(s, "pulumi-nodejs:dynamic/github:Commit");
    expect(commit.name).toBe("search-ranking-content-scaffold");
    const files = commit.inputs.files as { path: string; content: string }[];
    expect(files.map((f) => f.path)).toEqual(
      expect.arrayContaining([".drone.yml", "CODEOWNERS", "Dockerfile", "README.md"]),
    );
    expect(files).toHaveLength(27);
    expect(commit.inputs).toMatchObject({
      apiUrl: "https://api.github.com",
      owner: "acme-ml",
      repository: "search-ranking",
      branch: "main",
      token: "[secret]",
    });
    expect(commit.inputs.fromBranch).toBeUndefined();
    expect(commit.ignoreChanges).toEqual(["files", "message", "authorName", "authorEmail"]);
    expect(resources(s, "pulumi-nodejs:dynamic/github:Commit")).toHaveLength(1);
    expect(resources(s, "github:index/repositoryPullRequest:RepositoryPullRequest")).toEqual([]);
    expect(s.outputs.managedFiles).toEqual(
      expect.objectContaining({ ".drone.yml": expect.stringMatching(/^[0-9a-f]{64}$/) }),
    );
  });
});

describe("Databricks jobs", () => {
  it("run the service's image on a new cluster sized by the entry, as the service principal, on schedule", () => {
    const s = service(dev, "product-recommender");
    const job = one(s, "databricks:index/job:Job", "-training");
    const spId = one(s, "databricks:index/servicePrincipal:ServicePrincipal");
    const task = (job.inputs.tasks as Record<string, Record<string, unknown>>[])[0];
    expect(job.inputs).toMatchObject({
      name: "mlp-product-recommender-dev-training",
      maxConcurrentRuns: 1,
      timeoutSeconds: 240 * 60,
      schedule: {
        quartzCronExpression: "0 0 3 ? * 2",
        timezoneId: "Europe/Berlin",
        pauseStatus: "UNPAUSED",
      },
      emailNotifications: { onFailures: ["personalization-oncall@acme-ml.example"] },
    });
    expect(task.maxRetries).toBe(2);
    expect(task.newCluster).toMatchObject({
      nodeTypeId: "i3.2xlarge",
      numWorkers: 4,
      // The pinned image (services/product-recommender.yaml images.dev), after its verification.
      dockerImage: {
        url: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/mlp/product-recommender-dev:${PIN.gitSha}`,
      },
      awsAttributes: {
        instanceProfileArn: `arn:aws:iam::${ACCOUNT}:instance-profile/mlp-product-recommender-dev-cluster`,
      },
    });
    const env = task.newCluster.sparkEnvVars as Record<string, string>;
    expect(env.DATABRICKS_CLIENT_SECRET).toBe(
      "{{secrets/mlp-product-recommender-dev/databricks-client-secret}}",
    );
    expect(env.MLFLOW_EXPERIMENT_ID).toMatch(/^\d+$/);
    expect(env.MLFLOW_REGISTERED_MODEL).toBe("ml_dev.models.product_recommender");
    expect(env.MLFLOW_REGISTRY_URI).toBe("databricks-uc");
    expect(env.MLFLOW_TRACKING_URI).toBe("databricks");
    expect(job.inputs.parameters).toEqual([
      { name: "git_sha", default: PIN.gitSha },
      { name: "image_tag", default: PIN.gitSha },
      { name: "image_digest", default: PIN.digest },
    ]);
    expect((task.sparkPythonTask as { pythonFile: string }).pythonFile).toBe(
      "file:/app/src/product_recommender/train.py",
    );
    // Declared, never ignored: `pulumi up` and the job cannot disagree.
    expect(job.ignoreChanges ?? []).toEqual([]);
    expect((job.inputs.runAs as { servicePrincipalName: string }).servicePrincipalName).toMatch(
      /^[0-9a-f-]{36}$/,
    );
    expect(spId).toBeDefined();
    const perms = resources(s, "databricks:index/permissions:Permissions").find(
      (r) => r.name === "product-recommender-jobs-training",
    )!;
    expect(
      (perms.inputs.accessControls as { groupName?: string; permissionLevel: string }[]).map(
        (a) => [a.groupName ?? "service principal", a.permissionLevel],
      ),
    ).toEqual([
      ["personalization", "CAN_MANAGE_RUN"],
      ["service principal", "CAN_MANAGE"],
    ]);
  });

  it("both jobs run the same pinned image, copied by digest into prod before any job points at it", () => {
    const s = service(prod, "product-recommender");
    const image = `${PROD_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/mlp/product-recommender-prod:${PIN.gitSha}`;
    const jobs = resources(s, "databricks:index/job:Job");
    expect(jobs).toHaveLength(2);
    for (const job of jobs) {
      const task = (job.inputs.tasks as Record<string, Record<string, unknown>>[])[0];
      expect(task.newCluster.dockerImage).toEqual({ url: image });
    }
    const copy = one(s, "command:local:Command");
    expect(copy.inputs.environment).toEqual({
      SOURCE: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/mlp/product-recommender-dev`,
      TARGET: `${PROD_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/mlp/product-recommender-prod`,
      GIT_SHA: PIN.gitSha,
      DIGEST: PIN.digest,
      REGION: "eu-west-1",
      ROLE_ARN: `arn:aws:iam::${PROD_ACCOUNT}:role/mlp-prod-image-promotion`,
      SESSION_POLICY: expect.any(String),
    });
    // The session narrows the promotion role to this one source and this one target repository.
    const session = statements((copy.inputs.environment as Record<string, string>).SESSION_POLICY);
    expect(session.find((p) => p.Sid === "ReadSource")!.Resource).toBe(
      `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/mlp/product-recommender-dev`,
    );
    expect(session.find((p) => p.Sid === "WriteTarget")!.Resource).toBe(
      `arn:aws:ecr:eu-west-1:${PROD_ACCOUNT}:repository/mlp/product-recommender-prod`,
    );
    expect(copy.inputs.delete).toBeUndefined();
  });

  it("run the base image's placeholder, which exists, until an image is pinned", () => {
    const s = service(prod, "demand-forecast");
    expect(resources(s, "command:local:Command")).toEqual([]);
    for (const job of resources(s, "databricks:index/job:Job")) {
      const task = (job.inputs.tasks as Record<string, Record<string, unknown>>[])[0];
      expect((task.newCluster.dockerImage as { url: string }).url).toMatch(
        new RegExp(
          `^${PROD_ACCOUNT}\\.dkr\\.ecr\\.eu-west-1\\.amazonaws\\.com/mlp/base-prod:base-[0-9a-f]{12}$`,
        ),
      );
      expect((task.sparkPythonTask as { pythonFile: string }).pythonFile).toBe(
        "file:/opt/mlplatform/no_model_yet.py",
      );
    }
  });

  it("plan a complete single-node cluster for workers: 0", () => {
    const job = one(service(dev, "search-ranking"), "databricks:index/job:Job", "-training");
    const cluster = (job.inputs.tasks as Record<string, Record<string, unknown>>[])[0].newCluster;
    expect(cluster.numWorkers).toBe(0);
    expect(cluster.sparkConf).toEqual({
      "spark.databricks.cluster.profile": "singleNode",
      "spark.master": "local[*]",
    });
    expect((cluster.customTags as Record<string, string>).ResourceClass).toBe("SingleNode");
    const multi = one(service(dev, "product-recommender"), "databricks:index/job:Job", "-training");
    const multiCluster = (multi.inputs.tasks as Record<string, Record<string, unknown>>[])[0]
      .newCluster;
    expect(multiCluster.sparkConf).toBeUndefined();
    expect((multiCluster.customTags as Record<string, string>).ResourceClass).toBeUndefined();
  });

  it("the service principal may use its own instance profile", () => {
    const s = service(dev, "search-ranking");
    expect(one(s, "databricks:index/servicePrincipalRole:ServicePrincipalRole").inputs).toEqual({
      servicePrincipalId: expect.stringMatching(/^\d+$/),
      role: `arn:aws:iam::${ACCOUNT}:instance-profile/mlp-search-ranking-dev-cluster`,
    });
  });

  it("the owning stack turns Databricks Container Services on, retained so a removal never turns it off", () => {
    const conf = dev.platform.resources.find(
      (r) => r.type === "databricks:index/workspaceConf:WorkspaceConf",
    )!;
    expect(conf.inputs).toEqual({ customConfig: { enableDcs: "true" } });
    expect(conf.retainOnDelete).toBe(true);
  });

  it("the workspace's cross-account role may pass exactly this environment's cluster roles", () => {
    const pass = dev.platform.resources.find((r) => r.name === "databricks-pass-cluster-roles")!;
    expect(pass.inputs.role).toBe("databricks-cross-account-dev");
    expect(statements(pass.inputs.policy)).toEqual([
      {
        Sid: "PassServiceClusterRoles",
        Effect: "Allow",
        Action: ["iam:PassRole"],
        Resource: `arn:aws:iam::${ACCOUNT}:role/mlp-*-dev-cluster`,
      },
    ]);
    // Registration right after the role is created would fail on IAM propagation.
    const profile = one(
      service(dev, "search-ranking"),
      "databricks:index/instanceProfile:InstanceProfile",
    );
    expect(profile.inputs.skipValidation).toBe(true);
  });

  it("the service principal's OAuth secret has a lifetime and rotates every half of it", () => {
    const secret = one(
      service(dev, "search-ranking"),
      "databricks:index/servicePrincipalSecret:ServicePrincipalSecret",
    );
    expect(secret.inputs.lifetime).toBe(`${90 * 86400}s`);
    expect(secret.replacementTrigger).toBe(secretRotationPeriod(90));
    const day = 86_400_000;
    // Periods are 45 days long: the same within one, the next one after.
    expect(secretRotationPeriod(90, 0)).toBe("rotation-90d-0");
    expect(secretRotationPeriod(90, 45 * day - 1)).toBe("rotation-90d-0");
    expect(secretRotationPeriod(90, 45 * day)).toBe("rotation-90d-1");
  });

  it("leave scheduling to Airflow when the stack's orchestrator is airflow", () => {
    const job = one(service(prod, "product-recommender"), "databricks:index/job:Job", "-training");
    expect(job.inputs.schedule).toBeUndefined();
    // Airflow's task retries the run: the Databricks task does not retry as well.
    expect((job.inputs.tasks as { maxRetries: number }[])[0].maxRetries).toBe(0);
  });
});

describe("MLflow", () => {
  it("has an experiment in the artifacts bucket and a registered model, retained", () => {
    const s = service(dev, "demand-forecast");
    const experiment = one(s, "databricks:index/mlflowExperiment:MlflowExperiment");
    expect(experiment.inputs).toMatchObject({
      name: "/Shared/mlp/dev/demand-forecast",
      artifactLocation: "s3://mlp-demand-forecast-dev-artifacts/mlflow",
    });
    expect(experiment.inputs.description).toBeUndefined();
    expect(resources(s, "databricks:index/mlflowModel:MlflowModel")).toEqual([]);
    const model = one(s, "databricks:index/registeredModel:RegisteredModel");
    const job = one(s, "databricks:index/job:Job", "-training");
    const runAs = (job.inputs.runAs as { servicePrincipalName: string }).servicePrincipalName;
    expect(model.inputs).toMatchObject({
      catalogName: "ml_dev",
      schemaName: "models",
      name: "demand_forecast",
      // The principal the jobs run as owns it: only an owner creates versions and moves aliases.
      owner: runAs,
    });
    expect(runAs).toMatch(/^[0-9a-f-]{36}$/);
    expect(model.retainOnDelete).toBe(true);
    expect(experiment.retainOnDelete).toBe(true);
    // Authoritative on the model: the team may load it (EXECUTE), nobody else has a grant.
    expect(one(s, "databricks:index/grants:Grants").inputs).toEqual({
      model: "ml_dev.models.demand_forecast",
      grants: [{ principal: "supply-chain", privileges: ["EXECUTE"] }],
    });
    expect(
      resources(s, "databricks:index/grant:Grant").map((g) => [
        g.inputs.catalog ?? g.inputs.schema,
        g.inputs.privileges,
      ]),
    ).toEqual([
      ["ml_dev", ["USE_CATALOG"]],
      ["ml_dev.models", ["USE_SCHEMA"]],
    ]);
    expect(s.outputs).toMatchObject({
      registeredModel: "ml_dev.models.demand_forecast",
      artifactsBucket: "mlp-demand-forecast-dev-artifacts",
    });
  });

  it("keeps the legacy workspace model only while migrating, unprotected and retained", async () => {
    const stacks = copyOfStacks({ prod: { legacyWorkspaceModels: true } });
    const migrating = await runPlan({ stack: "prod", stacksDir: stacks });
    const legacy = one(
      service(migrating, "demand-forecast"),
      "databricks:index/mlflowModel:MlflowModel",
    );
    expect(legacy.inputs).toEqual({ name: "mlp-demand-forecast-prod" });
    expect(legacy.protect).toBe(false);
    expect(legacy.retainOnDelete).toBe(true);
    expect(
      resources(service(prod, "demand-forecast"), "databricks:index/mlflowModel:MlflowModel"),
    ).toEqual([]);
  });

  it("the environment's owning stack declares the experiments' folder and the teams' use of the model schema", () => {
    const folder = dev.platform.resources.find(
      (r) => r.type === "databricks:index/directory:Directory",
    )!;
    expect(folder.inputs).toEqual({ path: "/Shared/mlp/dev", deleteRecursive: false });
    expect(folder.retainOnDelete).toBe(true);
    const grants = dev.platform.resources
      .filter((r) => r.type === "databricks:index/grant:Grant")
      .map((g) => [g.inputs.principal, g.inputs.catalog ?? g.inputs.schema, g.inputs.privileges]);
    expect(grants).toEqual([
      ["personalization", "ml_dev", ["USE_CATALOG"]],
      ["personalization", "ml_dev.models", ["USE_SCHEMA"]],
      ["search", "ml_dev", ["USE_CATALOG"]],
      ["search", "ml_dev.models", ["USE_SCHEMA"]],
      ["supply-chain", "ml_dev", ["USE_CATALOG"]],
      ["supply-chain", "ml_dev.models", ["USE_SCHEMA"]],
    ]);
  });
});

describe("data safety", () => {
  const DATA = [
    "aws:s3/bucket:Bucket",
    "aws:ecr/repository:Repository",
    "github:index/repository:Repository",
    "databricks:index/mlflowExperiment:MlflowExperiment",
    "databricks:index/registeredModel:RegisteredModel",
  ];

  it("retains every data-bearing resource, and protects them in prod", () => {
    // dev: 3 services x (2 buckets, ECR, repository, experiment, model); prod: 2 x the same without the repository.
    for (const [doc, expected] of [
      [dev, 18],
      [prod, 10],
    ] as const) {
      const data = doc.services.flatMap((s) => s.resources).filter((r) => DATA.includes(r.type));
      expect(data).toHaveLength(expected);
      for (const r of data) {
        expect(r.retainOnDelete).toBe(true);
        expect(r.protect).toBe(doc.stack === "prod");
      }
    }
  });

  it("removing one service leaves every other service's resources byte-identical", async () => {
    const dir = copyOfExamples();
    fs.unlinkSync(path.join(dir, "search-ranking.yaml"));
    const without = await runPlan({ stack: "dev", servicesDir: dir });
    expect(without.services.map((s) => s.name)).toEqual(["demand-forecast", "product-recommender"]);
    for (const s of without.services) {
      expect(JSON.stringify(s.resources)).toBe(JSON.stringify(service(dev, s.name).resources));
    }
  });
});
