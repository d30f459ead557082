/**
 * Interprets services/schema.json (the same file editors use) to check an entry and apply its
 * defaults. It supports the subset of JSON Schema the catalog schema uses; a keyword outside that
 * subset is refused when the schema is loaded, so the schema cannot silently say more than is
 * enforced.
 */
import * as fs from "fs";
import * as path from "path";
import { parseCron, CRON_ALLOWED } from "./cron";

export interface SchemaNode {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  description?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  /** false refuses unknown keys; a schema checks each key not in `properties` (a map of values). */
  additionalProperties?: boolean | SchemaNode;
  /** Schema of the keys of a map (a `pattern` on strings). */
  propertyNames?: SchemaNode;
  items?: SchemaNode;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  enum?: (string | number)[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  format?: "email" | "cron";
  default?: unknown;
}

const SUPPORTED = new Set([
  "$schema",
  "$id",
  "title",
  "type",
  "description",
  "properties",
  "required",
  "additionalProperties",
  "propertyNames",
  "items",
  "minItems",
  "maxItems",
  "uniqueItems",
  "enum",
  "pattern",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "format",
  "default",
]);

export const SCHEMA_PATH = path.join(__dirname, "..", "..", "services", "schema.json");

let cached: SchemaNode | undefined;

/** The catalog schema, read once per process. */
export function catalogSchema(): SchemaNode {
  if (!cached) {
    const schema = JSON.parse(fs.readFileSync(SCHEMA_PATH, "utf8")) as SchemaNode;
    assertSupported(schema, "#");
    cached = schema;
  }
  return cached;
}

function assertSupported(node: SchemaNode, where: string): void {
  for (const key of Object.keys(node)) {
    if (!SUPPORTED.has(key))
      throw new Error(`services/schema.json ${where}: unsupported keyword ${key}`);
  }
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    assertSupported(child, `${where}/properties/${name}`);
  }
  if (node.items) assertSupported(node.items, `${where}/items`);
  if (typeof node.additionalProperties === "object")
    assertSupported(node.additionalProperties, `${where}/additionalProperties`);
  if (node.propertyNames) assertSupported(node.propertyNames, `${where}/propertyNames`);
}

export interface SchemaProblem {
  /** Field path, e.g. ["training", "schedule"] or ["owners", 1]. */
  path: (string | number)[];
  message: string;
  /** True when the problem is about the key itself (unknown field), not its value. */
  atKey?: boolean;
}

// Anchored, bounded pattern: a local part and a dotted domain with a 2+ letter top level.
const EMAIL =
  /^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}$/;

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  // Explicit YAML tags (!!timestamp, !!binary, !!set, !!omap) make values that are not plain data.
  if (value instanceof Date) return "a timestamp (quote it to make it a string)";
  if (value instanceof Uint8Array) return "binary data (!!binary)";
  if (value instanceof Set) return "a set (!!set)";
  if (value instanceof Map) return "an ordered map (!!omap or !!pairs)";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return `${value} (not a finite number)`;
    return Number.isInteger(value) ? "an integer" : "a number";
  }
  return `a ${typeof value}`;
}

function isPlainMapping(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function expected(node: SchemaNode): string {
  switch (node.type) {
    case "object":
      return "a mapping";
    case "array":
      return "a list";
    case "integer":
      return "an integer";
    case "number":
      return "a number";
    case "boolean":
      return "true or false";
    default:
      return "a string";
  }
}

function preview(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Checks `value` against `node`, pushing every problem, and returns the value with defaults
 * applied (a new object; the input is not changed).
 */
export function checkValue(
  node: SchemaNode,
  value: unknown,
  at: (string | number)[],
  problems: SchemaProblem[],
): unknown {
  const fail = (message: string) => problems.push({ path: at, message });
  switch (node.type) {
    case "object": {
      if (!isPlainMapping(value)) {
        fail(`is ${typeName(value)} (expected ${expected(node)})`);
        return value;
      }
      const props = node.properties ?? {};
      const out: Record<string, unknown> = {};
      const known = Object.keys(props).filter((k) => k !== "$schema");
      for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
        if (!Object.prototype.hasOwnProperty.call(props, key)) {
          if (typeof node.additionalProperties === "object") {
            const keyProblems: SchemaProblem[] = [];
            // Checked at the map's own path (its help text names what keys are), reported at the key.
            if (node.propertyNames) checkValue(node.propertyNames, key, at, keyProblems);
            for (const p of keyProblems) problems.push({ ...p, path: [...at, key], atKey: true });
            if (keyProblems.length === 0)
              out[key] = checkValue(node.additionalProperties, child, [...at, key], problems);
            continue;
          }
          if (node.additionalProperties === false) {
            problems.push({
              path: [...at, key],
              message: `unknown field ${preview(key)} (${suggest(key, known)}allowed: ${known.join(", ")})`,
              atKey: true,
            });
          }
          continue;
        }
        out[key] = checkValue(props[key], child, [...at, key], problems);
      }
      for (const key of node.required ?? []) {
        if (!(key in out) && !Object.prototype.hasOwnProperty.call(value, key)) {
          problems.push({
            path: [...at, key],
            message: `is required (${props[key]?.description ?? "see services/schema.json"})`,
          });
        }
      }
      for (const [key, child] of Object.entries(props)) {
        if (!(key in out) && child.default !== undefined) out[key] = structuredClone(child.default);
        else if (!(key in out) && child.type === "object" && (child.required ?? []).length === 0) {
          // Optional sections that need nothing are materialised with their defaults: one shape downstream.
          out[key] = checkValue(child, {}, [...at, key], problems);
        }
      }
      return out;
    }
    case "array": {
      if (!Array.isArray(value)) {
        fail(`is ${typeName(value)} (expected ${expected(node)})`);
        return value;
      }
      if (node.minItems !== undefined && value.length < node.minItems) {
        fail(
          `has ${value.length} item${value.length === 1 ? "" : "s"} (at least ${node.minItems} required)`,
        );
      }
      if (node.maxItems !== undefined && value.length > node.maxItems) {
        fail(`has ${value.length} items (at most ${node.maxItems} allowed)`);
      }
      const out = value.map((item, i) =>
        node.items ? checkValue(node.items, item, [...at, i], problems) : item,
      );
      if (node.uniqueItems) {
        const seen = new Set<string>();
        value.forEach((item, i) => {
          const key = JSON.stringify(item);
          if (seen.has(key))
            problems.push({
              path: [...at, i],
              message: `duplicates ${preview(item)} (items must be unique)`,
            });
          seen.add(key);
        });
      }
      return out;
    }
    case "string": {
      if (typeof value !== "string") {
        fail(
          `is ${typeName(value)} (expected ${expected(node)}${node.enum ? `: one of ${node.enum.join(", ")}` : ""})`,
        );
        return value;
      }
      if (node.minLength !== undefined && value.length < node.minLength) {
        fail(`is ${value.length} characters long (at least ${node.minLength})`);
        return value;
      }
      if (node.maxLength !== undefined && value.length > node.maxLength) {
        fail(`is ${value.length} characters long (at most ${node.maxLength})`);
        return value;
      }
      if (node.enum && !node.enum.includes(value)) {
        fail(`${preview(value)} is not allowed (one of ${node.enum.join(", ")})`);
      } else if (node.pattern && !new RegExp(node.pattern, "u").test(value)) {
        fail(`${preview(value)} is not valid (${describePattern(at, node.pattern)})`);
      } else if (node.format === "email" && !EMAIL.test(value)) {
        fail(`${preview(value)} is not an email address (name@domain.tld)`);
      } else if (node.format === "cron") {
        const parsed = parseCron(value);
        if (typeof parsed === "string")
          fail(`${preview(value)} is not a valid cron expression: ${parsed} (${CRON_ALLOWED})`);
      }
      return value;
    }
    case "integer":
    case "number": {
      if (
        typeof value !== "number" ||
        !Number.isFinite(value) ||
        (node.type === "integer" && !Number.isInteger(value))
      ) {
        fail(`is ${typeName(value)} (expected ${expected(node)}${rangeText(node)})`);
        return value;
      }
      if (
        (node.minimum !== undefined && value < node.minimum) ||
        (node.maximum !== undefined && value > node.maximum)
      ) {
        fail(`${value} is out of range (${rangeText(node).replace(/^ /, "")})`);
      }
      return value;
    }
    case "boolean": {
      if (typeof value !== "boolean") fail(`is ${typeName(value)} (expected true or false)`);
      return value;
    }
    default:
      return value;
  }
}

function rangeText(node: SchemaNode): string {
  if (node.minimum !== undefined && node.maximum !== undefined)
    return ` from ${node.minimum} to ${node.maximum}`;
  return "";
}

const PATTERN_HELP: Record<string, string> = {
  name: "lowercase letters, digits and single dashes, starting with a letter, e.g. churn-model",
  team: "a GitHub team slug: lowercase letters, digits and dashes",
  owners: "a GitHub handle: letters, digits and single dashes, at most 39 characters",
  environments: "a lowercase environment name such as dev or prod",
  entryPoint: "a Python module name: lowercase letters, digits and underscores",
  nodeType: "a Databricks node type such as i3.xlarge",
  timezone: "an IANA time zone such as UTC or Europe/Berlin",
  metric: "a metric name: lowercase letters, digits and underscores",
  topics: "a GitHub topic: lowercase letters, digits and dashes",
  images: "an environment name such as dev or prod",
  adopt: "an environment name such as dev or prod",
  trainingJob: "a Databricks job id: digits",
  batchPredictionJob: "a Databricks job id: digits",
  experiment: "an MLflow experiment id: digits",
  registeredModel: "a Unity Catalog model name <catalog>.<schema>.<model>",
  artifactsBucket: "an S3 bucket name",
  predictionsBucket: "an S3 bucket name",
  ecrRepository: "an ECR repository name",
  repository: "a GitHub repository name",
  gitSha: "a full commit sha: 40 lowercase hex characters",
  digest: "an image digest: sha256: and 64 lowercase hex characters",
};

function describePattern(at: (string | number)[], pattern: string): string {
  const field = [...at].reverse().find((p) => typeof p === "string") as string | undefined;
  return (field && PATTERN_HELP[field]) ?? `must match ${pattern}`;
}

/** "did you mean" for unknown fields: a known field at edit distance 2 or less. */
function suggest(key: string, known: string[]): string {
  if (key.length > 64) return "";
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best ? `did you mean ${best}? ` : "";
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}
