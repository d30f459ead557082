/** A catalog entry after validation, with every default applied (lib/catalog/validate.ts). */

export type TemplateName = "sklearn" | "pyspark";

export interface JobEntry {
  entryPoint: string;
  /** Unset = the stack's defaultNodeType (resolved per stack by resolveService). */
  nodeType?: string;
  workers: number;
  timeoutMinutes: number;
  retries: number;
  schedule?: string;
  timezone: string;
}

/** The image one environment runs: the commit it was built from and its manifest digest. */
export interface ImagePin {
  /** 40 hex characters; the image's (immutable) tag in every registry. */
  gitSha: string;
  /** sha256:<64 hex>. */
  digest: string;
}

/** Existing resources one environment adopts (Pulumi `import`): names or ids as the clouds know them. */
export interface AdoptSpec {
  repository?: string;
  ecrRepository?: string;
  artifactsBucket?: string;
  predictionsBucket?: string;
  trainingJob?: string;
  batchPredictionJob?: string;
  experiment?: string;
  registeredModel?: string;
}

export interface ServiceEntry {
  name: string;
  displayName?: string;
  description: string;
  team: string;
  owners: string[];
  template: TemplateName;
  environments: string[];
  training: JobEntry;
  batchPrediction?: JobEntry & { schedule: string };
  evaluation: { metric?: string; threshold?: number; direction?: "maximize" | "minimize" };
  artifacts: { retentionDays?: number };
  notifications: { emails: string[] };
  repository: { visibility: "private" | "internal"; topics: string[] };
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
