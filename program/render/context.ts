/** The variables a service template sees, built from the resolved entry and the stack settings. */
import { ResolvedService, TemplateName } from "../../catalog/types";
import {
  ecrRegistryHost,
  PhysicalNames,
  physicalNames,
  unityCatalogModelName,
} from "../../catalog/names";
import { PIPELINE_SECRETS, PipelineSecretKey } from "../pipeline-secrets";
import { StackSettings } from "../../catalog/settings";

/** What the renderer needs beyond the entry and the settings. */
export interface RenderOptions {
  /** Image reference service Dockerfiles start FROM (`<registry>/<repository>:<content tag>`). */
  baseImage: string;
  /** AWS account id of the stack (12 digits); offline renders use 000000000000. */
  accountId: string;
  /** Default branch of the service repository. Defaults to main. */
  defaultBranch?: string;
  /**
   * Environments whose stacks are production ones (stack setting `production`), across every
   * stack: the Backstage lifecycle is `production` only when the service lists one of them.
   * Defaults to the rendering stack's environment when that stack is a production one, else none.
   */
  productionEnvironments?: readonly string[];
}

/**
 * Backstage's well-known lifecycle values (https://backstage.io/docs/features/software-catalog/descriptor-format,
 * "spec.lifecycle"): experimental, production, deprecated.
 */
export type BackstageLifecycle = "experimental" | "production" | "deprecated";

/**
 * The component's lifecycle in Backstage: `deprecated` once decommissioned, `production` when the
 * service deploys to a production environment, `experimental` otherwise (a dev-only service).
 */
export function backstageLifecycle(
  service: Pick<ResolvedService, "environments" | "decommissioned">,
  productionEnvironments: readonly string[],
): BackstageLifecycle {
  if (service.decommissioned) return "deprecated";
  return service.environments.some((env) => productionEnvironments.includes(env))
    ? "production"
    : "experimental";
}

/** Environments of the given stacks that are production ones (each listed once, sorted). */
export function productionEnvironmentsOf(
  stacks: readonly { settings: Pick<StackSettings, "environment" | "production"> }[],
): string[] {
  return [
    ...new Set(stacks.filter((s) => s.settings.production).map((s) => s.settings.environment)),
  ].sort();
}

/** Thrown when a render cannot produce a valid repository; the message names what and where. */
export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RenderError";
  }
}

/** Default of the stack setting airflowConnectionId (the provider's own default connection id). */
export const AIRFLOW_CONNECTION_ID = "databricks_default";

const TEMPLATE_SUMMARY: Record<TemplateName, string> = {
  sklearn: "Python and scikit-learn, binary classification",
  pyspark: "PySpark on Databricks, regression",
};

// Modules of the package that an entry point must not shadow.
const RESERVED_MODULES = new Set([
  "__init__",
  "model",
  "gate",
  "promotion",
  "provenance",
  "registry",
  "service_config",
]);
const PYTHON_KEYWORDS = new Set(
  (
    "False None True and as assert async await break class continue def del elif else except " +
    "finally for from global if import in is lambda nonlocal not or pass raise return try while " +
    "with yield match case type"
  ).split(" "),
);
const IMAGE_REF =
  /^[a-z0-9]+(?:[.-][a-z0-9]+)*(?::\d{1,5})?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)+(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
const BACKSTAGE_TAG = /^[a-z0-9:+#]+(?:-[a-z0-9:+#]+)*$/;
const BRANCH = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/;

/** The entry as templates see it: optional values present as null. */
export type TemplateService = Omit<ResolvedService, "training" | "batchPrediction"> & {
  training: Omit<ResolvedService["training"], "schedule"> & { schedule: string | null };
  batchPrediction: NonNullable<ResolvedService["batchPrediction"]> | null;
};

/** Template context: plain data only, every optional value present as null. */
export interface TemplateContext {
  service: TemplateService;
  settings: StackSettings;
  names: PhysicalNames;
  /** Drone secret names by key (program/pipeline-secrets.ts), never their values. */
  secrets: Record<PipelineSecretKey, string>;
  baseImage: string;
  accountId: string;
  registry: string;
  ecrRepositoryUrl: string;
  repository: {
    organization: string;
    name: string;
    slug: string;
    url: string;
    defaultBranch: string;
  };
  entryPoints: { training: string; batchPrediction: string };
  databricks: { host: string; modelUrl: string; jobsUrl: string };
  trainingKeyword: string;
  airflow: boolean;
  airflowConnectionId: string;
  templateSummary: string;
  backstageTags: string[];
  /** The Backstage component's `spec.lifecycle` (backstageLifecycle). */
  backstageLifecycle: BackstageLifecycle;
}

function checkEntryPoint(service: string, field: string, value: string): void {
  if (RESERVED_MODULES.has(value) || PYTHON_KEYWORDS.has(value)) {
    throw new RenderError(
      `services/${service}.yaml: ${field}: "${value}" cannot be an entry point module (reserved: ${[...RESERVED_MODULES, "Python keywords"].join(", ")}); choose another name`,
    );
  }
}

/** Replaces undefined by null everywhere, so that templates can test optional values. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (v === undefined ? null : v))) as T;
}

export function buildContext(
  service: ResolvedService,
  settings: StackSettings,
  options: RenderOptions,
): TemplateContext {
  const {
    baseImage,
    accountId,
    defaultBranch = "main",
    productionEnvironments = settings.production ? [settings.environment] : [],
  } = options;
  if (!IMAGE_REF.test(baseImage)) {
    throw new RenderError(
      `render option baseImage: "${baseImage.slice(0, 200)}" is not an image reference (expected <registry>/<repository>:<tag>)`,
    );
  }
  if (!/^\d{12}$/.test(accountId)) {
    throw new RenderError(
      `render option accountId: expected 12 digits, got "${accountId.slice(0, 40)}"`,
    );
  }
  if (!BRANCH.test(defaultBranch)) {
    throw new RenderError(
      `render option defaultBranch: "${defaultBranch.slice(0, 100)}" is not a branch name`,
    );
  }
  const training = service.training.entryPoint;
  const batchPrediction = service.batchPrediction?.entryPoint ?? "predict";
  checkEntryPoint(service.name, "training.entryPoint", training);
  checkEntryPoint(service.name, "batchPrediction.entryPoint", batchPrediction);
  if (training === batchPrediction) {
    throw new RenderError(
      `services/${service.name}.yaml: batchPrediction.entryPoint: "${batchPrediction}" is also the training entry point; give them different names`,
    );
  }
  const physical = physicalNames(service.name, settings.environment, settings.namePrefix);
  // Templates name the model by its full Unity Catalog name (what MLflow's databricks-uc registry takes).
  const names = {
    ...physical,
    registeredModel: unityCatalogModelName(
      settings.modelCatalog,
      settings.modelSchema,
      physical.registeredModel,
    ),
  };
  const registry = ecrRegistryHost(accountId, settings.awsRegion);
  const host = settings.databricksHost.replace(/\/+$/, "");
  const organization = settings.githubOrganization;
  const secrets = Object.fromEntries(
    Object.entries(PIPELINE_SECRETS).map(([key, secret]) => [key, secret.name]),
  ) as Record<PipelineSecretKey, string>;
  const backstageTags = [
    ...new Set(["ml-service", service.template, service.team, ...service.repository.topics]),
  ].filter((tag) => tag.length <= 63 && BACKSTAGE_TAG.test(tag));

  return plain<TemplateContext>({
    service: {
      ...service,
      training: { ...service.training, schedule: service.training.schedule ?? null },
      batchPrediction: service.batchPrediction ?? null,
    },
    settings,
    names,
    secrets,
    baseImage,
    accountId,
    registry,
    ecrRepositoryUrl: `${registry}/${names.ecrRepository}`,
    repository: {
      organization,
      name: names.repository,
      slug: `${organization}/${names.repository}`,
      url: `https://github.com/${organization}/${names.repository}`,
      defaultBranch,
    },
    entryPoints: { training, batchPrediction },
    databricks: {
      host,
      // Catalog Explorer's page of a Unity Catalog model.
      modelUrl: `${host}/explore/data/models/${settings.modelCatalog}/${settings.modelSchema}/${physical.registeredModel}`,
      jobsUrl: `${host}/jobs`,
    },
    trainingKeyword: settings.trainingKeyword,
    airflow: settings.orchestrator === "airflow",
    airflowConnectionId: settings.airflowConnectionId,
    templateSummary: TEMPLATE_SUMMARY[service.template],
    backstageTags,
    backstageLifecycle: backstageLifecycle(service, productionEnvironments),
  });
}
