/**
 * The Pulumi program: load and validate the catalog for the current stack, then declare the
 * platform's shared pieces and one MlService per service. `index.ts` runs it for `pulumi up`; the
 * offline plan and the tests run this same function under the SDK's mock engine.
 */
import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as dockerbuild from "@pulumi/docker-build";
import * as databricks from "@pulumi/databricks";
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { BaseImage } from "../components/base-image";
import { ImagePromotionRole } from "../components/image-promotion-role";
import { MlService, MlServiceOutputs } from "./service";
import { dataResourceOptions, serviceTags } from "../components/tags";
import { CatalogError } from "../catalog/errors";
import { loadCatalog } from "../catalog/load";
import { servicesForStack } from "../catalog/resolve";
import { AdoptSpec, CatalogFile } from "../catalog/types";
import { platformNames } from "../catalog/names";
import {
  CONFIG_NAMESPACE,
  parseSettings,
  SECRET_SETTING_KEYS,
  SettingsError,
  StackSettings,
} from "../catalog/settings";
import { DEFAULT_SERVICES_DIR, DEFAULT_STACKS_DIR, readStacks, StackInfo } from "../catalog/stacks";
import { baseImageTag } from "./base-image-tag";
import { productionEnvironmentsOf } from "./render/context";
import {
  ecrRepositoryArn,
  ecrRepositoryUrl,
  imageSource,
  promotionReaders,
  promotionSources,
  roleArn,
} from "./delivery";

/** An explicit provider for the dynamic resources (package pulumi-nodejs). */
class DynamicProvider extends pulumi.ProviderResource {
  constructor(name: string, opts?: pulumi.ResourceOptions) {
    super("pulumi-nodejs", name, {}, opts);
  }
}

export interface ProgramOptions {
  /** Folder of the catalog. Defaults to services/ of this project. */
  servicesDir?: string;
  /** Folder of the stack files. Defaults to stacks/ of this project. */
  stacksDir?: string;
  /** An already loaded catalog (the plan reuses one load across stacks), or the part to declare. */
  catalog?: CatalogFile[];
  /**
   * The whole catalog when `catalog` is only a selection (a plan of what changed): the shared
   * pieces that depend on every service (team grants, promotion sources) come from it, so they
   * plan the same as in a whole plan. Defaults to `catalog`.
   */
  wholeCatalog?: CatalogFile[];
  /** Called after each service is declared, with how many of how many (progress of long plans). */
  onProgress?: (declared: number, total: number) => void;
  /**
   * Whether this run declares the stack's shared pieces (where the stack owns them): a parallel
   * plan declares them in its first worker only. Defaults to true.
   */
  declareSharedResources?: boolean;
  /**
   * Names of the stack's services this run declares (a parallel plan's slice); the rest still
   * count for the facts about the whole stack (retained resources of removed services). Defaults
   * to every service of the stack.
   */
  declareOnly?: readonly string[];
}

/** Identifiers of one service, exported per service as stack outputs. */
export type ServiceStackOutputs = MlServiceOutputs;

export interface ProgramOutputs {
  environment: string;
  accountId: string;
  baseImage: pulumi.Output<string>;
  services: Record<string, ServiceStackOutputs>;
  /** Data-bearing resources of removed services, by service (re-adding one adopts them). */
  retained: Record<string, AdoptSpec>;
}

/** Reads this stack's settings from the Pulumi config (plain keys; secrets stay Outputs). */
export function settingsFromConfig(stack: string): StackSettings {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (!key.startsWith(prefix)) continue;
    const short = key.slice(prefix.length);
    if (!SECRET_SETTING_KEYS.includes(short)) values[short] = value;
  }
  return parseSettings(stack, values, `stacks/Pulumi.${stack}.yaml`);
}

/** Validates settings and catalog; throws one CatalogError listing every problem (a RunError: no stack trace). */
export function loadValidated(
  options: ProgramOptions,
  stack: string,
): { settings: StackSettings; catalog: CatalogFile[]; stacks: StackInfo[] } {
  try {
    const settings = settingsFromConfig(stack);
    const stacks: StackInfo[] = readStacks(options.stacksDir ?? DEFAULT_STACKS_DIR).map((s) =>
      s.stack === stack ? { ...s, settings } : s,
    );
    const catalog =
      options.catalog ?? loadCatalog(options.servicesDir ?? DEFAULT_SERVICES_DIR, stacks);
    return { settings, catalog, stacks };
  } catch (e) {
    if (e instanceof SettingsError) throw new CatalogError(e.problems);
    throw e;
  }
}

/** What a previous deployment exported of one service (the parts the program reads back). */
type PreviousService = { managedFiles?: Record<string, string> } & Partial<
  Record<"ecrRepositoryUrl" | "artifactsBucket" | "predictionsBucket", string>
> &
  Partial<Record<"repositoryUrl" | "experimentId" | "registeredModel", string>>;

/**
 * This stack's outputs from its previous deployment (a StackReference to itself): the template
 * files deployed last time, so that later template changes arrive as pull requests, and the
 * data-bearing resources of removed services, so that re-adding one adopts them.
 */
async function previousDeployment(stack: string): Promise<{
  services: Record<string, PreviousService>;
  retained: Record<string, AdoptSpec>;
}> {
  const self = new pulumi.StackReference("previous-deployment", {
    name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${stack}`,
  });
  const read = async <T>(name: string): Promise<Record<string, T>> => {
    const details = await self.getOutputDetails(name);
    const value = (details.value ?? details.secretValue ?? {}) as Record<string, T>;
    return typeof value === "object" && value !== null ? value : {};
  };
  return { services: await read<PreviousService>("services"), retained: await read("retained") };
}

/** What a re-added service adopts of its retained resources (the repository only where it lives). */
function readoptable(spec: AdoptSpec, ownsSource: boolean): AdoptSpec {
  const { repository, ...rest } = spec;
  return ownsSource && repository ? { repository, ...rest } : rest;
}

/** The data-bearing resources a service left behind, by the names and ids it exported. */
export function retainedResourcesOf(outputs: PreviousService): AdoptSpec {
  const spec: AdoptSpec = {};
  if (outputs.ecrRepositoryUrl) {
    spec.ecrRepository = outputs.ecrRepositoryUrl.slice(outputs.ecrRepositoryUrl.indexOf("/") + 1);
  }
  if (outputs.artifactsBucket) spec.artifactsBucket = outputs.artifactsBucket;
  if (outputs.predictionsBucket) spec.predictionsBucket = outputs.predictionsBucket;
  if (outputs.repositoryUrl) spec.repository = outputs.repositoryUrl.split("/").pop();
  if (outputs.experimentId) spec.experiment = outputs.experimentId;
  if (outputs.registeredModel) spec.registeredModel = outputs.registeredModel;
  return spec;
}

/**
 * Which services of the previous deployment are gone (their data retained) and which retained
 * ones come back: a service re-added after its removal adopts its own retained resources instead
 * of colliding with them (their names derive from the immutable service name).
 */
export function retainedAfter(
  previous: { services: Record<string, PreviousService>; retained: Record<string, AdoptSpec> },
  current: ReadonlySet<string>,
): { retained: Record<string, AdoptSpec>; readopted: Record<string, AdoptSpec> } {
  const retained: Record<string, AdoptSpec> = { ...previous.retained };
  for (const [name, outputs] of Object.entries(previous.services)) {
    if (!current.has(name)) retained[name] = retainedResourcesOf(outputs);
  }
  const readopted: Record<string, AdoptSpec> = {};
  for (const name of Object.keys(retained)) {
    if (current.has(name) && !previous.services[name]) {
      readopted[name] = retained[name];
      delete retained[name];
    } else if (current.has(name)) delete retained[name];
  }
  const sorted = Object.fromEntries(Object.entries(retained).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { retained: sorted, readopted };
}

export async function declarePlatform(options: ProgramOptions = {}): Promise<ProgramOutputs> {
  const stack = pulumi.getStack();
  const { settings, catalog, stacks } = loadValidated(options, stack);
  const config = new pulumi.Config(CONFIG_NAMESPACE);
  const services = servicesForStack(catalog, settings);

  // Stacks set pulumi:disable-default-providers ["*"]: every resource names its provider, so a
  // forgotten one fails instead of using ambient credentials. The AWS provider also refuses any
  // other account (allowedAccountIds) and tags everything with the account tags (defaultTags).
  const awsProvider = new aws.Provider("aws", {
    region: settings.awsRegion as aws.Region,
    allowedAccountIds: [settings.awsAccountId],
    defaultTags: { tags: settings.accountTags },
  });
  const githubToken = config.requireSecret("githubToken");
  const githubProvider = new github.Provider("github", {
    owner: settings.githubOrganization,
    token: githubToken,
    baseUrl: settings.githubApiUrl,
  });
  const databricksProvider = new databricks.Provider("databricks", {
    host: settings.databricksHost,
    clientId: settings.databricksClientId,
    clientSecret: config.requireSecret("databricksClientSecret"),
  });
  const providers = {
    aws: awsProvider,
    github: githubProvider,
    databricks: databricksProvider,
    // The base image build (components/base-image.ts): keyed by its package, "docker-build".
    "docker-build": new dockerbuild.Provider("docker-build", {}),
    command: new command.Provider("command", {}),
    // The dynamic providers' package (pulumi/pulumi tests/integration/explicit_provider).
    "pulumi-nodejs": new DynamicProvider("dynamic"),
  };

  // One identity look-up per stack, not per service: it must be the stack's own account.
  const identity = await aws.getCallerIdentity({}, { provider: awsProvider });
  if (identity.accountId !== settings.awsAccountId) {
    throw new CatalogError([
      `stacks/Pulumi.${stack}.yaml: mlplatform:awsAccountId: the stack deploys account ${settings.awsAccountId}, but the AWS credentials in use belong to account ${identity.accountId}; use that account's deploy role (${settings.deployRoleArn}) or correct the setting`,
    ]);
  }
  const platform = platformNames(settings.environment, settings.namePrefix);
  const platformTags = serviceTags({
    service: "platform",
    team: "ml-platform",
    environment: settings.environment,
    accountTags: settings.accountTags,
    production: settings.production,
  });
  const baseImageRepositoryArn = ecrRepositoryArn(settings, platform.baseImageRepository);
  const rolePattern = (suffix: string) =>
    roleArn(settings.awsAccountId, `${settings.namePrefix}-*-${settings.environment}-${suffix}`);
  // Declared by one stack per environment and region (validated); the shards use them by name.
  let baseImage: BaseImage | undefined;
  if (settings.ownsPlatformResources && options.declareSharedResources !== false) {
    baseImage = new BaseImage(
      "base-image",
      {
        repositoryName: platform.baseImageRepository,
        tag: baseImageTag(),
        build: settings.buildBaseImage,
        // Every service's CI role builds FROM it and every cluster role runs its placeholder.
        pullRoles: [rolePattern("ci"), rolePattern("cluster")],
        pushRole: settings.deployRoleArn,
        tags: platformTags,
        protect: settings.protectData,
      },
      { providers },
    );
    declareSharedWorkspacePieces(
      options.wholeCatalog ?? catalog,
      settings,
      stacks,
      platform,
      platformTags,
      providers,
    );
  }
  const baseImageRef = `${ecrRepositoryUrl(settings, platform.baseImageRepository)}:${baseImageTag()}`;

  const previous = await previousDeployment(stack);
  const { retained, readopted } = retainedAfter(previous, new Set(services.map((s) => s.name)));
  const droneToken = config.requireSecret("droneToken");
  const outputs: Record<string, ServiceStackOutputs> = {};
  const only = options.declareOnly && new Set(options.declareOnly);
  const declared = only ? services.filter((s) => only.has(s.name)) : services;
  for (const [index, service] of declared.entries()) {
    // Let registrations be answered between batches: bounds what is pending on large catalogs.
    if (index > 0 && index % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    // A re-added service adopts what it left behind; an explicit adopt entry wins.
    const back = readopted[service.name];
    const withRetained = back
      ? {
          ...service,
          adopt: {
            ...service.adopt,
            [settings.environment]: {
              ...readoptable(back, service.sourceEnvironment === settings.environment),
              ...service.adopt?.[settings.environment],
            },
          },
        }
      : service;
    const ml = new MlService(
      service.name,
      {
        service: withRetained,
        settings,
        accountId: identity.accountId,
        baseImageRef,
        baseImageTag: baseImageTag(),
        baseImageRepositoryArn,
        imageSource: imageSource(service, settings, stacks),
        promotionReaders:
          service.sourceEnvironment === settings.environment
            ? promotionReaders(service, stacks)
            : [],
        productionEnvironments: productionEnvironmentsOf(stacks),
        droneToken,
        githubToken,
        previousManagedFiles: previous.services[service.name]?.managedFiles,
      },
      { providers },
    );
    outputs[service.name] = ml.outputs;
    options.onProgress?.(index + 1, declared.length);
  }
  return {
    environment: settings.environment,
    accountId: identity.accountId,
    baseImage: baseImage?.imageRef ?? pulumi.output(baseImageRef),
    services: outputs,
    retained,
  };
}

/** The name of a role from its ARN (the part after the last slash: a path is not part of it). */
export function roleNameOfArn(arn: string): string {
  return arn.slice(arn.lastIndexOf("/") + 1);
}

/**
 * The environment's shared Databricks and IAM pieces, declared by its owning stack for the whole
 * catalog (every shard's services): the experiments' parent folder, each team's use of the model
 * catalog and schema, and the image-promotion role when any service is promoted into it.
 */
function declareSharedWorkspacePieces(
  catalog: CatalogFile[],
  settings: StackSettings,
  stacks: StackInfo[],
  platform: ReturnType<typeof platformNames>,
  tags: Record<string, string>,
  providers: { aws: aws.Provider; databricks: databricks.Provider },
): void {
  const entries = catalog.map((f) => f.entry);
  // Decommissioned services count: their teams still read the retained models.
  const here = entries.filter((e) => e.environments.includes(settings.environment));
  // Experiment creation fails when the parent folder is missing ("Parent directory ... does not
  // exist"); workspace/mkdirs creates it with its parents (Workspace API reference). Retained: it
  // holds the experiments.
  new databricks.Directory(
    "experiments-folder",
    { path: platform.experimentFolder, deleteRecursive: false },
    { provider: providers.databricks, ...dataResourceOptions(settings.protectData) },
  );
  // databricks.Grant is authoritative for one principal on one securable: one per team, here only.
  for (const team of [...new Set(here.map((e) => e.team))].sort()) {
    new databricks.Grant(
      `team-${team}-model-catalog`,
      { catalog: settings.modelCatalog, principal: team, privileges: ["USE_CATALOG"] },
      { provider: providers.databricks },
    );
    new databricks.Grant(
      `team-${team}-model-schema`,
      {
        schema: `${settings.modelCatalog}.${settings.modelSchema}`,
        principal: team,
        privileges: ["USE_SCHEMA"],
      },
      { provider: providers.databricks },
    );
  }
  // Databricks Container Services must be on for jobs that run the services' images; retained,
  // because deleting a WorkspaceConf resets every enable* key it set to false (provider docs of
  // databricks.WorkspaceConf, customConfig).
  new databricks.WorkspaceConf(
    "workspace-conf",
    { customConfig: { enableDcs: "true" } },
    { provider: providers.databricks, retainOnDelete: true },
  );
  // Registering an instance profile needs iam:PassRole on its role for the workspace's
  // cross-account role (Databricks "Manage instance profiles": "update the policy of the role
  // used to deploy the workspace"; terraform-provider-databricks docs of databricks_instance_profile).
  new aws.iam.RolePolicy(
    "databricks-pass-cluster-roles",
    {
      role: roleNameOfArn(settings.databricksCrossAccountRoleArn),
      name: `${settings.namePrefix}-${settings.environment}-pass-cluster-roles`,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "PassServiceClusterRoles",
            Effect: "Allow",
            Action: ["iam:PassRole"],
            Resource: roleArn(
              settings.awsAccountId,
              `${settings.namePrefix}-*-${settings.environment}-cluster`,
            ),
          },
        ],
      }),
    },
    { provider: providers.aws },
  );
  const sources = promotionSources(entries, settings, stacks);
  if (sources.length > 0) {
    new ImagePromotionRole(
      "image-promotion",
      {
        roleName: platform.imagePromotionRole,
        deployRoleArn: settings.deployRoleArn,
        sourceRepositoryPatterns: sources.map((source) =>
          ecrRepositoryArn(source, `${source.namePrefix}/*-${source.environment}`),
        ),
        targetRepositoryPattern: ecrRepositoryArn(
          settings,
          `${settings.namePrefix}/*-${settings.environment}`,
        ),
        baseImageRepositoryArn: ecrRepositoryArn(settings, platform.baseImageRepository),
        tags,
      },
      { providers: { aws: providers.aws } },
    );
  }
}
