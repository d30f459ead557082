/** Turns engine events into one line per resource operation and a summary of counts. */
import type { EngineEvent, OpMap } from "@pulumi/pulumi/automation";

export interface ResourceChange {
  op: string;
  type: string;
  name: string;
  urn: string;
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

/** The logical name is the URN's last `::` part. */
export function nameOfUrn(urn: string): string {
  const i = urn.lastIndexOf("::");
  return i >= 0 ? urn.slice(i + 2) : urn;
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

  lineFor(event: EngineEvent): string | undefined {
    if (event.resourcePreEvent) {
      const { op, type, urn } = event.resourcePreEvent.metadata;
      if (op === "same" || type === "pulumi:pulumi:Stack") return undefined;
      const name = nameOfUrn(urn);
      this.changes.push({ op, type, name, urn });
      return `${(SYMBOL[op] ?? "*").padEnd(2)} ${op.padEnd(18)} ${type}  ${name}`;
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

/** Resources the counts say would change (everything but `same`). */
export function changedCount(changes: OpMap): number {
  return Object.entries(changes)
    .filter(([op]) => op !== "same")
    .reduce((n, [, count]) => n + (count ?? 0), 0);
}

export function formatSummary(operation: string, stack: string, changes: OpMap): string {
  const parts = Object.entries(changes)
    .filter(([op, count]) => op !== "same" && (count ?? 0) > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([op, count]) => `${count} ${op}`);
  const unchanged = changes.same ?? 0;
  const verb = operation === "preview" ? "would change" : "changed";
  return `${operation} ${stack}: ${parts.length ? `${verb}: ${parts.join(", ")}` : "no changes"}; ${unchanged} unchanged`;
}
