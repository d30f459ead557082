/**
 * AWS policy documents: IAM identity and trust policies, and the resource policies of buckets and
 * ECR repositories (well-formed, no wildcard actions or resources, no public or account-wide
 * principals).
 */
import {
  policyDocuments,
  quoted,
  ResourceRule,
  statementsOf,
  identityStatements,
} from "../framework";
import {
  awsPrincipals,
  isAccountRoot,
  isAnyPrincipal,
  isWildcardAction,
  parsePolicyDocument,
} from "../policy-document";
import { TYPES } from "../shared";

const IAM_POLICY_TYPES = [
  TYPES.iamRolePolicy,
  TYPES.iamPolicy,
  TYPES.iamUserPolicy,
  TYPES.iamGroupPolicy,
];

/**
 * Actions AWS cannot scope to a resource: the only ones an Allow on Resource "*" may name.
 * ecr:GetAuthorizationToken returns a registry-wide login token (the repository policy still
 * decides what that login may pull or push).
 */
export const UNSCOPED_ACTIONS = [
  "ecr:GetAuthorizationToken",
  "ecr-public:GetAuthorizationToken",
  "sts:GetServiceBearerToken",
];

export const noPublicPrincipal: ResourceRule = {
  scope: "resource",
  id: "resource-policy-no-public-principal",
  description:
    'No bucket or ECR repository policy statement Allows principal "*" (in any form) or uses NotPrincipal with Allow.',
  why: "A statement that allows everyone makes the data or images public, whatever the access block says.",
  severity: "mandatory",
  types: [TYPES.bucketPolicy, TYPES.ecrRepositoryPolicy],
  check(r) {
    const out: string[] = [];
    for (const { path, statement: s } of statementsOf(r)) {
      if (s.effect !== "Allow") continue;
      if (isAnyPrincipal(s.principal)) out.push(`${path} ${s.label} allows principal "*"`);
      if (s.notPrincipal !== undefined) out.push(`${path} ${s.label} allows with NotPrincipal`);
    }
    return out;
  },
};

export const policyDocumentValid: ResourceRule = {
  scope: "resource",
  id: "policy-document-valid",
  description:
    "IAM, trust, bucket and ECR repository policy documents are JSON objects with well-formed statements.",
  why: "A document the rules cannot read cannot be shown to be safe; AWS would reject it at deploy time.",
  severity: "mandatory",
  types: [TYPES.iamRole, ...IAM_POLICY_TYPES, TYPES.bucketPolicy, TYPES.ecrRepositoryPolicy],
  check(r) {
    const out: string[] = [];
    for (const { path, document } of policyDocuments(r)) {
      const parsed = parsePolicyDocument(document);
      if ("problem" in parsed) out.push(`${path} ${parsed.problem}`);
    }
    return out;
  },
};

export const iamNoWildcardAction: ResourceRule = {
  scope: "resource",
  id: "iam-no-wildcard-action",
  description:
    'No IAM policy statement Allows action "*" or a whole service ("s3:*"), or Allows with NotAction.',
  why: "Least privilege: a service's identities get the actions they use, nothing a future API adds.",
  severity: "mandatory",
  types: [TYPES.iamRole, ...IAM_POLICY_TYPES],
  check(r) {
    const out: string[] = [];
    for (const { path, statement: s } of identityStatements(r)) {
      if (s.effect !== "Allow") continue;
      const wildcards = s.actions.filter(isWildcardAction);
      if (wildcards.length) out.push(`${path} ${s.label} allows ${quoted(wildcards)}`);
      if (s.notActions !== undefined) out.push(`${path} ${s.label} allows with NotAction`);
    }
    return out;
  },
};

export const iamNoWildcardResource: ResourceRule = {
  scope: "resource",
  id: "iam-no-wildcard-resource",
  description: `No IAM policy statement Allows a scopable action on Resource "*" (or with NotResource); unscopable exceptions: ${UNSCOPED_ACTIONS.join(", ")}.`,
  why: "Least privilege: a service's identities reach only that service's buckets, images and jobs.",
  severity: "mandatory",
  types: [TYPES.iamRole, ...IAM_POLICY_TYPES],
  check(r) {
    const out: string[] = [];
    for (const { path, statement: s } of identityStatements(r)) {
      if (s.effect !== "Allow") continue;
      if (s.notResources !== undefined) out.push(`${path} ${s.label} allows with NotResource`);
      if (!s.resources.includes("*")) continue;
      const scopable = s.actions.filter((a) => !UNSCOPED_ACTIONS.includes(a));
      if (scopable.length)
        out.push(`${path} ${s.label} allows ${quoted(scopable)} on Resource "*"`);
    }
    return out;
  },
};

export const iamTrustSpecificPrincipals: ResourceRule = {
  scope: "resource",
  id: "iam-trust-specific-principals",
  description:
    'Role trust policies name specific principals: no "*", no NotPrincipal, no whole account (":root" or an account id) without a Condition.',
  why: "Whoever a trust policy admits can act as the role; an open or account-wide trust hands that to everyone.",
  severity: "mandatory",
  types: [TYPES.iamRole],
  check(r) {
    const out: string[] = [];
    for (const { path, statement: s } of statementsOf(r, ["assumeRolePolicy"])) {
      if (s.effect !== "Allow") continue;
      if (isAnyPrincipal(s.principal)) out.push(`${path} ${s.label} trusts principal "*"`);
      if (s.notPrincipal !== undefined) out.push(`${path} ${s.label} trusts with NotPrincipal`);
      const roots = awsPrincipals(s.principal).filter(isAccountRoot);
      if (roots.length && !s.condition)
        out.push(
          `${path} ${s.label} trusts the whole account ${quoted(roots)} without a Condition`,
        );
    }
    return out;
  },
};
