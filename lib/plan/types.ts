/** The plan document: what `npm run plan -- --json` writes and every plan consumer reads. */

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

export const SECRET_MASK = "[secret]";
