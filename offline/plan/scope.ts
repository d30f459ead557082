/**
 * What a real preview of a pull request needs to cover, from the offline plan and its diff: no
 * preview when nothing changes in the stack, the changed services' resources (as engine URNs, for
 * `pulumi preview --target`, and as names, for `npm run preview -- --service`) when only services
 * change, the whole stack when shared code or the platform's own pieces change. `npm run plan --
 * --scope FILE` writes it; the CI files read it, so a pull request that touches one service of a
 * 500-service catalog previews that service, in the stacks that deploy it, and nothing else.
 */
import { PlanDiff } from "./diff";
import { PlanDocument } from "./types";

export interface PreviewScope {
  stack: string;
  /** none: nothing to preview; services: only `services`/`targets`; all: the whole stack. */
  preview: "none" | "services" | "all";
  /** Why, in one line. */
  reason: string;
  /** The services whose resources change, sorted (empty unless preview is "services"). */
  services: string[];
  /** Engine URNs of those services' resources, in the plan and in its base, sorted. */
  targets: string[];
}

export interface ScopeInputs {
  plan: PlanDocument;
  /** The diff against the base plan; undefined without `--diff`. */
  diff?: PlanDiff;
  base?: PlanDocument;
  /** Shared files the change touches (changed-since); any makes the whole stack previewed. */
  sharedChanges?: readonly string[];
}

export function previewScope({ plan, diff, base, sharedChanges = [] }: ScopeInputs): PreviewScope {
  const scope = (preview: PreviewScope["preview"], reason: string): PreviewScope => ({
    stack: plan.stack,
    preview,
    reason,
    services: [],
    targets: [],
  });
  if (!diff) return scope("all", "no base plan to compare with (--diff)");
  if (sharedChanges.length > 0) {
    const shown = sharedChanges.slice(0, 3).join(", ");
    const more = sharedChanges.length > 3 ? ` and ${sharedChanges.length - 3} more` : "";
    return scope(
      "all",
      `shared files changed (${shown}${more}): providers and code every service uses`,
    );
  }
  const changed = diff.groups.filter((g) => g.status !== "unchanged");
  if (changed.some((g) => g.name === "platform")) {
    return scope("all", "the platform's shared resources change");
  }
  if (changed.length === 0) return scope("none", "the offline diff shows no change in this stack");
  const services = changed.map((g) => g.name).sort();
  const wanted = new Set(services);
  const urns = new Set<string>();
  for (const doc of [plan, base]) {
    for (const service of doc?.services ?? []) {
      if (wanted.has(service.name)) for (const r of service.resources) urns.add(r.urn);
    }
  }
  return {
    stack: plan.stack,
    preview: "services",
    reason: `only these services change: ${services.join(", ")}`,
    services,
    targets: [...urns].sort(),
  };
}
