/**
 * Each rule on hand-built resources: the compliant service has no finding at all, and each edit
 * that breaks one rule yields exactly that rule's finding (and nothing from the other rules).
 */
import { PlanResource } from "../../offline/plan/types";
import { evaluatePolicies } from "../../offline/policy/evaluate";
import { RULES, TYPES, UNSCOPED_ACTIONS } from "../../policy/src/rules";
import {
  BUCKET_NAME,
  compliantService,
  find,
  finding,
  findingsAfter,
  JOB_ID,
  planOf,
  policyJson,
  remove,
  resource,
  TAGS,
  TLS_ONLY,
  urnOf,
} from "./fixtures";

const bucketUrn = urnOf(TYPES.bucket, "svc-artifacts");
const pabUrn = urnOf(TYPES.publicAccessBlock, "svc-artifacts-public-access-block");
const bucketPolicyUrn = urnOf(TYPES.bucketPolicy, "svc-artifacts-tls-only");
const ecrUrn = urnOf(TYPES.ecrRepository, "svc-images");
const ecrPolicyUrn = urnOf(TYPES.ecrRepositoryPolicy, "svc-images-policy");
const roleUrn = urnOf(TYPES.iamRole, "svc-ci");
const rolePolicyUrn = urnOf(TYPES.iamRolePolicy, "svc-ci");
const repoUrn = urnOf(TYPES.githubRepository, "svc-repo");
const jobUrn = urnOf(TYPES.databricksJob, "svc-training");

const NOT_ENCRYPTED = "bucket has no server-side encryption configuration with a default algorithm";
const NOT_TLS_ONLY =
  "bucket has no bucket policy denying requests without TLS (aws:SecureTransport false)";
const UNPROTECTED_BRANCH =
  'default branch "main" has no active ruleset or branch protection requiring an approving review and status checks';
const PLAIN_DATABRICKS = "holds a plain value; reference a secret as {{secrets/<scope>/<key>}}";
const PLAIN_SECRET = "holds a plain value; pass it as a secret (pulumi.secret / config --secret)";

function inputs(resources: PlanResource[], type: string, name?: string): Record<string, unknown> {
  return find(resources, type, name).inputs;
}

function addRolePolicyStatement(statement: Record<string, unknown>) {
  return (resources: PlanResource[]) => {
    const i = inputs(resources, TYPES.iamRolePolicy);
    const doc = JSON.parse(String(i.policy)) as { Statement: unknown[] };
    i.policy = policyJson([...(doc.Statement as Record<string, unknown>[]), statement]);
  };
}

function setTrust(statement: Record<string, unknown>) {
  return (resources: PlanResource[]) => {
    inputs(resources, TYPES.iamRole).assumeRolePolicy = policyJson([statement]);
  };
}

const TRUST = { Sid: "Trust", Effect: "Allow", Action: ["sts:AssumeRole"] };

describe("the compliant service", () => {
  test("has no finding from any rule", () => {
    expect(evaluatePolicies(planOf(compliantService()))).toEqual([]);
  });

  test("every rule id is unique and has a description, a reason and types", () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    for (const rule of RULES) {
      expect(rule.description.length).toBeGreaterThan(10);
      expect(rule.why.length).toBeGreaterThan(10);
      expect(rule.types.length).toBeGreaterThan(0);
    }
  });
});

describe("s3-public-access-block", () => {
  test("every flag must be true", () => {
    const found = findingsAfter((rs) => {
      const i = inputs(rs, TYPES.publicAccessBlock);
      i.blockPublicPolicy = false;
      delete i.restrictPublicBuckets;
    });
    expect(found).toEqual([
      finding(
        "s3-public-access-block",
        "mandatory",
        pabUrn,
        "public access block leaves blockPublicPolicy, restrictPublicBuckets not true",
      ),
    ]);
  });
});

describe("s3-public-access-block-present", () => {
  const message = "bucket has no BucketPublicAccessBlock resource pointing at it";

  test("a bucket without one is a finding", () => {
    expect(findingsAfter((rs) => remove(rs, TYPES.publicAccessBlock))).toEqual([
      finding("s3-public-access-block-present", "mandatory", bucketUrn, message),
    ]);
  });

  test("a block pointing at another bucket does not count", () => {
    expect(
      findingsAfter((rs) => (inputs(rs, TYPES.publicAccessBlock).bucket = "other-bucket")),
    ).toEqual([finding("s3-public-access-block-present", "mandatory", bucketUrn, message)]);
  });

  test("a block pointing at the bucket's id (not its name input) counts", () => {
    const found = findingsAfter((rs) => {
      const bucket = find(rs, TYPES.bucket) as PlanResource & { id?: string };
      bucket.id = "bucket-id-from-provider";
      inputs(rs, TYPES.publicAccessBlock).bucket = "bucket-id-from-provider";
    });
    expect(found).toEqual([]);
  });
});

describe("s3-default-encryption", () => {
  test("missing configuration is a finding", () => {
    expect(findingsAfter((rs) => remove(rs, TYPES.encryption))).toEqual([
      finding("s3-default-encryption", "mandatory", bucketUrn, NOT_ENCRYPTED),
    ]);
  });

  test("a configuration without a known default algorithm is a finding", () => {
    const found = findingsAfter(
      (rs) => (inputs(rs, TYPES.encryption).rules = [{ bucketKeyEnabled: true }]),
    );
    expect(found).toEqual([
      finding("s3-default-encryption", "mandatory", bucketUrn, NOT_ENCRYPTED),
    ]);
  });
});

describe("s3-versioning", () => {
  test("Suspended is a finding", () => {
    const found = findingsAfter(
      (rs) => (inputs(rs, TYPES.versioning).versioningConfiguration = { status: "Suspended" }),
    );
    expect(found).toEqual([
      finding(
        "s3-versioning",
        "mandatory",
        bucketUrn,
        'bucket versioning status is "Suspended", not "Enabled"',
      ),
    ]);
  });

  test("no versioning resource is a finding", () => {
    expect(findingsAfter((rs) => remove(rs, TYPES.versioning))).toEqual([
      finding("s3-versioning", "mandatory", bucketUrn, "bucket has no BucketVersioning resource"),
    ]);
  });
});

describe("s3-tls-only", () => {
  test("a deny on SecureTransport true does not make the bucket TLS-only", () => {
    const found = findingsAfter((rs) => {
      inputs(rs, TYPES.bucketPolicy).policy = policyJson([
        { ...TLS_ONLY, Condition: { Bool: { "aws:SecureTransport": "true" } } },
      ]);
    });
    expect(found).toEqual([finding("s3-tls-only", "mandatory", bucketUrn, NOT_TLS_ONLY)]);
  });

  test("a deny for one principal only does not make the bucket TLS-only", () => {
    const found = findingsAfter((rs) => {
      inputs(rs, TYPES.bucketPolicy).policy = policyJson([
        { ...TLS_ONLY, Principal: { AWS: "arn:aws:iam::000000000000:role/x" } },
      ]);
    });
    expect(found).toEqual([finding("s3-tls-only", "mandatory", bucketUrn, NOT_TLS_ONLY)]);
  });

  test("a boolean false condition counts", () => {
    const found = findingsAfter((rs) => {
      inputs(rs, TYPES.bucketPolicy).policy = policyJson([
        { ...TLS_ONLY, Principal: "*", Condition: { Bool: { "aws:SecureTransport": false } } },
      ]);
    });
    expect(found).toEqual([]);
  });

  test("a malformed bucket policy is two findings, not a crash", () => {
    const found = findingsAfter((rs) => (inputs(rs, TYPES.bucketPolicy).policy = "{not json"));
    expect(found).toEqual([
      finding("s3-tls-only", "mandatory", bucketUrn, NOT_TLS_ONLY),
      finding("policy-document-valid", "mandatory", bucketPolicyUrn, "policy is not valid JSON"),
    ]);
  });
});

describe("resource-policy-no-public-principal", () => {
  test.each([["*"], [{ AWS: "*" }], [{ AWS: ["arn:aws:iam::000000000000:root", "*"] }]])(
    "a bucket policy allowing principal %j is a finding",
    (principal) => {
      const found = findingsAfter((rs) => {
        inputs(rs, TYPES.bucketPolicy).policy = policyJson([
          TLS_ONLY,
          {
            Sid: "Public",
            Effect: "Allow",
            Principal: principal,
            Action: ["s3:GetObject"],
            Resource: `arn:aws:s3:::${BUCKET_NAME}/*`,
          },
        ]);
      });
      expect(found).toEqual([
        finding(
          "resource-policy-no-public-principal",
          "mandatory",
          bucketPolicyUrn,
          'policy statement 2 ("Public") allows principal "*"',
        ),
      ]);
    },
  );

  test("an ECR repository policy allowing everyone is a finding", () => {
    const found = findingsAfter((rs) => {
      inputs(rs, TYPES.ecrRepositoryPolicy).policy = policyJson([
        { Effect: "Allow", Principal: { AWS: ["*"] }, Action: ["ecr:BatchGetImage"] },
      ]);
    });
    expect(found).toEqual([
      finding(
        "resource-policy-no-public-principal",
        "mandatory",
        ecrPolicyUrn,
        'policy statement 1 allows principal "*"',
      ),
    ]);
  });

  test("Allow with NotPrincipal is a finding", () => {
    const found = findingsAfter((rs) => {
      inputs(rs, TYPES.ecrRepositoryPolicy).policy = policyJson([
        { Sid: "Most", Effect: "Allow", NotPrincipal: { AWS: "x" }, Action: ["ecr:BatchGetImage"] },
      ]);
    });
    expect(found).toEqual([
      finding(
        "resource-policy-no-public-principal",
        "mandatory",
        ecrPolicyUrn,
        'policy statement 1 ("Most") allows with NotPrincipal',
      ),
    ]);
  });
});

describe("s3-no-force-destroy", () => {
  test("forceDestroy true is a finding", () => {
    expect(findingsAfter((rs) => (inputs(rs, TYPES.bucket).forceDestroy = true))).toEqual([
      finding("s3-no-force-destroy", "mandatory", bucketUrn, "bucket sets forceDestroy: true"),
    ]);
  });
});

describe("ECR repository rules", () => {
  test("ecr-scan-on-push", () => {
    const found = findingsAfter(
      (rs) => (inputs(rs, TYPES.ecrRepository).imageScanningConfiguration = { scanOnPush: false }),
    );
    expect(found).toEqual([
      finding(
        "ecr-scan-on-push",
        "mandatory",
        ecrUrn,
        "repository does not set imageScanningConfiguration.scanOnPush: true",
      ),
    ]);
  });

  test("ecr-immutable-tags: MUTABLE, and unset (whose default is MUTABLE)", () => {
    const message = 'repository imageTagMutability is "MUTABLE", not "IMMUTABLE"';
    expect(
      findingsAfter((rs) => (inputs(rs, TYPES.ecrRepository).imageTagMutability = "MUTABLE")),
    ).toEqual([finding("ecr-immutable-tags", "mandatory", ecrUrn, message)]);
    expect(
      findingsAfter((rs) => delete inputs(rs, TYPES.ecrRepository).imageTagMutability),
    ).toEqual([finding("ecr-immutable-tags", "mandatory", ecrUrn, message)]);
  });

  test("ecr-encryption is advisory", () => {
    const found = findingsAfter(
      (rs) => delete inputs(rs, TYPES.ecrRepository).encryptionConfigurations,
    );
    expect(found).toEqual([
      finding(
        "ecr-encryption",
        "advisory",
        ecrUrn,
        "repository declares no encryptionConfigurations with an encryptionType",
      ),
    ]);
  });

  test("ecr-lifecycle-policy: missing, empty and malformed", () => {
    expect(findingsAfter((rs) => remove(rs, TYPES.ecrLifecyclePolicy))).toEqual([
      finding(
        "ecr-lifecycle-policy",
        "advisory",
        ecrUrn,
        "repository has no LifecyclePolicy resource",
      ),
    ]);
    expect(
      findingsAfter((rs) => (inputs(rs, TYPES.ecrLifecyclePolicy).policy = '{"rules":[]}')),
    ).toEqual([
      finding("ecr-lifecycle-policy", "advisory", ecrUrn, "lifecycle policy has no rules"),
    ]);
    expect(findingsAfter((rs) => (inputs(rs, TYPES.ecrLifecyclePolicy).policy = "rules"))).toEqual([
      finding("ecr-lifecycle-policy", "advisory", ecrUrn, "lifecycle policy is not valid JSON"),
    ]);
  });
});

describe("policy-document-valid", () => {
  test.each([
    ["{", "policy is not valid JSON"],
    ["[]", "policy is not a JSON object"],
    ['{"Version":"2012-10-17"}', "policy has no Statement"],
    ['{"Statement":["s3:*"]}', "policy statement 1 is not an object"],
    [
      policyJson([{ Sid: "Odd", Effect: "Permit", Action: ["s3:GetObject"], Resource: "*" }]),
      'policy statement 1 ("Odd") has Effect "Permit" (allowed: Allow, Deny)',
    ],
  ])("role policy %s", (policy, message) => {
    const found = findingsAfter((rs) => (inputs(rs, TYPES.iamRolePolicy).policy = policy));
    expect(found).toEqual([finding("policy-document-valid", "mandatory", rolePolicyUrn, message)]);
  });

  test("a malformed trust policy", () => {
    expect(findingsAfter((rs) => (inputs(rs, TYPES.iamRole).assumeRolePolicy = "nope"))).toEqual([
      finding("policy-document-valid", "mandatory", roleUrn, "assumeRolePolicy is not valid JSON"),
    ]);
  });
});

describe("iam-no-wildcard-action", () => {
  test("a service wildcard in an Allow is a finding", () => {
    const found = findingsAfter(
      addRolePolicyStatement({
        Sid: "All",
        Effect: "Allow",
        Action: ["s3:*", "s3:GetObject"],
        Resource: `arn:aws:s3:::${BUCKET_NAME}/*`,
      }),
    );
    expect(found).toEqual([
      finding(
        "iam-no-wildcard-action",
        "mandatory",
        rolePolicyUrn,
        'policy statement 3 ("All") allows "s3:*"',
      ),
    ]);
  });

  test('"*" on "*" is both an action and a resource finding', () => {
    const found = findingsAfter(
      addRolePolicyStatement({ Sid: "Admin", Effect: "Allow", Action: "*", Resource: "*" }),
    );
    expect(found).toEqual([
      finding(
        "iam-no-wildcard-action",
        "mandatory",
        rolePolicyUrn,
        'policy statement 3 ("Admin") allows "*"',
      ),
      finding(
        "iam-no-wildcard-resource",
        "mandatory",
        rolePolicyUrn,
        'policy statement 3 ("Admin") allows "*" on Resource "*"',
      ),
    ]);
  });

  test("NotAction in an Allow is a finding; a Deny of s3:* is not", () => {
    const found = findingsAfter((rs) => {
      addRolePolicyStatement({
        Sid: "NoDelete",
        Effect: "Deny",
        Action: ["s3:*"],
        Resource: `arn:aws:s3:::${BUCKET_NAME}`,
      })(rs);
      addRolePolicyStatement({
        Sid: "Rest",
        Effect: "Allow",
        NotAction: ["iam:*"],
        Resource: `arn:aws:s3:::${BUCKET_NAME}`,
      })(rs);
    });
    expect(found).toEqual([
      finding(
        "iam-no-wildcard-action",
        "mandatory",
        rolePolicyUrn,
        'policy statement 4 ("Rest") allows with NotAction',
      ),
    ]);
  });

  test("a role's inline policies are checked too", () => {
    const found = findingsAfter((rs) => {
      inputs(rs, TYPES.iamRole).inlinePolicies = [
        {
          name: "inline",
          policy: policyJson([{ Effect: "Allow", Action: "ecr:*", Resource: "arn:aws:ecr:x" }]),
        },
      ];
    });
    expect(found).toEqual([
      finding(
        "iam-no-wildcard-action",
        "mandatory",
        roleUrn,
        'inlinePolicies[0].policy statement 1 allows "ecr:*"',
      ),
    ]);
  });
});

describe("iam-no-wildcard-resource", () => {
  test("only the named exceptions may use Resource *", () => {
    expect(UNSCOPED_ACTIONS).toContain("ecr:GetAuthorizationToken");
    const found = findingsAfter(
      addRolePolicyStatement({
        Sid: "Logs",
        Effect: "Allow",
        Action: ["ecr:GetAuthorizationToken", "logs:PutLogEvents"],
        Resource: ["*"],
      }),
    );
    expect(found).toEqual([
      finding(
        "iam-no-wildcard-resource",
        "mandatory",
        rolePolicyUrn,
        'policy statement 3 ("Logs") allows "logs:PutLogEvents" on Resource "*"',
      ),
    ]);
  });

  test("NotResource in an Allow is a finding", () => {
    const found = findingsAfter(
      addRolePolicyStatement({ Effect: "Allow", Action: ["s3:GetObject"], NotResource: "arn:x" }),
    );
    expect(found).toEqual([
      finding(
        "iam-no-wildcard-resource",
        "mandatory",
        rolePolicyUrn,
        "policy statement 3 allows with NotResource",
      ),
    ]);
  });
});

describe("iam-trust-specific-principals", () => {
  test.each([["*"], [{ AWS: "*" }], [{ AWS: ["*"] }]])("trusting %j is a finding", (principal) => {
    expect(findingsAfter(setTrust({ ...TRUST, Principal: principal }))).toEqual([
      finding(
        "iam-trust-specific-principals",
        "mandatory",
        roleUrn,
        'assumeRolePolicy statement 1 ("Trust") trusts principal "*"',
      ),
    ]);
  });

  test.each([["arn:aws:iam::111111111111:root"], ["111111111111"]])(
    "trusting the whole account %s without a condition is a finding",
    (account) => {
      expect(findingsAfter(setTrust({ ...TRUST, Principal: { AWS: account } }))).toEqual([
        finding(
          "iam-trust-specific-principals",
          "mandatory",
          roleUrn,
          `assumeRolePolicy statement 1 ("Trust") trusts the whole account "${account}" without a Condition`,
        ),
      ]);
    },
  );

  test("a conditioned account trust and a service principal are not findings", () => {
    const found = findingsAfter(
      setTrust({
        ...TRUST,
        Principal: { AWS: "arn:aws:iam::111111111111:root", Service: "ec2.amazonaws.com" },
        Condition: { StringEquals: { "aws:PrincipalTag/team": "ml-platform" } },
      }),
    );
    expect(found).toEqual([]);
  });
});

describe("github-repository-not-public", () => {
  test("public, and unset visibility, are findings", () => {
    expect(
      findingsAfter((rs) => (inputs(rs, TYPES.githubRepository).visibility = "public")),
    ).toEqual([
      finding(
        "github-repository-not-public",
        "mandatory",
        repoUrn,
        'repository visibility is "public"',
      ),
    ]);
    expect(findingsAfter((rs) => delete inputs(rs, TYPES.githubRepository).visibility)).toEqual([
      finding(
        "github-repository-not-public",
        "mandatory",
        repoUrn,
        "repository sets no visibility (GitHub's default is public)",
      ),
    ]);
  });

  test("internal, and the legacy private flag, are compliant", () => {
    expect(
      findingsAfter((rs) => (inputs(rs, TYPES.githubRepository).visibility = "internal")),
    ).toEqual([]);
    expect(
      findingsAfter((rs) => {
        const i = inputs(rs, TYPES.githubRepository);
        delete i.visibility;
        i.private = true;
      }),
    ).toEqual([]);
  });
});

describe("github-vulnerability-alerts", () => {
  test("missing, and disabled, are findings", () => {
    expect(findingsAfter((rs) => remove(rs, TYPES.githubVulnerabilityAlerts))).toEqual([
      finding(
        "github-vulnerability-alerts",
        "mandatory",
        repoUrn,
        "repository has no RepositoryVulnerabilityAlerts resource",
      ),
    ]);
    expect(
      findingsAfter((rs) => (inputs(rs, TYPES.githubVulnerabilityAlerts).enabled = false)),
    ).toEqual([
      finding(
        "github-vulnerability-alerts",
        "mandatory",
        repoUrn,
        "repository vulnerability alerts are disabled (enabled: false)",
      ),
    ]);
  });
});

describe("github-default-branch-protected", () => {
  test("no approving review required is a finding", () => {
    const found = findingsAfter((rs) => {
      const rules = inputs(rs, TYPES.githubRuleset).rules as Record<string, unknown>;
      rules.pullRequest = { requiredApprovingReviewCount: 0 };
    });
    expect(found).toEqual([
      finding("github-default-branch-protected", "mandatory", repoUrn, UNPROTECTED_BRANCH),
    ]);
  });

  test("no status checks, and an evaluate-only ruleset, are findings", () => {
    const noChecks = findingsAfter((rs) => {
      const rules = inputs(rs, TYPES.githubRuleset).rules as Record<string, unknown>;
      delete rules.requiredStatusChecks;
    });
    const evaluateOnly = findingsAfter(
      (rs) => (inputs(rs, TYPES.githubRuleset).enforcement = "evaluate"),
    );
    const expected = [
      finding("github-default-branch-protected", "mandatory", repoUrn, UNPROTECTED_BRANCH),
    ];
    expect(noChecks).toEqual(expected);
    expect(evaluateOnly).toEqual(expected);
  });

  test("a classic branch protection on main counts", () => {
    const found = findingsAfter((rs) => {
      remove(rs, TYPES.githubRuleset);
      rs.push(
        resource(TYPES.githubBranchProtection, "svc-main", {
          repositoryId: "svc",
          pattern: "main",
          requiredPullRequestReviews: [{ requiredApprovingReviewCount: 2 }],
          requiredStatusChecks: [{ strict: true, contexts: ["continuous-integration/drone/pr"] }],
        }),
      );
    });
    expect(found).toEqual([]);
  });

  test("a protection of main does not cover a declared default branch develop", () => {
    const found = findingsAfter((rs) => {
      const ruleset = inputs(rs, TYPES.githubRuleset);
      ruleset.conditions = { refName: { includes: ["refs/heads/main"], excludes: [] } };
      rs.push(
        resource(TYPES.githubBranchDefault, "svc-default", {
          repository: "svc",
          branch: "develop",
        }),
      );
    });
    expect(found).toEqual([
      finding(
        "github-default-branch-protected",
        "mandatory",
        repoUrn,
        UNPROTECTED_BRANCH.replace('"main"', '"develop"'),
      ),
    ]);
  });
});

describe("no-plaintext-secrets", () => {
  test.each([
    [TYPES.githubActionsSecret, "svc-repo-token", "plaintextValue"],
    [TYPES.databricksSecret, "svc-client-secret", "stringValue"],
    ["pulumi-nodejs:dynamic:Resource", "svc-drone-secret", "data"],
  ])("%s %s: a plain value is a finding", (type, name, key) => {
    const found = findingsAfter((rs) => (inputs(rs, type, name)[key] = "hunter2"));
    expect(found).toEqual([
      finding(
        "no-plaintext-secrets",
        "mandatory",
        urnOf(type, name),
        `input ${key} ${PLAIN_SECRET}`,
      ),
    ]);
  });

  test("a credential-named input of a dynamic resource must be secret; others may be plain", () => {
    const found = findingsAfter((rs) => {
      const i = inputs(rs, "pulumi-nodejs:dynamic:Resource");
      i.droneToken = "abc";
      i.repo = "acme-ml/svc";
    });
    expect(found).toEqual([
      finding(
        "no-plaintext-secrets",
        "mandatory",
        urnOf("pulumi-nodejs:dynamic:Resource", "svc-drone-secret"),
        `input droneToken ${PLAIN_SECRET}`,
      ),
    ]);
  });
});

describe("drone-secrets-not-for-pull-requests", () => {
  test("an exposure entry open to pull requests is a finding, naming the secret and the flag", () => {
    const found = findingsAfter((rs) => {
      const exposure = inputs(rs, TYPES.droneRepositorySecrets).exposure as Record<
        string,
        Record<string, boolean>
      >;
      exposure.databricks_client_secret.pullRequest = true;
      exposure.aws_ci_role_arn.pullRequestPush = true;
    });
    const urn = urnOf(TYPES.droneRepositorySecrets, "svc-ci-secrets");
    expect(found).toEqual([
      finding(
        "drone-secrets-not-for-pull-requests",
        "mandatory",
        urn,
        "exposure.aws_ci_role_arn.pullRequestPush is true: pull-request builds could read the secret",
      ),
      finding(
        "drone-secrets-not-for-pull-requests",
        "mandatory",
        urn,
        "exposure.databricks_client_secret.pullRequest is true: pull-request builds could read the secret",
      ),
    ]);
  });

  test("a single DroneSecret open to pull requests is a finding", () => {
    const found = findingsAfter((rs) => (inputs(rs, TYPES.droneSecret).pullRequest = true));
    expect(found).toEqual([
      finding(
        "drone-secrets-not-for-pull-requests",
        "mandatory",
        urnOf(TYPES.droneSecret, "svc-org-secret"),
        "pullRequest is true: pull-request builds could read the secret",
      ),
    ]);
  });
});

describe("drone-nothing-in-production", () => {
  const tagProduction = (rs: PlanResource[]) => {
    inputs(rs, TYPES.bucket).tags = { ...TAGS, production: "true" };
  };

  test("Drone secrets, single or set, in a stack tagged production are findings", () => {
    expect(findingsAfter(tagProduction)).toEqual([
      finding(
        "drone-nothing-in-production",
        "mandatory",
        urnOf(TYPES.droneRepositorySecrets, "svc-ci-secrets"),
        "Drone secret in a production stack: anyone who can push a branch could use what it holds",
      ),
      finding(
        "drone-nothing-in-production",
        "mandatory",
        urnOf(TYPES.droneSecret, "svc-org-secret"),
        "Drone secret in a production stack: anyone who can push a branch could use what it holds",
      ),
    ]);
  });

  test("a Drone repository in a production stack is a finding", () => {
    const found = findingsAfter((rs) => {
      tagProduction(rs);
      remove(rs, TYPES.droneSecret);
      remove(rs, TYPES.droneRepositorySecrets);
      rs.push(
        resource(TYPES.droneRepository, "svc-ci-repository", { owner: "acme-ml", name: "svc" }),
      );
    });
    expect(found).toEqual([
      finding(
        "drone-nothing-in-production",
        "mandatory",
        urnOf(TYPES.droneRepository, "svc-ci-repository"),
        "Drone repository in a production stack: anyone who can push a branch could use what it holds",
      ),
    ]);
  });

  test('production: "false" is not production', () => {
    expect(
      findingsAfter((rs) => (inputs(rs, TYPES.bucket).tags = { ...TAGS, production: "false" })),
    ).toEqual([]);
  });
});

describe("databricks-single-node-shape", () => {
  const cluster = (rs: PlanResource[]) =>
    ((inputs(rs, TYPES.databricksJob).tasks as Record<string, unknown>[])[0].newCluster ??
      {}) as Record<string, unknown>;
  const message =
    "tasks[0].newCluster has numWorkers 0 without the single-node profile, local master and ResourceClass tag";

  test("numWorkers 0 without the single-node settings is a finding", () => {
    expect(findingsAfter((rs) => (cluster(rs).numWorkers = 0))).toEqual([
      finding("databricks-single-node-shape", "mandatory", jobUrn, message),
    ]);
  });

  test.each([
    ["no ResourceClass tag", {}],
    ["another master", { "spark.master": "spark://x" }],
  ])("each missing piece is a finding: %s", (_label, confOverride) => {
    const found = findingsAfter((rs) => {
      const c = cluster(rs);
      c.numWorkers = 0;
      c.sparkConf = {
        "spark.databricks.cluster.profile": "singleNode",
        "spark.master": "local[*]",
        ...confOverride,
      };
      if (Object.keys(confOverride).length > 0) c.customTags = { ResourceClass: "SingleNode" };
    });
    expect(found).toEqual([finding("databricks-single-node-shape", "mandatory", jobUrn, message)]);
  });

  test("a complete single-node cluster, or any worker count above 0, is compliant", () => {
    expect(
      findingsAfter((rs) => {
        const c = cluster(rs);
        c.numWorkers = 0;
        c.sparkConf = {
          "spark.databricks.cluster.profile": "singleNode",
          "spark.master": "local[*]",
        };
        c.customTags = { ResourceClass: "SingleNode" };
      }),
    ).toEqual([]);
    expect(findingsAfter((rs) => (cluster(rs).numWorkers = 2))).toEqual([]);
  });
});

describe("databricks-job-permissions", () => {
  const message = "job has no Permissions resource with its jobId";

  test("a job without permissions is a finding", () => {
    expect(findingsAfter((rs) => remove(rs, TYPES.databricksPermissions))).toEqual([
      finding("databricks-job-permissions", "mandatory", jobUrn, message),
    ]);
  });

  test("permissions of another job do not count", () => {
    expect(
      findingsAfter((rs) => (inputs(rs, TYPES.databricksPermissions).jobId = `${JOB_ID}0`)),
    ).toEqual([finding("databricks-job-permissions", "mandatory", jobUrn, message)]);
  });
});

describe("databricks-no-plain-secrets", () => {
  function task(rs: PlanResource[]): Record<string, Record<string, unknown>> {
    return (inputs(rs, TYPES.databricksJob).tasks as Record<string, Record<string, unknown>>[])[0];
  }

  test("sparkEnvVars: plain and even masked values are findings", () => {
    const found = findingsAfter((rs) => {
      const env = task(rs).newCluster.sparkEnvVars as Record<string, unknown>;
      env.API_TOKEN = "dapi123";
      env.DB_PASSWORD = "[secret]";
      env.MLFLOW_TRACKING_URI = "databricks";
    });
    expect(found).toEqual([
      finding(
        "databricks-no-plain-secrets",
        "mandatory",
        jobUrn,
        `tasks[0].newCluster.sparkEnvVars.API_TOKEN ${PLAIN_DATABRICKS}`,
      ),
      finding(
        "databricks-no-plain-secrets",
        "mandatory",
        jobUrn,
        `tasks[0].newCluster.sparkEnvVars.DB_PASSWORD ${PLAIN_DATABRICKS}`,
      ),
    ]);
  });

  test("job parameters and positional task parameters", () => {
    const found = findingsAfter((rs) => {
      const job = inputs(rs, TYPES.databricksJob);
      job.parameters = [
        { name: "git_sha", default: "unknown" },
        { name: "db_password", default: "s3cret" },
        { name: "api_key", default: "{{secrets/mlp-svc-dev/api-key}}" },
      ];
      (task(rs).sparkPythonTask as Record<string, unknown>).parameters = [
        "--api-key",
        "abc",
        "--password=abc",
        "--token",
        "{{secrets/mlp-svc-dev/token}}",
        "SECRET=x",
      ];
    });
    expect(found).toEqual(
      [
        "parameters[1].default (db_password)",
        "tasks[0].sparkPythonTask.parameters[1] (api-key)",
        "tasks[0].sparkPythonTask.parameters[2] (password)",
        "tasks[0].sparkPythonTask.parameters[5] (SECRET)",
      ].map((w) =>
        finding("databricks-no-plain-secrets", "mandatory", jobUrn, `${w} ${PLAIN_DATABRICKS}`),
      ),
    );
  });
});

describe("required-tags", () => {
  test("a missing tag is a finding, for each taggable type", () => {
    const found = findingsAfter((rs) => {
      inputs(rs, TYPES.bucket).tags = { ...TAGS, team: "" };
      delete inputs(rs, TYPES.iamInstanceProfile).tags;
    });
    expect(found).toEqual([
      finding(
        "required-tags",
        "mandatory",
        urnOf(TYPES.iamInstanceProfile, "svc-cluster"),
        "resource is missing the tag(s) service, team, environment",
      ),
      finding("required-tags", "mandatory", bucketUrn, "resource is missing the tag(s) team"),
    ]);
  });
});

describe("data-retained", () => {
  test("a bucket neither retained nor protected is a finding", () => {
    expect(findingsAfter((rs) => (find(rs, TYPES.bucket).retainOnDelete = false))).toEqual([
      finding(
        "data-retained",
        "mandatory",
        bucketUrn,
        "data-bearing resource sets neither retainOnDelete nor protect",
      ),
    ]);
  });

  test("protect alone is enough", () => {
    const found = findingsAfter((rs) => {
      const bucket = find(rs, TYPES.bucket);
      bucket.retainOnDelete = false;
      bucket.protect = true;
    });
    expect(found).toEqual([]);
  });
});
