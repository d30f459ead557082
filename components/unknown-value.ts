/**
 * The engine's placeholder for an input not known yet (during preview). Dynamic providers' diff
 * functions see it in place of the value: a field holding it may change, so it counts as changed.
 * Self-contained: captured by the providers' serialized code.
 */
export function isUnknownValue(v: unknown): boolean {
  return v === "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
}
