/** Builds the catalog page from the catalog, the offline plan of each stack and, when given, each stack's outputs. */
import { loadCatalog } from "../../catalog/load";
import { CatalogError } from "../../catalog/errors";
import { runPlan, stacksOrThrow } from "../plan/run";
import { SettingsError } from "../../catalog/settings";
import { DEFAULT_SERVICES_DIR } from "../../catalog/stacks";
import { CatalogPageError } from "./errors";
import { StackView } from "./model";
import { readStackOutputs, StackOutputs } from "./outputs";
import { renderCatalogPage } from "./render";

export interface BuildOptions {
  /** Only this stack. Defaults to every stack in stacks/. */
  stack?: string;
  /** Folder of the catalog. Defaults to services/. */
  servicesDir?: string;
  /** Folder of the stack files. Defaults to stacks/. */
  stacksDir?: string;
  /**
   * Outputs files of deployed stacks (`pulumi stack output --json --show-secrets=false`), each
   * `file` or `stack=file`. Defaults to none: the page shows what is planned.
   */
  outputs?: readonly string[];
  /** When the page was built (ISO text). Defaults to now. */
  generatedAt?: string;
}

export async function buildCatalogPage(options: BuildOptions = {}): Promise<string> {
  const stacks = stacksOrThrow(options.stacksDir);
  const chosen = options.stack ? stacks.filter((s) => s.stack === options.stack) : stacks;
  if (options.stack !== undefined && chosen.length === 0) {
    throw new CatalogPageError(
      "stack",
      options.stack,
      `no such stack (stacks: ${stacks.map((s) => s.stack).join(", ")})`,
    );
  }
  const known = stacks.map((s) => ({
    stack: s.stack,
    environment: s.settings.environment,
    awsAccountId: s.settings.awsAccountId,
  }));
  const outputsByStack = new Map<string, StackOutputs>();
  for (const argument of options.outputs ?? []) {
    const outputs = readStackOutputs(argument, known);
    const before = outputsByStack.get(outputs.stack);
    if (before) {
      throw new CatalogPageError(
        "outputs",
        argument,
        `${outputs.file}: a second outputs file for stack ${outputs.stack} (the first: ${before.file})`,
      );
    }
    if (!chosen.some((s) => s.stack === outputs.stack)) {
      throw new CatalogPageError(
        "outputs",
        argument,
        `${outputs.file}: outputs of stack ${outputs.stack}, which this page does not show (--stack ${options.stack})`,
      );
    }
    outputsByStack.set(outputs.stack, outputs);
  }
  let catalog;
  try {
    catalog = loadCatalog(options.servicesDir ?? DEFAULT_SERVICES_DIR, stacks);
  } catch (e) {
    if (e instanceof SettingsError) throw new CatalogError(e.problems);
    throw e;
  }
  const entries = new Map(catalog.map((f) => [f.entry.name, { entry: f.entry, file: f.file }]));
  const views: StackView[] = [];
  // One stack at a time: runPlan installs the mock engine for the stack it plans.
  for (const info of chosen) {
    const plan = await runPlan({
      stack: info.stack,
      servicesDir: options.servicesDir,
      stacksDir: options.stacksDir,
      catalog,
    });
    const outputs = outputsByStack.get(info.stack);
    views.push({
      stack: info.stack,
      environment: plan.environment,
      githubOrganization: info.settings.githubOrganization,
      awsRegion: info.settings.awsRegion,
      databricksHost: info.settings.databricksHost,
      plan,
      ...(outputs ? { outputs } : {}),
    });
  }
  return renderCatalogPage(views, entries, {
    generatedAt: options.generatedAt ?? new Date().toISOString(),
  });
}
