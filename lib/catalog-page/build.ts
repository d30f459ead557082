/** Builds the catalog page from the offline plan of each stack. */
import { UsageError } from "../cli-args";
import { runPlan, stacksOrThrow } from "../plan/run";
import { StackView } from "./model";
import { renderCatalogPage } from "./render";

export interface BuildOptions {
  /** Only this stack; default every stack in stacks/. */
  stack?: string;
  servicesDir?: string;
  stacksDir?: string;
  generatedAt?: string;
}

export async function buildCatalogPage(options: BuildOptions = {}): Promise<string> {
  const stacks = stacksOrThrow(options.stacksDir);
  const chosen = options.stack ? stacks.filter((s) => s.stack === options.stack) : stacks;
  if (chosen.length === 0) {
    throw new UsageError(
      `--stack ${options.stack}: no such stack (stacks: ${stacks.map((s) => s.stack).join(", ")})`,
    );
  }
  const views: StackView[] = [];
  // One stack at a time: runPlan installs the mock engine for the stack it plans.
  for (const info of chosen) {
    const plan = await runPlan({
      stack: info.stack,
      servicesDir: options.servicesDir,
      stacksDir: options.stacksDir,
    });
    const settings = info.settings;
    views.push({
      stack: info.stack,
      environment: plan.environment,
      githubOrganization: settings.githubOrganization,
      awsRegion: settings.awsRegion,
      databricksHost: settings.databricksHost,
      plan,
    });
  }
  return renderCatalogPage(views, { generatedAt: options.generatedAt ?? new Date().toISOString() });
}
