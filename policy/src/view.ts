/**
 * What every rule sees of a resource, whichever engine declared it: the offline plan (mock engine)
 * or `pulumi preview/up` (the policy analyzer). Both adapters build these views; rules read nothing
 * else.
 */

export interface ResourceView {
  urn: string;
  /** Pulumi type token, e.g. aws:s3/bucket:Bucket. */
  type: string;
  /** Logical name. */
  name: string;
  /** Inputs as declared (the pack's stack checks see the provider's outputs, a superset). */
  inputs: Record<string, unknown>;
  protect: boolean;
  /** Unset where the engine does not report it (the policy analyzer protocol carries no retainOnDelete). */
  retainOnDelete?: boolean;
  /** The provider's id where known: the mock engine's id in the plan, the `id` output in the pack. */
  id?: string;
  /** True where secret inputs show as SECRET_MASK (the plan); false where they arrive unwrapped (the pack). */
  secretsMasked: boolean;
}

/** The resources of one stack, indexed once by type and (on first use) by reference input. */
export class StackIndex {
  private readonly byType = new Map<string, ResourceView[]>();
  private readonly byReference = new Map<string, Map<string, ResourceView[]>>();

  constructor(resources: Iterable<ResourceView>) {
    for (const r of resources) {
      const list = this.byType.get(r.type);
      if (list) list.push(r);
      else this.byType.set(r.type, [r]);
    }
  }

  ofType(type: string): readonly ResourceView[] {
    return this.byType.get(type) ?? [];
  }

  /** Resources of `type` whose input `key` holds one of `targets` (an id or a physical name). */
  referencing(type: string, key: string, targets: (string | undefined)[]): ResourceView[] {
    const cacheKey = `${type}\u0000${key}`;
    let index = this.byReference.get(cacheKey);
    if (!index) {
      index = new Map();
      for (const r of this.ofType(type)) {
        const value = r.inputs[key];
        if (typeof value !== "string") continue;
        const list = index.get(value);
        if (list) list.push(r);
        else index.set(value, [r]);
      }
      this.byReference.set(cacheKey, index);
    }
    const found = new Set<ResourceView>();
    for (const target of new Set(targets)) {
      if (target === undefined || target === "") continue;
      for (const r of index.get(target) ?? []) found.add(r);
    }
    return [...found];
  }
}

/** A plain object input, or undefined. */
export function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** An array input (a single value becomes a one-element list; absent becomes empty). */
export function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

export function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
