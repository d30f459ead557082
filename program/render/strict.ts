/**
 * Strict variable look-up for templates: a name or field that the context does not have is an
 * error naming it, in `if` tests as well as in output (nunjucks' throwOnUndefined only catches
 * output, and without the name). Optional values are present in the context as null.
 */
import * as nunjucks from "nunjucks";

export class UndefinedVariableError extends Error {
  constructor(readonly variable: string) {
    super(`undefined variable "${variable}"`);
    this.name = "UndefinedVariableError";
  }
}

// Looked up by JavaScript itself (JSON.stringify, String(), await) rather than by a template.
const PASS_THROUGH = new Set(["toJSON", "then", "constructor", "valueOf", "toString", "length"]);

function wrap<T>(value: T, where: string): T {
  if (Array.isArray(value)) {
    return value.map((item, i) => wrap(item, `${where}[${i}]`)) as T;
  }
  if (typeof value !== "object" || value === null) return value;
  const wrapped: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) wrapped[key] = wrap(child, `${where}.${key}`);
  return new Proxy(wrapped, {
    get(target, prop, receiver) {
      if (typeof prop === "symbol" || prop in target || PASS_THROUGH.has(prop)) {
        return Reflect.get(target, prop, receiver) as unknown;
      }
      throw new UndefinedVariableError(`${where}.${prop}`);
    },
  }) as T;
}

/** The context with every nested mapping strict (its top-level names are checked by strictGlobals). */
export function strictContext(context: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) out[key] = wrap(value, key);
  return out;
}

/**
 * Makes a top-level name that is neither in the context nor a nunjucks global an error: nunjucks
 * consults the globals for every name missing from the context.
 */
export function strictGlobals(env: nunjucks.Environment): void {
  const holder = env as unknown as { globals: Record<string, unknown> };
  const globals = holder.globals;
  holder.globals = new Proxy(globals, {
    has: () => true,
    get(target, prop) {
      if (typeof prop === "symbol" || prop in target) return target[prop as string];
      throw new UndefinedVariableError(prop);
    },
  });
}
