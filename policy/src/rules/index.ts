/**
 * The platform's policy rules, written once and grouped by domain (one module each). The offline
 * plan (offline/policy/evaluate.ts) and the Pulumi policy pack (policy/index.ts, through
 * policy/src/pack.ts) both run exactly these checks. Everything the rules import lives in policy/,
 * so the pack is self-contained.
 */
import { Rule } from "../framework";
import {
  iamNoWildcardAction,
  iamNoWildcardResource,
  iamTrustSpecificPrincipals,
  noPublicPrincipal,
  policyDocumentValid,
} from "./aws-iam";
import {
  databricksJobPermissions,
  databricksNoPlainSecrets,
  databricksSingleNodeShape,
} from "./databricks";
import { droneNothingInProduction, droneSecretsNotForPullRequests } from "./drone";
import { ecrEncryption, ecrImmutableTags, ecrLifecyclePolicy, ecrScanOnPush } from "./ecr";
import { githubDefaultBranchProtected, githubNotPublic, githubVulnerabilityAlerts } from "./github";
import { dataRetained, requiredTags } from "./ownership";
import {
  s3Encryption,
  s3NoForceDestroy,
  s3PublicAccessBlock,
  s3PublicAccessBlockPresent,
  s3TlsOnly,
  s3Versioning,
} from "./s3";
import { noPlaintextSecrets } from "./secrets";

export { ruleApplies } from "../framework";
export type { ResourceRule, Rule, Severity, StackRule } from "../framework";
export { DYNAMIC_TYPE_PREFIX, TYPES } from "../shared";
export { UNSCOPED_ACTIONS } from "./aws-iam";
export { REQUIRED_TAGS, TAGGABLE_TYPES } from "./ownership";
export { SECRET_NAME, SECRET_REFERENCE } from "./secrets";

/** Every rule, in the order the documentation lists them. */
export const RULES: readonly Rule[] = [
  s3PublicAccessBlock,
  s3PublicAccessBlockPresent,
  s3Encryption,
  s3Versioning,
  s3TlsOnly,
  noPublicPrincipal,
  s3NoForceDestroy,
  ecrScanOnPush,
  ecrImmutableTags,
  ecrEncryption,
  ecrLifecyclePolicy,
  policyDocumentValid,
  iamNoWildcardAction,
  iamNoWildcardResource,
  iamTrustSpecificPrincipals,
  githubNotPublic,
  githubVulnerabilityAlerts,
  githubDefaultBranchProtected,
  noPlaintextSecrets,
  droneSecretsNotForPullRequests,
  droneNothingInProduction,
  databricksSingleNodeShape,
  databricksJobPermissions,
  databricksNoPlainSecrets,
  requiredTags,
  dataRetained,
];
