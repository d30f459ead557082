/**
 * Every physical name a service gets, derived in one place from its immutable `name`, the
 * environment and the stack's prefix, and checked against each cloud's rules. The catalog
 * validator and the components both call this module, so a name that validates is the name that
 * gets created.
 */

export interface PhysicalNames {
  /** GitHub repository (one per service, shared by its environments). */
  repository: string;
  /** Python package inside the repository. */
  pythonPackage: string;
  ecrRepository: string;
  artifactsBucket: string;
  predictionsBucket: string;
  ciRole: string;
  clusterRole: string;
  instanceProfile: string;
  trainingJob: string;
  batchPredictionJob: string;
  secretScope: string;
  servicePrincipal: string;
  experimentPath: string;
  /** Model name inside the stack's Unity Catalog schema (full name: <catalog>.<schema>.<model>). */
  registeredModel: string;
  /** The legacy workspace-registry model of stacks deployed before Unity Catalog (migration only). */
  workspaceModel: string;
}

export interface NameLimit {
  what: keyof PhysicalNames;
  max: number;
  pattern: RegExp;
  rule: string;
}

/** Cloud rules for the names above (length and characters). */
export const NAME_LIMITS: readonly NameLimit[] = [
  {
    what: "repository",
    max: 100,
    pattern: /^[a-z0-9][a-z0-9-]*$/,
    rule: "GitHub repository names: 100 characters",
  },
  { what: "pythonPackage", max: 64, pattern: /^[a-z_][a-z0-9_]*$/, rule: "Python identifiers" },
  {
    what: "ecrRepository",
    max: 256,
    pattern: /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/,
    rule: "ECR repository names: 256 characters, lowercase",
  },
  {
    what: "artifactsBucket",
    max: 63,
    pattern: /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/,
    rule: "S3 bucket names: 3 to 63 characters, lowercase, digits, dashes",
  },
  {
    what: "predictionsBucket",
    max: 63,
    pattern: /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/,
    rule: "S3 bucket names: 3 to 63 characters, lowercase, digits, dashes",
  },
  { what: "ciRole", max: 64, pattern: /^[\w+=,.@-]+$/, rule: "IAM role names: 64 characters" },
  { what: "clusterRole", max: 64, pattern: /^[\w+=,.@-]+$/, rule: "IAM role names: 64 characters" },
  {
    what: "instanceProfile",
    max: 128,
    pattern: /^[\w+=,.@-]+$/,
    rule: "IAM instance profile names: 128 characters",
  },
  {
    what: "trainingJob",
    max: 100,
    pattern: /^[\w .-]+$/,
    rule: "Databricks job names (kept to 100 characters)",
  },
  {
    what: "batchPredictionJob",
    max: 100,
    pattern: /^[\w .-]+$/,
    rule: "Databricks job names (kept to 100 characters)",
  },
  {
    what: "secretScope",
    max: 128,
    pattern: /^[\w.@-]+$/,
    rule: "Databricks secret scope names: 128 characters",
  },
  {
    what: "servicePrincipal",
    max: 100,
    pattern: /^[\w .-]+$/,
    rule: "Databricks display names (kept to 100 characters)",
  },
  {
    what: "experimentPath",
    max: 200,
    pattern: /^\/[\w./-]+$/,
    rule: "MLflow experiment workspace paths",
  },
  {
    what: "registeredModel",
    max: 255,
    // Unity Catalog object names: no periods, spaces, slashes or control characters, at most 255
    // (docs.databricks.com "Names" in the SQL reference); lowercase with underscores needs no quoting.
    pattern: /^[a-z][a-z0-9_]*$/,
    rule: "Unity Catalog model names: 255 characters, no dots",
  },
  {
    what: "workspaceModel",
    max: 100,
    pattern: /^[\w.-]+$/,
    rule: "MLflow registered model names (kept to 100 characters)",
  },
];

export function physicalNames(service: string, environment: string, prefix: string): PhysicalNames {
  const base = `${prefix}-${service}-${environment}`;
  return {
    repository: service,
    pythonPackage: service.replace(/-/g, "_"),
    ecrRepository: `${prefix}/${service}-${environment}`,
    artifactsBucket: `${base}-artifacts`,
    predictionsBucket: `${base}-predictions`,
    ciRole: `${base}-ci`,
    clusterRole: `${base}-cluster`,
    instanceProfile: `${base}-cluster`,
    trainingJob: `${base}-training`,
    batchPredictionJob: `${base}-batch-prediction`,
    secretScope: `${base}`,
    servicePrincipal: `${base}-ci`,
    experimentPath: `/Shared/${prefix}/${environment}/${service}`,
    registeredModel: service.replace(/-/g, "_"),
    workspaceModel: `${prefix}-${service}-${environment}`,
  };
}

/** Names an adopted resource keeps (the `adopt` section of an entry, catalog/types.ts). */
export interface AdoptedNames {
  repository?: string;
  ecrRepository?: string;
  artifactsBucket?: string;
  predictionsBucket?: string;
}

/** The physical names of a service in an environment, with adopted resources' own names. */
export function effectiveNames(
  service: string,
  environment: string,
  prefix: string,
  adopted: AdoptedNames = {},
): PhysicalNames {
  const names = physicalNames(service, environment, prefix);
  return {
    ...names,
    repository: adopted.repository ?? names.repository,
    ecrRepository: adopted.ecrRepository ?? names.ecrRepository,
    artifactsBucket: adopted.artifactsBucket ?? names.artifactsBucket,
    predictionsBucket: adopted.predictionsBucket ?? names.predictionsBucket,
  };
}

/**
 * Object key of a service's Airflow DAG file in its environment's DAG bucket:
 * `<airflowDagPrefix><package>_<environment>.py` (stack settings airflowDagPrefix, namePrefix).
 */
export function airflowDagKey(
  serviceName: string,
  settings: { environment: string; namePrefix: string; airflowDagPrefix: string },
): string {
  const { pythonPackage } = physicalNames(serviceName, settings.environment, settings.namePrefix);
  return `${settings.airflowDagPrefix}${pythonPackage}_${settings.environment}.py`;
}

/** Problems with the names of one service in one environment; empty when all fit. */
export function nameProblems(service: string, environment: string, prefix: string): string[] {
  const names = physicalNames(service, environment, prefix);
  const problems: string[] = [];
  for (const limit of NAME_LIMITS) {
    const value = names[limit.what];
    if (value.length > limit.max || !limit.pattern.test(value)) {
      problems.push(
        `derived ${limit.what} name "${value}" (${value.length} characters) breaks ${limit.rule}; shorten the name (at most ${maxServiceNameLength(environment, prefix)} characters with prefix "${prefix}" in ${environment})`,
      );
    }
  }
  return problems;
}

/** The longest service name whose derived names all fit, for a prefix and environment. */
export function maxServiceNameLength(environment: string, prefix: string): number {
  let longest = 0;
  for (let n = 1; n <= 100; n++) {
    const candidate = "a".repeat(n);
    const names = physicalNames(candidate, environment, prefix);
    if (NAME_LIMITS.every((l) => names[l.what].length <= l.max)) longest = n;
    else break;
  }
  return longest;
}

/** The platform's own shared names (not per service). */
export function platformNames(environment: string, prefix: string) {
  return {
    baseImageRepository: `${prefix}/base-${environment}`,
    /** Role that copies pinned images into this environment's registries (assumed by the deploy role). */
    imagePromotionRole: `${prefix}-${environment}-image-promotion`,
    /** Workspace folder of the environment's MLflow experiments. */
    experimentFolder: `/Shared/${prefix}/${environment}`,
  };
}

/** Kinds of physical names, with the scope in which two equal names collide. */
export type NameKind =
  | "ECR repository"
  | "S3 bucket"
  | "IAM role"
  | "IAM instance profile"
  | "Databricks job"
  | "Databricks secret scope"
  | "Databricks service principal"
  | "MLflow experiment"
  | "Unity Catalog model"
  | "GitHub repository"
  | "Airflow DAG file";

/** One physical name and who derives it. */
export interface OwnedName {
  kind: NameKind;
  name: string;
  /** "platform" or "service <name>". */
  owner: string;
}

/**
 * Every physical name one service derives in one environment (the one place that lists them;
 * the components take these very names). `adopted` replaces the names of adopted resources;
 * `model` is the full Unity Catalog name.
 */
export function serviceNames(
  service: string,
  environment: string,
  prefix: string,
  model: string,
  ownsRepository: boolean,
  adopted: AdoptedNames = {},
): OwnedName[] {
  const n = effectiveNames(service, environment, prefix, adopted);
  const owner = `service ${service}`;
  const list: [NameKind, string][] = [
    ["ECR repository", n.ecrRepository],
    ["S3 bucket", n.artifactsBucket],
    ["S3 bucket", n.predictionsBucket],
    ["IAM role", n.ciRole],
    ["IAM role", n.clusterRole],
    ["IAM instance profile", n.instanceProfile],
    ["Databricks job", n.trainingJob],
    ["Databricks job", n.batchPredictionJob],
    ["Databricks secret scope", n.secretScope],
    ["Databricks service principal", n.servicePrincipal],
    ["MLflow experiment", n.experimentPath],
    ["Unity Catalog model", model],
  ];
  if (ownsRepository) list.push(["GitHub repository", n.repository]);
  return list.map(([kind, name]) => ({ kind, name, owner }));
}

/** The platform's own physical names in an environment: no service may derive one of them. */
export function platformOwnedNames(environment: string, prefix: string): OwnedName[] {
  const p = platformNames(environment, prefix);
  return [
    { kind: "ECR repository", name: p.baseImageRepository, owner: "platform" },
    { kind: "IAM role", name: p.imagePromotionRole, owner: "platform" },
    { kind: "MLflow experiment", name: p.experimentFolder, owner: "platform" },
  ];
}

/**
 * Service names the platform reserves: a service of that name would derive one of the
 * platform's own names (`base` -> `<prefix>/base-<env>`, the base image's repository).
 */
export const RESERVED_SERVICE_NAMES = ["base"] as const;

/**
 * Names that two owners derive alike in one scope (an environment's account and workspace; S3
 * bucket names are global, and GitHub repositories belong to the organisation): one collision per
 * later owner, naming both.
 */
export function findNameCollisions<T extends OwnedName & { scope: string }>(
  names: readonly T[],
): { entry: T; first: T; message: string }[] {
  const seen = new Map<string, T>();
  const found: { entry: T; first: T; message: string }[] = [];
  for (const entry of names) {
    const key = `${entry.kind}\u0000${entry.scope}\u0000${entry.name}`;
    const first = seen.get(key);
    if (!first) seen.set(key, entry);
    else if (first.owner !== entry.owner) {
      found.push({
        entry,
        first,
        message: `${entry.kind} "${entry.name}" of ${entry.owner} is also the ${entry.kind} of ${first.owner}${entry.scope ? ` (${entry.scope})` : ""}; two owners cannot share one resource`,
      });
    }
  }
  return found;
}

/** The collisions of findNameCollisions as message lines. */
export function nameCollisions(names: readonly (OwnedName & { scope: string })[]): string[] {
  return findNameCollisions(names).map((c) => c.message);
}

/** Full Unity Catalog name of a service's model in a stack. */
export function unityCatalogModelName(catalog: string, schema: string, model: string): string {
  return `${catalog}.${schema}.${model}`;
}

/** Registry host of an AWS account and region (ECR). */
export function ecrRegistryHost(accountId: string, region: string): string {
  return `${accountId}.dkr.ecr.${region}.amazonaws.com`;
}
