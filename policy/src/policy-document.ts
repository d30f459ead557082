/**
 * IAM-style policy documents (IAM, S3 bucket and ECR repository policies) as they arrive in
 * resource inputs: JSON strings, or objects. Parsing never throws: a malformed document is reported
 * as a problem, which rules turn into a finding.
 */
import { list, record, text } from "./view";

export interface Statement {
  /** "statement 2 (\"Sid\")": how findings name the statement. */
  label: string;
  effect: string;
  principal: unknown;
  notPrincipal: unknown;
  actions: string[];
  notActions?: string[];
  resources: string[];
  notResources?: string[];
  condition?: Record<string, unknown>;
}

export type ParsedDocument = { statements: Statement[] } | { problem: string };

function strings(value: unknown): string[] {
  return list(value).filter((v): v is string => typeof v === "string");
}

export function parsePolicyDocument(input: unknown): ParsedDocument {
  let document: unknown = input;
  if (typeof input === "string") {
    try {
      document = JSON.parse(input);
    } catch {
      return { problem: "is not valid JSON" };
    }
  }
  const root = record(document);
  if (!root) return { problem: "is not a JSON object" };
  const raw = root.Statement;
  if (raw === undefined) return { problem: "has no Statement" };
  const items = list(raw);
  const statements: Statement[] = [];
  for (let i = 0; i < items.length; i++) {
    const s = record(items[i]);
    if (!s) return { problem: `statement ${i + 1} is not an object` };
    const sid = text(s.Sid);
    const label = `statement ${i + 1}${sid ? ` ("${sid}")` : ""}`;
    const effect = text(s.Effect);
    if (effect !== "Allow" && effect !== "Deny") {
      return { problem: `${label} has Effect ${JSON.stringify(s.Effect)} (allowed: Allow, Deny)` };
    }
    statements.push({
      label,
      effect,
      principal: s.Principal,
      notPrincipal: s.NotPrincipal,
      actions: strings(s.Action),
      notActions: s.NotAction === undefined ? undefined : strings(s.NotAction),
      resources: strings(s.Resource),
      notResources: s.NotResource === undefined ? undefined : strings(s.NotResource),
      condition: record(s.Condition),
    });
  }
  return { statements };
}

/** True for "*", {AWS: "*"}, {AWS: ["*"]} and the same under any principal key. */
export function isAnyPrincipal(principal: unknown): boolean {
  if (principal === "*") return true;
  const byKind = record(principal);
  if (!byKind) return false;
  return Object.values(byKind).some((v) => list(v).includes("*"));
}

/** AWS principals of a statement (ARNs or account ids). */
export function awsPrincipals(principal: unknown): string[] {
  return strings(record(principal)?.AWS);
}

const ACCOUNT_ROOT = /^(arn:aws[a-z-]*:iam::\d{12}:root|\d{12})$/;

/** A whole account: "arn:aws:iam::<account>:root" or a bare account id. */
export function isAccountRoot(principal: string): boolean {
  return ACCOUNT_ROOT.test(principal);
}

const SERVICE_WILDCARD = /^[a-z0-9-]+:\*$/i;

/** "*" or every action of a service ("s3:*"). */
export function isWildcardAction(action: string): boolean {
  return action === "*" || SERVICE_WILDCARD.test(action);
}
