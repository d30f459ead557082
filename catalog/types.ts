/**
 * A catalog entry after validation, with every default applied (catalog/schema.ts). The
 * shapes come from the types generated from services/schema.json (entry.generated.ts); only which
 * fields the defaults fill in is said here.
 */
import { MLServiceCatalogEntry } from "./entry.generated";

/** An entry as written in services/<name>.yaml (before defaults). */
export type CatalogEntry = MLServiceCatalogEntry;

/** T with the keys K made required (the schema gives them a default). */
type Defaulted<T, K extends keyof T> = Omit<T, K> & Required<Pick<T, K>>;

type JobDefaults = "entryPoint" | "workers" | "timeoutMinutes" | "retries" | "timezone";

export type TemplateName = NonNullable<CatalogEntry["template"]>;

/** A job after defaults. nodeType unset = the stack's defaultNodeType (resolveService). */
export type JobEntry = Defaulted<CatalogEntry["training"], JobDefaults>;

/** The batch-prediction job after defaults (its schedule is required). */
export type BatchJobEntry = Defaulted<NonNullable<CatalogEntry["batchPrediction"]>, JobDefaults>;

/** The image one environment runs: the commit it was built from and its manifest digest. */
export type ImagePin = NonNullable<CatalogEntry["images"]>[string];

/** Existing resources one environment adopts (Pulumi `import`): names or ids as the clouds know them. */
export type AdoptSpec = NonNullable<CatalogEntry["adopt"]>[string];

export interface ServiceEntry
  extends Omit<
    CatalogEntry,
    | "$schema"
    | "template"
    | "training"
    | "batchPrediction"
    | "evaluation"
    | "artifacts"
    | "notifications"
    | "repository"
    | "images"
    | "adopt"
    | "decommissioned"
  > {
  template: TemplateName;
  training: JobEntry;
  batchPrediction?: BatchJobEntry;
  evaluation: NonNullable<CatalogEntry["evaluation"]>;
  artifacts: NonNullable<CatalogEntry["artifacts"]>;
  notifications: Defaulted<NonNullable<CatalogEntry["notifications"]>, "emails">;
  repository: Defaulted<NonNullable<CatalogEntry["repository"]>, "visibility" | "topics">;
  /** Pinned image per environment (absent: the platform's placeholder runs). */
  images: Record<string, ImagePin>;
  /** Existing resources to adopt per environment (absent: everything is created). */
  adopt: Record<string, AdoptSpec>;
  decommissioned: boolean;
}

/** Where an entry came from, for messages. */
export interface CatalogFile {
  /** Path as shown to users, e.g. services/churn.yaml. */
  file: string;
  entry: ServiceEntry;
  /** sha256 of the file's bytes: lets a plan tell which entries changed. */
  digest: string;
}

/** A service as one stack deploys it: stack defaults resolved, nothing optional left open. */
export interface ResolvedService
  extends Omit<
    ServiceEntry,
    "displayName" | "training" | "batchPrediction" | "evaluation" | "artifacts"
  > {
  displayName: string;
  training: JobEntry & { nodeType: string };
  batchPrediction?: JobEntry & { nodeType: string; schedule: string };
  evaluation: { metric: string; threshold: number | null; direction: "maximize" | "minimize" };
  artifacts: { retentionDays: number };
  /** The environment whose stack owns the shared pieces (GitHub repository, Drone): the first listed. */
  sourceEnvironment: string;
}
