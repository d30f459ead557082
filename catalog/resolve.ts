/** Which services a stack deploys, with the stack's defaults filled in (the last default step). */
import { StackSettings } from "./settings";
import { stackSelects } from "./load";
import { CatalogFile, ResolvedService, ServiceEntry, TemplateName } from "./types";

/** Each template's primary metric and its default gate. */
const TEMPLATE_METRICS: Record<TemplateName, { metric: string; threshold: number | null }> = {
  sklearn: { metric: "roc_auc", threshold: 0.7 },
  pyspark: { metric: "rmse", threshold: null },
};

/** Error metrics, where lower is better; any other metric is maximised unless the entry says otherwise. */
const MINIMIZED_METRICS = new Set([
  "rmse",
  "mse",
  "mae",
  "mape",
  "log_loss",
  "logloss",
  "error",
  "loss",
]);

export function resolveService(entry: ServiceEntry, settings: StackSettings): ResolvedService {
  const templateMetric = TEMPLATE_METRICS[entry.template];
  const metric = entry.evaluation.metric ?? templateMetric.metric;
  const direction =
    entry.evaluation.direction ?? (MINIMIZED_METRICS.has(metric) ? "minimize" : "maximize");
  return {
    ...entry,
    displayName: entry.displayName ?? entry.name,
    training: { ...entry.training, nodeType: entry.training.nodeType ?? settings.defaultNodeType },
    batchPrediction: entry.batchPrediction && {
      ...entry.batchPrediction,
      nodeType: entry.batchPrediction.nodeType ?? settings.defaultNodeType,
    },
    evaluation: {
      metric,
      direction,
      threshold:
        entry.evaluation.threshold ?? (entry.evaluation.metric ? null : templateMetric.threshold),
    },
    artifacts: { retentionDays: entry.artifacts.retentionDays ?? settings.artifactRetentionDays },
    sourceEnvironment: entry.environments[0],
  };
}

/** The services this stack deploys, sorted by name. */
export function servicesForStack(
  catalog: CatalogFile[],
  settings: StackSettings,
): ResolvedService[] {
  return catalog
    .filter(
      (f) =>
        f.entry.environments.includes(settings.environment) && stackSelects({ settings }, f.entry),
    )
    .map((f) => resolveService(f.entry, settings))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
