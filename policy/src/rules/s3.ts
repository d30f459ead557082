/**
 * S3 buckets: public access blocked, encrypted by default, versioned, TLS only, never
 * force-destroyed.
 */
import {
  isFalse,
  isTrue,
  quoted,
  referenceKeys,
  referencingAny,
  ResourceRule,
  StackRule,
  statementsOf,
} from "../framework";
import { isAnyPrincipal, Statement } from "../policy-document";
import { TYPES } from "../shared";
import { list, record } from "../view";

const BUCKET_TYPES = [TYPES.bucket, TYPES.bucketV2];

export const s3PublicAccessBlock: ResourceRule = {
  scope: "resource",
  id: "s3-public-access-block",
  description:
    "A bucket public access block sets blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets to true.",
  why: "Any flag left off lets an ACL or a policy make objects public.",
  severity: "mandatory",
  types: [TYPES.publicAccessBlock],
  check(r) {
    const flags = [
      "blockPublicAcls",
      "blockPublicPolicy",
      "ignorePublicAcls",
      "restrictPublicBuckets",
    ];
    const off = flags.filter((f) => !isTrue(r.inputs[f]));
    return off.length ? [`public access block leaves ${off.join(", ")} not true`] : [];
  },
};

export const s3PublicAccessBlockPresent: StackRule = {
  scope: "stack",
  id: "s3-public-access-block-present",
  description: "Every bucket has a BucketPublicAccessBlock resource pointing at it.",
  why: "Without one, the bucket relies on account settings that a stack does not control.",
  severity: "mandatory",
  types: BUCKET_TYPES,
  check(r, stack) {
    const blocks = stack.referencing(TYPES.publicAccessBlock, "bucket", referenceKeys(r, "bucket"));
    return blocks.length ? [] : ["bucket has no BucketPublicAccessBlock resource pointing at it"];
  },
};

const SSE_ALGORITHMS = ["AES256", "aws:kms", "aws:kms:dsse"];

export const s3Encryption: StackRule = {
  scope: "stack",
  id: "s3-default-encryption",
  description:
    "Every bucket has a BucketServerSideEncryptionConfiguration with a default algorithm (AES256, aws:kms or aws:kms:dsse).",
  why: "Artifacts and predictions are company data; encryption at rest is stated, not assumed.",
  severity: "mandatory",
  types: BUCKET_TYPES,
  check(r, stack) {
    const configs = referencingAny(
      stack,
      [TYPES.encryption, TYPES.encryptionV2],
      "bucket",
      referenceKeys(r, "bucket"),
    );
    const encrypted = configs.some((c) =>
      list(c.inputs.rules).some((rule) => {
        const algorithm = record(record(rule)?.applyServerSideEncryptionByDefault)?.sseAlgorithm;
        return typeof algorithm === "string" && SSE_ALGORITHMS.includes(algorithm);
      }),
    );
    return encrypted
      ? []
      : ["bucket has no server-side encryption configuration with a default algorithm"];
  },
};

export const s3Versioning: StackRule = {
  scope: "stack",
  id: "s3-versioning",
  description: "Every bucket has a BucketVersioning resource with status Enabled.",
  why: "Versions make an overwritten or deleted model or prediction recoverable.",
  severity: "mandatory",
  types: BUCKET_TYPES,
  check(r, stack) {
    const configs = referencingAny(
      stack,
      [TYPES.versioning, TYPES.versioningV2],
      "bucket",
      referenceKeys(r, "bucket"),
    );
    const statuses = configs.map((c) => record(c.inputs.versioningConfiguration)?.status);
    if (statuses.includes("Enabled")) return [];
    if (statuses.length === 0) return ["bucket has no BucketVersioning resource"];
    return [`bucket versioning status is ${quoted(statuses.map(String))}, not "Enabled"`];
  },
};

/** A Deny on every S3 action for everyone when aws:SecureTransport is false. */
function deniesInsecureTransport(s: Statement): boolean {
  if (s.effect !== "Deny" || !isAnyPrincipal(s.principal)) return false;
  if (!s.actions.some((a) => a === "*" || a === "s3:*")) return false;
  const bool = record(s.condition?.Bool);
  return bool !== undefined && list(bool["aws:SecureTransport"]).some(isFalse);
}

export const s3TlsOnly: StackRule = {
  scope: "stack",
  id: "s3-tls-only",
  description:
    'Every bucket has a bucket policy with a Deny of s3:* for every principal when "aws:SecureTransport" is false.',
  why: "Requests over plain HTTP would expose data and credentials on the wire.",
  severity: "mandatory",
  types: BUCKET_TYPES,
  check(r, stack) {
    const policies = stack.referencing(TYPES.bucketPolicy, "bucket", referenceKeys(r, "bucket"));
    const tlsOnly = policies.some((p) =>
      statementsOf(p).some(({ statement }) => deniesInsecureTransport(statement)),
    );
    return tlsOnly
      ? []
      : ["bucket has no bucket policy denying requests without TLS (aws:SecureTransport false)"];
  },
};

export const s3NoForceDestroy: ResourceRule = {
  scope: "resource",
  id: "s3-no-force-destroy",
  description: "Buckets do not set forceDestroy.",
  why: "forceDestroy deletes every object when the bucket is deleted: data loss by one edit.",
  severity: "mandatory",
  types: BUCKET_TYPES,
  check(r) {
    return isTrue(r.inputs.forceDestroy) ? ["bucket sets forceDestroy: true"] : [];
  },
};
