/**
 * The Pulumi program: load and validate the catalog for the current stack, then declare the
 * platform's shared pieces and one MlService per service. `index.ts` runs it for `pulumi up`; the
 * offline plan and the tests run this same function under the SDK's mock engine.
 */
import * as aws from "@pulumi/aws";
import * as databricks from "@pulumi/databricks";
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { BaseImage } from "../components/base-image";
import { MlService, MlServiceOutputs } from "../components/ml-service";
import { serviceTags } from "../components/tags";
import { CatalogError } from "./catalog/errors";
import { loadCatalog } from "./catalog/load";
import { servicesForStack } from "./catalog/resolve";
import { CatalogFile } from "./catalog/types";
import { platformNames } from "./names";
import {
  CONFIG_NAMESPACE,
  parseSettings,
  SECRET_SETTING_KEYS,
  SettingsError,
  StackSettings,
} from "./settings";
import { DEFAULT_SERVICES_DIR, DEFAULT_STACKS_DIR, readStacks, StackInfo } from "./stacks";
import { baseImageTag } from "./base-image-tag";

export interface ProgramOptions {
  /** Folder of the catalog. Defaults to services/ of this project. */
  servicesDir?: string;
  /** Folder of the stack files. Defaults to stacks/ of this project. */
  stacksDir?: string;
  /** An already loaded catalog (the plan reuses one load across stacks). */
  catalog?: CatalogFile[];
  /** Called after each service is declared, with how many of how many (progress of long plans). */
  onProgress?: (declared: number, total: number) => void;
}

/** Identifiers of one service, exported per service as stack outputs. */
export type ServiceStackOutputs = MlServiceOutputs;

export interface ProgramOutputs {
  environment: string;
  accountId: string;
  baseImage: pulumi.Output<string>;
  services: Record<string, ServiceStackOutputs>;
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
): { settings: StackSettings; catalog: CatalogFile[] } {
  try {
    const settings = settingsFromConfig(stack);
    const stacks: StackInfo[] = readStacks(options.stacksDir ?? DEFAULT_STACKS_DIR).map((s) =>
      s.stack === stack ? { ...s, settings } : s,
    );
    const catalog =
      options.catalog ?? loadCatalog(options.servicesDir ?? DEFAULT_SERVICES_DIR, stacks);
    return { settings, catalog };
  } catch (e) {
    if (e instanceof SettingsError) throw new CatalogError(e.problems);
    throw e;
  }
}

/**
 * This stack's outputs from its previous deployment (a StackReference to itself): the template
 * files deployed last time, so that later template changes arrive as pull requests.
 */
async function previousServiceOutputs(
  stack: string,
): Promise<Record<string, { managedFiles?: Record<string, string> }>> {
  const self = new pulumi.StackReference("previous-deployment", {
    name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${stack}`,
  });
  const details = await self.getOutputDetails("services");
  const value = (details.value ?? details.secretValue ?? {}) as Record<
    string,
    { managedFiles?: Record<string, string> }
  >;
  return typeof value === "object" && value !== null ? value : {};
}

export async function declarePlatform(options: ProgramOptions = {}): Promise<ProgramOutputs> {
  const stack = pulumi.getStack();
  const { settings, catalog } = loadValidated(options, stack);
  const config = new pulumi.Config(CONFIG_NAMESPACE);
  const services = servicesForStack(catalog, settings);

  const awsProvider = new aws.Provider("aws", { region: settings.awsRegion as aws.Region });
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
  const providers = { aws: awsProvider, github: githubProvider, databricks: databricksProvider };

  // One identity look-up per stack, not per service.
  const identity = await aws.getCallerIdentity({}, { provider: awsProvider });
  const platform = platformNames(settings.environment, settings.namePrefix);
  // Declared by one stack per environment and region (validated); the shards use it by name.
  const baseImage = settings.ownsPlatformResources
    ? new BaseImage(
        "base-image",
        {
          repositoryName: platform.baseImageRepository,
          tag: baseImageTag(),
          build: settings.buildBaseImage,
          tags: serviceTags({
            service: "platform",
            team: "ml-platform",
            environment: settings.environment,
            accountTags: settings.accountTags,
          }),
          protect: settings.protectData,
        },
        { providers },
      )
    : undefined;
  const baseImageRef = `${identity.accountId}.dkr.ecr.${settings.awsRegion}.amazonaws.com/${platform.baseImageRepository}:${baseImageTag()}`;

  const previous = await previousServiceOutputs(stack);
  const droneToken = config.requireSecret("droneToken");
  const outputs: Record<string, ServiceStackOutputs> = {};
  for (const [index, service] of services.entries()) {
    // Let registrations be answered between batches: bounds what is pending on large catalogs.
    if (index > 0 && index % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    const ml = new MlService(
      service.name,
      {
        service,
        settings,
        accountId: identity.accountId,
        baseImageRef,
        droneToken,
        githubToken,
        previousManagedFiles: previous[service.name]?.managedFiles,
      },
      { providers },
    );
    outputs[service.name] = ml.outputs;
    options.onProgress?.(index + 1, services.length);
  }
  return {
    environment: settings.environment,
    accountId: identity.accountId,
    baseImage: baseImage?.imageRef ?? pulumi.output(baseImageRef),
    services: outputs,
  };
}
