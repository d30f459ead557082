/** The plan document: what `npm run plan -- --json` writes and every plan consumer reads. */
import { SECRET_MASK } from "../../policy/src/shared";

export interface PlanResource {
  /** The URN a real `pulumi up` of this stack would give the resource. */
  urn: string;
  /** Pulumi type token, e.g. aws:s3/bucket:Bucket. */
  type: string;
  /** Logical name. */
  name: string;
  /** URN of the parent component. */
  parent?: string;
  /** false for components (which group resources), true for cloud resources. */
  custom: boolean;
  /** Inputs with every secret value replaced by "[secret]". */
  inputs: Record<string, unknown>;
  protect: boolean;
  retainOnDelete: boolean;
  /** Input paths a deployment ignores once the resource exists (absent when none). */
  ignoreChanges?: string[];
  /** Id of an existing cloud resource the deployment adopts (Pulumi's `import` option). */
  importId?: string;
  /** A value whose change replaces the resource (the `replacementTrigger` option). */
  replacementTrigger?: unknown;
  /**
   * The provider id the engine answered (offline: the mock engine's). Not part of the written
   * plan: the plan carries it as a non-enumerable property (withEngineId), so JSON.stringify and
   * object spreads leave it out; policy evaluation reads it to match references by id.
   */
  id?: string;
}

export interface PlanFinding {
  policy: string;
  severity: "mandatory" | "advisory";
  service?: string;
  urn: string;
  message: string;
}

export interface PlanService {
  name: string;
  displayName: string;
  team: string;
  owners: string[];
  description: string;
  template: string;
  environments: string[];
  decommissioned: boolean;
  /** Catalog file of the entry. */
  file: string;
  /** sha256 of the entry file: tells which entries changed between two plans. */
  digest: string;
  resources: PlanResource[];
  /** The service's stack outputs (identifiers; mock values offline). */
  outputs: Record<string, unknown>;
}

export interface PlanDocument {
  project: string;
  stack: string;
  environment: string;
  platform: { resources: PlanResource[] };
  services: PlanService[];
  summary: { services: number; resources: number };
  /** Existing resources the deployment adopts (Pulumi `import`), in URN order. */
  imports: { urn: string; type: string; id: string }[];
  /** Data-bearing resources of removed services, by service (the `retained` stack output). */
  retained: Record<string, unknown>;
  findings: PlanFinding[];
}

/** What a secret value shows as in the plan (one value with the policy rules: policy/src/shared.ts). */
export { SECRET_MASK };

/**
 * Gives a plan resource the id the engine answered for it, beside its written fields: a
 * non-enumerable property, so the JSON, markdown and text of the plan stay exactly what they were.
 */
export function withEngineId<T extends PlanResource>(resource: T, id: string | undefined): T {
  if (id) Object.defineProperty(resource, "id", { value: id, enumerable: false });
  return resource;
}

/** Every resource of a plan, platform first. */
function planResources(doc: PlanDocument): PlanResource[] {
  return [...doc.platform.resources, ...doc.services.flatMap((s) => s.resources)];
}

/**
 * The engine's ids of a plan's resources, by URN: what a plan sent between processes carries
 * beside its document (a structured clone, like JSON, drops the non-enumerable ids).
 */
export function engineIds(doc: PlanDocument): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const r of planResources(doc)) if (r.id) ids[r.urn] = r.id;
  return ids;
}

/** Gives the resources of a plan that crossed a process boundary their engine ids back. */
export function restoreEngineIds(doc: PlanDocument, ids: Record<string, string>): PlanDocument {
  for (const r of planResources(doc)) withEngineId(r, ids[r.urn]);
  return doc;
}

/**
 * The plan document of these resources, its summary (services, cloud resources) and imports
 * derived from them; no findings yet (the caller evaluates the policies on the whole).
 */
export function assemblePlan(
  head: Pick<PlanDocument, "project" | "stack" | "environment">,
  platform: PlanResource[],
  services: PlanService[],
  retained: PlanDocument["retained"],
): PlanDocument {
  const count = (list: PlanResource[]) => list.filter((r) => r.custom).length;
  return {
    project: head.project,
    stack: head.stack,
    environment: head.environment,
    platform: { resources: platform },
    services,
    summary: {
      services: services.length,
      resources: count(platform) + services.reduce((n, s) => n + count(s.resources), 0),
    },
    imports: [...platform, ...services.flatMap((s) => s.resources)]
      .filter((r) => r.importId)
      .map((r) => ({ urn: r.urn, type: r.type, id: r.importId! })),
    retained,
    findings: [],
  };
}
