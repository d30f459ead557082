/**
 * Runs the Pulumi program (program/program.ts, exactly what index.ts runs) in-process under the mock
 * engine and turns what it declared into a PlanDocument.
 */
import * as pulumi from "@pulumi/pulumi";
import { CatalogError } from "../../catalog/errors";
import { PlanInputError } from "./plan-input-error";
import { CatalogFile } from "../../catalog/types";
import { declarePlatform, ProgramOptions } from "../../program/program";
import { CONFIG_NAMESPACE, SECRET_SETTING_KEYS, SettingsError } from "../../catalog/settings";
import { stacksOrThrow, StackInfo, DEFAULT_SERVICES_DIR } from "../../catalog/stacks";
import { loadCatalog } from "../../catalog/load";
import { installMockEngine, maskInputs, RecordedResource } from "./mock-engine";
import { tuneSdkForOfflinePlan } from "./sdk-tuning";
import { evaluatePolicies } from "../policy/evaluate";
import {
  assemblePlan,
  PlanDocument,
  PlanResource,
  PlanService,
  SECRET_MASK,
  withEngineId,
} from "./types";

export * from "./types";

export const PROJECT = "mlplatform";

/** Resolves once every registration the program started has been answered (an SDK internal). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const waitForRPCs: () => Promise<void> = require("@pulumi/pulumi/runtime/settings").waitForRPCs;
const SERVICE_TYPE = "mlplatform:service:MlService";

export { PlanInputError };

/** The former name of PlanInputError, for modules that still use it. */
export const PlanUsageError = PlanInputError;

// stacksOrThrow lives in catalog/stacks.ts; re-exported for the modules that import it from here.
export { stacksOrThrow };

export interface RunPlanOptions extends ProgramOptions {
  stack: string;
  /** Outputs of the previous deployment (the StackReference to this stack returns them). */
  previousOutputs?: Record<string, unknown>;
  /**
   * Evaluate the policies on the plan (its `findings`). Defaults to true; a parallel plan's
   * worker leaves them out, since the parent evaluates them on the merged plan.
   */
  policies?: boolean;
}

/** The config Pulumi would hand the program for a stack; secrets become masked placeholders. */
export function offlineConfig(info: StackInfo): {
  config: Record<string, string>;
  secretKeys: string[];
} {
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(info.config)) {
    if (typeof value === "object" && value !== null && "secure" in value) continue;
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  for (const key of SECRET_SETTING_KEYS) {
    const full = `${CONFIG_NAMESPACE}:${key}`;
    // Offline there are no real tokens: a placeholder, kept secret like the real one would be.
    config[full] = `offline-placeholder-${key}`;
    secretKeys.push(full);
  }
  return { config, secretKeys };
}

export async function runPlan(options: RunPlanOptions): Promise<PlanDocument> {
  const stacks = stacksOrThrow(options.stacksDir);
  const info = stacks.find((s) => s.stack === options.stack);
  if (!info) {
    throw new PlanInputError(
      `unknown stack "${options.stack}" (stacks: ${stacks.map((s) => s.stack).join(", ")})`,
    );
  }
  const recorded = installMockEngine(PROJECT, options.stack, {
    region: info.settings.awsRegion,
    accountId: info.settings.awsAccountId,
    githubOrganization: info.settings.githubOrganization,
    previousOutputs: options.previousOutputs,
    // The plan keeps only masked inputs: the raw ones die young instead of living to the end.
    maskRecordedInputs: true,
  });
  const { config, secretKeys } = offlineConfig(info);
  pulumi.runtime.setAllConfig(config, secretKeys);

  let catalog: CatalogFile[];
  try {
    catalog = options.catalog ?? loadCatalog(options.servicesDir ?? DEFAULT_SERVICES_DIR, stacks);
  } catch (e) {
    if (e instanceof SettingsError) throw new CatalogError(e.problems);
    throw e;
  }
  // Offline only: no per-resource stack capture while the program runs (offline/plan/sdk-tuning.ts).
  const restoreSdk = tuneSdkForOfflinePlan();
  let result: Awaited<ReturnType<typeof declarePlatform>>;
  let resolved: unknown;
  let retained: Record<string, unknown> = {};
  try {
    result = await declarePlatform({ ...options, catalog });
    resolved = await resolveMasked(result.services);
    retained = (await resolveMasked(result.retained)) as Record<string, unknown>;
    await waitForRPCs();
  } finally {
    restoreSdk();
  }
  const doc = buildDocument(options.stack, result.environment, recorded, catalog, resolved);
  doc.retained = retained;
  if (options.policies !== false) doc.findings = evaluatePolicies(doc);
  return doc;
}

/** Resolves outputs, replacing secret ones by the mask. */
async function resolveMasked(value: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    const output = value as pulumi.Output<unknown> & { isSecret: Promise<boolean> };
    if (await output.isSecret) return SECRET_MASK;
    return resolveMasked(await new Promise((resolve) => output.apply(resolve)));
  }
  if (Array.isArray(value)) return Promise.all(value.map(resolveMasked));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = await resolveMasked(v);
      if (r !== undefined) out[k] = r;
    }
    return out;
  }
  return value;
}

// Masking happens as the engine records (offline/plan/mock-engine.ts); re-exported from here.
export { maskInputs };

function buildDocument(
  stack: string,
  environment: string,
  recorded: RecordedResource[],
  catalog: CatalogFile[],
  outputs: unknown,
): PlanDocument {
  const byUrn = new Map(recorded.map((r) => [r.urn, r]));
  const serviceOf = new Map<string, string | undefined>();
  const owner = (r: RecordedResource): string | undefined => {
    if (serviceOf.has(r.urn)) return serviceOf.get(r.urn);
    let found: string | undefined;
    if (r.type === SERVICE_TYPE) found = r.name;
    else if (r.parent && byUrn.has(r.parent)) found = owner(byUrn.get(r.parent)!);
    serviceOf.set(r.urn, found);
    return found;
  };
  const platform: PlanResource[] = [];
  const perService = new Map<string, PlanResource[]>();
  for (const r of [...recorded].sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0))) {
    const resource: PlanResource = {
      urn: r.urn,
      type: r.type,
      name: r.name,
      ...(r.parent ? { parent: r.parent } : {}),
      custom: r.custom,
      inputs: r.inputs,
      protect: r.protect,
      retainOnDelete: r.retainOnDelete,
      ...(r.ignoreChanges ? { ignoreChanges: r.ignoreChanges } : {}),
      ...(r.importId ? { importId: r.importId } : {}),
      ...(r.replacementTrigger !== undefined ? { replacementTrigger: r.replacementTrigger } : {}),
    };
    withEngineId(resource, r.id);
    const service = owner(r);
    if (service === undefined) platform.push(resource);
    else {
      // Append in place: copying the list per resource made this quadratic in a service's size.
      const list = perService.get(service);
      if (list) list.push(resource);
      else perService.set(service, [resource]);
    }
  }
  const entries = new Map(catalog.map((f) => [f.entry.name, f]));
  const serviceOutputs = (outputs ?? {}) as Record<string, Record<string, unknown>>;
  const services: PlanService[] = [...perService.keys()].sort().map((name) => {
    const file = entries.get(name);
    const entry = file?.entry;
    return {
      name,
      displayName: entry?.displayName ?? name,
      team: entry?.team ?? "",
      owners: entry?.owners ?? [],
      description: entry?.description ?? "",
      template: entry?.template ?? "",
      environments: entry?.environments ?? [],
      decommissioned: entry?.decommissioned ?? false,
      file: file?.file ?? "",
      digest: file?.digest ?? "",
      resources: perService.get(name)!,
      outputs: serviceOutputs[name] ?? {},
    };
  });
  return assemblePlan({ project: PROJECT, stack, environment }, platform, services, {});
}
