/**
 * ArtifactStore from a purpose-built Args value: two SecureBuckets, each locked down (public access
 * blocked, KMS encryption, versioning, lifecycle, TLS-only policy), data retained and protected
 * only where asked.
 */
import { Declared, one, policyOf, recordDeclarations, tree } from "./harness";

const mocks = recordDeclarations((a) => ({
  ...a.inputs,
  arn: `arn:aws:s3:::${String(a.inputs.bucket ?? a.name)}`,
}));

// Imported after setMocks, as a program would.
import { ArtifactStore } from "../../components/artifact-store";

const TAGS = { service: "fraud", environment: "qa" };
const ARGS = {
  artifactsBucketName: "acme-fraud-qa-artifacts",
  predictionsBucketName: "acme-fraud-qa-predictions",
  retentionDays: 14,
  tags: TAGS,
};

beforeEach(() => mocks.reset());

function of(prefix: string, suffix: string, type: string): Declared {
  return one(mocks.declared, type, `${prefix}${suffix}`);
}

describe("ArtifactStore", () => {
  test("two secure buckets, each with its six lock-down resources, all parented in the component", async () => {
    new ArtifactStore("fraud-store", ARGS);
    await mocks.settle();
    const perBucket = (b: string): [string, string, string][] => [
      ["aws:s3/bucket:Bucket", b, b],
      ["aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", `${b}-lifecycle`, b],
      ["aws:s3/bucketOwnershipControls:BucketOwnershipControls", `${b}-ownership`, b],
      ["aws:s3/bucketPolicy:BucketPolicy", `${b}-tls-only`, b],
      ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", `${b}-public-access-block`, b],
      [
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        `${b}-encryption`,
        b,
      ],
      ["aws:s3/bucketVersioning:BucketVersioning", `${b}-versioning`, b],
      ["mlplatform:aws:SecureBucket", b, "fraud-store"],
    ];
    expect(tree(mocks.declared)).toEqual(
      tree(
        [
          ...perBucket("fraud-store-artifacts"),
          ...perBucket("fraud-store-predictions"),
          ["mlplatform:aws:ArtifactStore", "fraud-store", ""],
        ].map(([type, name, parent]) => ({ type, name, parent }) as Declared),
      ),
    );
  });

  test.each(["artifacts", "predictions"])(
    "the %s bucket: private, encrypted, versioned, TLS only",
    async (which) => {
      new ArtifactStore("fraud-store", ARGS);
      await mocks.settle();
      const b = `fraud-store-${which}`;
      const bucket = of(b, "", "aws:s3/bucket:Bucket");
      expect(bucket.inputs).toEqual({
        bucket: `acme-fraud-qa-${which}`,
        forceDestroy: false,
        objectLockEnabled: false,
        tags: TAGS,
      });
      expect(
        of(b, "-public-access-block", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
          .inputs,
      ).toEqual({
        bucket: `${b}-id`,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      expect(
        of(
          b,
          "-encryption",
          "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        ).inputs.rules,
      ).toEqual([
        { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true },
      ]);
      expect(
        of(b, "-versioning", "aws:s3/bucketVersioning:BucketVersioning").inputs
          .versioningConfiguration,
      ).toEqual({
        status: "Enabled",
      });
      expect(
        of(b, "-ownership", "aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule,
      ).toEqual({
        objectOwnership: "BucketOwnerEnforced",
      });
      expect(
        of(b, "-lifecycle", "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
          .inputs.rules,
      ).toEqual([
        {
          id: "expire-noncurrent-versions",
          status: "Enabled",
          filter: {},
          noncurrentVersionExpiration: { noncurrentDays: 14 },
        },
        {
          id: "abort-incomplete-uploads",
          status: "Enabled",
          filter: {},
          abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
        },
      ]);
      const arn = `arn:aws:s3:::acme-fraud-qa-${which}`;
      expect(policyOf(of(b, "-tls-only", "aws:s3/bucketPolicy:BucketPolicy")).Statement).toEqual([
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: { AWS: "*" },
          Action: ["s3:*"],
          Resource: [arn, `${arn}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ]);
    },
  );

  test("data is retained, and protected only when asked; the lock-down is retained with it", async () => {
    new ArtifactStore("kept", { ...ARGS, protect: true });
    new ArtifactStore("open", ARGS);
    await mocks.settle();
    const buckets = mocks.declared.filter((d) => d.type === "aws:s3/bucket:Bucket");
    expect(buckets.map((d) => [d.name, d.protect, d.retainOnDelete]).sort()).toEqual([
      ["kept-artifacts", true, true],
      ["kept-predictions", true, true],
      ["open-artifacts", false, true],
      ["open-predictions", false, true],
    ]);
    const lockDown = mocks.declared.filter((d) => d.custom && d.type !== "aws:s3/bucket:Bucket");
    expect(lockDown).toHaveLength(24);
    for (const d of lockDown)
      expect([d.name, d.retainOnDelete, d.protect]).toEqual([d.name, true, false]);
    // The TLS-only policy waits for the public access block.
    const policy = one(
      mocks.declared,
      "aws:s3/bucketPolicy:BucketPolicy",
      "open-artifacts-tls-only",
    );
    expect(policy.dependsOn).toContain(
      "urn:pulumi:test::mlplatform::mlplatform:aws:SecureBucket$aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::open-artifacts-public-access-block",
    );
  });

  test("adopting: each bucket imported by the name given, and only that one", async () => {
    new ArtifactStore("adopted", { ...ARGS, artifactsImportId: "legacy-fraud-artifacts" });
    await mocks.settle();
    expect(one(mocks.declared, "aws:s3/bucket:Bucket", "adopted-artifacts").importId).toBe(
      "legacy-fraud-artifacts",
    );
    expect(one(mocks.declared, "aws:s3/bucket:Bucket", "adopted-predictions").importId).toBe("");
  });
});
