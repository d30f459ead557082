/**
 * Checks an entry against services/schema.json (the same file editors use) with Ajv, and turns
 * Ajv's errors into the catalog's messages: the field path, what is wrong, what is allowed, and a
 * did-you-mean for misspelt keys and enum values. Defaults are applied by Ajv (`useDefaults`), in
 * this one place.
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../lib/project-root";
// Ajv's draft 2020-12 class: ajv-validator/ajv docs/json-schema.md ("draft-2020-12"), lib/2020.ts.
import Ajv2020, { ErrorObject, ValidateFunction } from "ajv/dist/2020";
// ajv-validator/ajv-formats README.md: addFormats(ajv, ["email"]) adds only the named formats.
import addFormats from "ajv-formats";
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

export const SCHEMA_PATH = path.join(PROJECT_ROOT, "services", "schema.json");

let cached: SchemaNode | undefined;

/** The catalog schema, read once per process. */
export function catalogSchema(): SchemaNode {
  cached ??= JSON.parse(fs.readFileSync(SCHEMA_PATH, "utf8")) as SchemaNode;
  return cached;
}

let compiled: ValidateFunction | undefined;

/**
 * The compiled validator (options: ajv-validator/ajv docs/options.md). Strict mode refuses a
 * keyword Ajv does not know, so the schema cannot say more than is enforced; useDefaults fills the
 * defaults in (docs/guide/modifying-data.md); allErrors reports every problem, not the first.
 * String lengths count code points, as editors do: Ajv's default (its `unicode` option is
 * deprecated and always on).
 */
export function catalogValidator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv2020({
      strict: true,
      allErrors: true,
      useDefaults: true,
      verbose: true,
    });
    addFormats(ajv, ["email"]);
    // A custom format: ajv-validator/ajv docs/guide/formats.md ("addFormat" with a validate function).
    ajv.addFormat("cron", {
      type: "string",
      validate: (text) => typeof parseCron(text) !== "string",
    });
    compiled = ajv.compile(catalogSchema());
  }
  return compiled;
}

export interface SchemaProblem {
  /** Field path, e.g. ["training", "schedule"] or ["owners", 1]. */
  path: (string | number)[];
  message: string;
  /** True when the problem is about the key itself (unknown field), not its value. */
  atKey?: boolean;
}

export interface SchemaResult {
  /** The entry with every default applied (a copy; the input is not changed). */
  value: unknown;
  problems: SchemaProblem[];
}

/** Stands in for YAML values that are not plain data (timestamps, binary, sets): no type accepts it. */
const NOT_PLAIN_DATA = Symbol("not plain data");

function isPlainMapping(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A deep copy of plain data; keys such as __proto__ stay ordinary own keys. */
function plainCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plainCopy);
  if (isPlainMapping(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      Object.defineProperty(out, key, {
        value: plainCopy(value[key]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  if (typeof value === "object" && value !== null) return NOT_PLAIN_DATA;
  return value;
}

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

/** The first sentence of a description (the rest cites limits and defaults). */
function firstSentence(text: string | undefined): string | undefined {
  return text?.split(/(?<=\.)\s/)[0];
}

/** Length in code points, as Ajv counts it with `unicode: true` and editors show it. */
export function codePoints(text: string): number {
  return [...text].length;
}

function rangeText(node: SchemaNode): string {
  if (node.minimum !== undefined && node.maximum !== undefined)
    return ` from ${node.minimum} to ${node.maximum}`;
  return "";
}

/** ["a", 0] from "/a/0": JSON Pointer segments (RFC 6901), numbers where the value is a list. */
function pointerPath(pointer: string, data: unknown): (string | number)[] {
  if (pointer === "") return [];
  const out: (string | number)[] = [];
  let node = data;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) {
      out.push(Number(key));
      node = node[Number(key)];
    } else {
      out.push(key);
      node = isPlainMapping(node) ? node[key] : undefined;
    }
  }
  return out;
}

function valueAt(data: unknown, at: (string | number)[]): unknown {
  let node = data;
  for (const key of at) {
    if (Array.isArray(node)) node = node[key as number];
    else if (isPlainMapping(node)) node = node[key as string];
    else return undefined;
  }
  return node;
}

/** Which of several errors on one value is shown: the first that applies (the old rule order). */
const PRIORITY = [
  "type",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "enum",
  "pattern",
  "format",
];

/**
 * Validates one entry: every problem at once, each with its field path and the catalog's wording.
 * The returned value has the schema's defaults applied.
 */
export function validateEntry(raw: unknown): SchemaResult {
  const value = plainCopy(raw);
  const validate = catalogValidator();
  validate(value);
  const errors: ErrorObject[] = validate.errors ?? [];
  const problems: SchemaProblem[] = [];
  const scalar = new Map<string, { rank: number; problem: SchemaProblem }>();
  const badKeys = new Set<string>();

  for (const error of errors) {
    const at = pointerPath(error.instancePath, value);
    const node = (error.parentSchema ?? {}) as SchemaNode;
    const params = error.params as Record<string, unknown>;
    if (error.keyword === "propertyNames" || error.keyword === "if") continue;
    if (error.propertyName !== undefined) {
      // A map's key that breaks the key schema: reported at the key, with the key schema's help.
      const key = error.propertyName;
      badKeys.add(JSON.stringify([...at, key]));
      const message = scalarMessage(error, key, node, at);
      if (message)
        addScalar(scalar, [...at, key], error.keyword, {
          path: [...at, key],
          message,
          atKey: true,
        });
      continue;
    }
    switch (error.keyword) {
      case "additionalProperties": {
        const key = String(params.additionalProperty);
        const known = Object.keys(node.properties ?? {}).filter((k) => k !== "$schema");
        problems.push({
          path: [...at, key],
          message: `unknown field ${preview(key)} (${suggest(key, known)}allowed: ${known.join(", ")})`,
          atKey: true,
        });
        break;
      }
      case "required": {
        const key = String(params.missingProperty);
        problems.push({
          path: [...at, key],
          message: `is required (${firstSentence(node.properties?.[key]?.description) ?? "see services/schema.json"})`,
        });
        break;
      }
      case "minItems":
      case "maxItems": {
        const length = (valueAt(value, at) as unknown[]).length;
        problems.push({
          path: at,
          message:
            error.keyword === "minItems"
              ? `has ${length} item${length === 1 ? "" : "s"} (at least ${node.minItems} required)`
              : `has ${length} items (at most ${node.maxItems} allowed)`,
        });
        break;
      }
      case "uniqueItems": {
        const list = valueAt(value, at) as unknown[];
        const seen = new Set<string>();
        list.forEach((item, i) => {
          const key = JSON.stringify(item);
          if (seen.has(key))
            problems.push({
              path: [...at, i],
              message: `duplicates ${preview(item)} (items must be unique)`,
            });
          seen.add(key);
        });
        break;
      }
      default: {
        const message = scalarMessage(error, valueAt(raw, at), node, at);
        if (message) addScalar(scalar, at, error.keyword, { path: at, message });
      }
    }
  }
  problems.push(...[...scalar.values()].map((s) => s.problem));
  // A bad map key hides the problems of its value (the key is what to fix first).
  const kept = problems.filter(
    (p) =>
      p.atKey ||
      ![...badKeys].some((k) => {
        const key = JSON.parse(k) as (string | number)[];
        return key.length <= p.path.length && key.every((part, i) => p.path[i] === part);
      }),
  );
  return { value, problems: kept };
}

function addScalar(
  scalar: Map<string, { rank: number; problem: SchemaProblem }>,
  at: (string | number)[],
  keyword: string,
  problem: SchemaProblem,
): void {
  const key = JSON.stringify(at);
  const rank = PRIORITY.indexOf(keyword);
  const current = scalar.get(key);
  if (!current || rank < current.rank) scalar.set(key, { rank, problem });
}

function scalarMessage(
  error: ErrorObject,
  original: unknown,
  node: SchemaNode,
  at: (string | number)[],
): string | undefined {
  switch (error.keyword) {
    case "type":
      return `is ${typeName(original)} (expected ${expected(node)}${node.enum ? `: one of ${node.enum.join(", ")}` : ""}${node.type === "integer" || node.type === "number" ? rangeText(node) : ""})`;
    case "minimum":
    case "maximum":
      return `${String(original)} is out of range (${rangeText(node).replace(/^ /, "")})`;
    case "minLength":
      return `is ${codePoints(String(original))} characters long (at least ${node.minLength})`;
    case "maxLength":
      return `is ${codePoints(String(original))} characters long (at most ${node.maxLength})`;
    case "enum": {
      const allowed = (node.enum ?? []).map(String);
      return `${preview(original)} is not allowed (${suggest(String(original), allowed)}one of ${allowed.join(", ")})`;
    }
    case "pattern":
      return `${preview(original)} is not valid (${describePattern(at, node.pattern ?? "")})`;
    case "format":
      if (node.format === "email")
        return `${preview(original)} is not an email address (name@domain.tld)`;
      if (node.format === "cron") {
        const parsed = parseCron(String(original));
        const why = typeof parsed === "string" ? parsed : "not accepted";
        return `${preview(original)} is not a valid cron expression: ${why} (${CRON_ALLOWED})`;
      }
      return `${preview(original)} is not in ${node.format} format`;
    default:
      return `${preview(original)}: ${error.message ?? "is not valid"}`;
  }
}

const PATTERN_HELP: Record<string, string> = {
  name: "lowercase letters, digits and single dashes, starting with a letter, e.g. churn-model",
  team: "a GitHub team slug: lowercase letters, digits and dashes",
  owners: "a GitHub handle: letters, digits and single dashes, at most 39 characters",
  environments: "a lowercase environment name such as dev or prod",
  entryPoint: "a Python module name: lowercase letters, digits and underscores",
  // The schema's nodeType pattern: EC2 instance type names, as listed in the valid values of
  // docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateFleetInstance.html.
  nodeType:
    "a Databricks AWS node type: an EC2 instance type such as i3.xlarge, m5d.2xlarge or r6gd.4xlarge",
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

/** "did you mean" for unknown fields and enum values: a known one at edit distance 2 or less. */
export function suggest(key: string, known: string[]): string {
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
