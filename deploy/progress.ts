/** Turns engine events into one line per resource operation and a summary of counts. */
import type { EngineEvent, OpMap, StepEventMetadata } from "@pulumi/pulumi/automation";

export interface ResourceChange {
  op: string;
  type: string;
  name: string;
  urn: string;
  /**
   * How the resource differs: property paths with the engine's diff kind (`tags.owner: update`),
   * from the step's detailedDiff (else its plain `diffs`). Never values: they may be secrets.
   */
  properties: string[];
}

const SYMBOL: Record<string, string> = {
  create: "+",
  update: "~",
  delete: "-",
  replace: "+-",
  "create-replacement": "++",
  "delete-replaced": "--",
  read: ">",
  refresh: "~",
  import: "=",
};

/** Operations that change nothing: reads, unchanged resources, and refresh steps that found no drift. */
const NOT_A_CHANGE = new Set(["same", "read", "refresh"]);

/** The logical name is the URN's last `::` part. */
export function nameOfUrn(urn: string): string {
  const i = urn.lastIndexOf("::");
  return i >= 0 ? urn.slice(i + 2) : urn;
}

/** `path: kind` for every property the step changes (the engine's detailedDiff, else diffs). */
export function changedProperties(metadata: StepEventMetadata): string[] {
  const detailed = metadata.detailedDiff ?? {};
  const keys = Object.keys(detailed);
  if (keys.length > 0) return keys.sort().map((k) => `${k}: ${detailed[k].diffKind}`);
  return [...(metadata.diffs ?? [])].sort();
}

/** Collects changes and renders progress lines; `same` steps are counted but not printed. */
export class ProgressTracker {
  readonly changes: ResourceChange[] = [];
  summary: OpMap | undefined;

  constructor(private readonly print: (line: string) => void) {}

  readonly onEvent = (event: EngineEvent): void => {
    const line = this.lineFor(event);
    if (line !== undefined) this.print(line);
  };

  private record(metadata: StepEventMetadata): string {
    const { op, type, urn } = metadata;
    const name = nameOfUrn(urn);
    const properties = changedProperties(metadata);
    this.changes.push({ op, type, name, urn, properties });
    const how = properties.length > 0 ? `  [${properties.join(", ")}]` : "";
    return `${(SYMBOL[op] ?? "*").padEnd(2)} ${op.padEnd(18)} ${type}  ${name}${how}`;
  }

  lineFor(event: EngineEvent): string | undefined {
    if (event.resourcePreEvent) {
      const metadata = event.resourcePreEvent.metadata;
      // A refresh step is reported when it ends, and only if it found the cloud changed.
      if (NOT_A_CHANGE.has(metadata.op) || metadata.type === "pulumi:pulumi:Stack") {
        return undefined;
      }
      return this.record(metadata);
    }
    if (event.resOutputsEvent) {
      const metadata = event.resOutputsEvent.metadata;
      if (metadata.op !== "refresh" || metadata.type === "pulumi:pulumi:Stack") return undefined;
      if (changedProperties(metadata).length === 0) return undefined;
      // Drift: the refresh read a state that differs from the recorded one.
      return this.record(metadata);
    }
    if (event.resOpFailedEvent) {
      const { op, type, urn } = event.resOpFailedEvent.metadata;
      return `!! ${`${op} failed`.padEnd(18)} ${type}  ${nameOfUrn(urn)}`;
    }
    if (event.diagnosticEvent) {
      const { severity, message, urn } = event.diagnosticEvent;
      if (severity !== "error" && severity !== "warning") return undefined;
      const where = urn ? ` (${nameOfUrn(urn)})` : "";
      return `${severity}${where}: ${message.trim()}`;
    }
    if (event.policyEvent) {
      const p = event.policyEvent;
      const where = p.resourceUrn ? ` (${nameOfUrn(p.resourceUrn)})` : "";
      return `policy ${p.enforcementLevel} ${p.policyName}${where}: ${p.message.trim()}`;
    }
    if (event.summaryEvent) this.summary = event.summaryEvent.resourceChanges;
    return undefined;
  }
}

/** Resources the counts say would change (everything but `same`, `read` and `refresh`). */
export function changedCount(changes: OpMap): number {
  return Object.entries(changes)
    .filter(([op]) => !NOT_A_CHANGE.has(op))
    .reduce((n, [, count]) => n + (count ?? 0), 0);
}

export function formatSummary(operation: string, stack: string, changes: OpMap): string {
  const parts = Object.entries(changes)
    .filter(([op, count]) => !NOT_A_CHANGE.has(op) && (count ?? 0) > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([op, count]) => `${count} ${op}`);
  const unchanged = changes.same ?? 0;
  const verb = operation === "preview" ? "would change" : "changed";
  return `${operation} ${stack}: ${parts.length ? `${verb}: ${parts.join(", ")}` : "no changes"}; ${unchanged} unchanged`;
}

/** Escapes a table cell (pipes and newlines would break the row). */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/**
 * The drift report as Markdown (the CI job summary and the drift issue): which resources differ
 * from the code and how, or that none does. `refreshed` says whether the cloud was read first.
 */
export function driftMarkdown(options: {
  stack: string;
  operation: string;
  refreshed: boolean;
  changes: ResourceChange[];
  counts: OpMap;
  nextStep?: string;
}): string {
  const { stack, changes } = options;
  const how = options.refreshed
    ? "the cloud was read first (`--refresh`), then compared with the code"
    : "the recorded state was compared with the code (no refresh)";
  const lines = [`### Drift check of stack \`${stack}\``, ""];
  if (changes.length === 0) {
    lines.push(
      `No drift: ${options.counts.same ?? 0} resources match the code (${options.operation}; ${how}).`,
    );
    return `${lines.join("\n")}\n`;
  }
  lines.push(
    `**${changes.length} resource${changes.length === 1 ? "" : "s"} drifted** (${options.operation}; ${how}):`,
    "",
    "| change | type | name | properties |",
    "| --- | --- | --- | --- |",
    ...changes.map(
      (c) =>
        `| ${cell(c.op)} | \`${cell(c.type)}\` | \`${cell(c.name)}\` | ${cell(c.properties.join(", ") || "-")} |`,
    ),
  );
  if (options.nextStep) lines.push("", options.nextStep);
  return `${lines.join("\n")}\n`;
}
