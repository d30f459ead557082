/**
 * The engine's placeholder for an input not known yet (during preview). Dynamic providers see it
 * in place of the value in `check` and `diff`. Self-contained: captured by the providers'
 * serialized code.
 */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknownValue(v: unknown): boolean {
  return v === UNKNOWN_VALUE;
}

/**
 * The check failures of the known inputs only: a preview sees unknown placeholders where values
 * come from resources not created yet (an ARN, a job id); those are checked again, known, by
 * create and update. A problem's field is "name" or "name.sub.path"; its first segment names the
 * input, and the path below it is followed as far as the input is an object.
 */
export function failuresOfKnownInputs(
  raw: Record<string, unknown>,
  problems: readonly { field: string; reason: string }[],
): { property: string; reason: string }[] {
  const unknownAlong = (field: string): boolean => {
    let value: unknown = raw;
    for (const key of field.split(".")) {
      if (typeof value !== "object" || value === null) return false;
      value = (value as Record<string, unknown>)[key];
      if (isUnknownValue(value)) return true;
    }
    return false;
  };
  return problems
    .filter((p) => !unknownAlong(p.field))
    .map((p) => ({ property: p.field, reason: p.reason }));
}
