/**
 * The project-level `config:` block of Pulumi.yaml, generated from the settings table
 * (catalog/settings.ts), so that `pulumi config` and the CLI's own checks know each setting's type,
 * description and default. `npm run docs` rewrites the block between its markers and leaves the
 * rest of Pulumi.yaml as it is; a test fails when it is stale.
 *
 * Pulumi's rules, as the CLI applies them (pinned CLI 3.248.0):
 * - declaration: `type` one of string, integer, boolean, array (with `items`), object (3.187+),
 *   plus `description`, `default`, `secret`, `value`
 *   (pulumi/pulumi sdk/go/common/workspace/project.json, $defs configTypeDeclaration;
 *   https://www.pulumi.com/docs/iac/concepts/projects/project-file/, "config options");
 * - a key without `:` is in the project's namespace (`environment` is `mlplatform:environment`),
 *   a declared array needs `items`, a default must have the declared type
 *   (pulumi/pulumi sdk/go/common/workspace/project.go, Project.Validate);
 * - a declared key without a default or value that a stack does not set fails every preview and
 *   up of that stack ("Stack 'dev' is missing configuration value ..."), a default is applied to
 *   the stack's config before the program runs, a `secret: true` key must be set encrypted, and a
 *   stack value must have the declared type (pulumi/pulumi sdk/go/common/workspace/config.go at v3.248.0, mergeConfig
 *   and validateStackConfigValue; the type test is sdk/go/common/workspace/project.go,
 *   ValidateConfigValue).
 *
 * So the secret settings (the tokens) are not declared: without a default each would be required
 * in every committed stack file, which holds no token (they are set per deployment with
 * `pulumi config set --secret`, and the deploy commands check them), and a default of a secret
 * would be plain text in Pulumi.yaml.
 */
import * as YAML from "yaml";
import { CONFIG_NAMESPACE, SettingSpec, SETTINGS } from "../catalog/settings";

/** One declaration of Pulumi.yaml's `config:` (the subset of ConfigTypeDeclaration used here). */
export interface ProjectConfigType {
  type: "string" | "integer" | "boolean" | "array" | "object";
  items?: { type: "string" | "integer" | "boolean" };
  description?: string;
  default?: unknown;
  secret?: boolean;
}

export const PROJECT_CONFIG_START = "# generated:project-config";
export const PROJECT_CONFIG_END = "# /generated:project-config";

/** The Pulumi type of one setting. */
function declaredType(spec: SettingSpec): Pick<ProjectConfigType, "type" | "items"> {
  switch (spec.type) {
    case "string":
      return { type: "string" };
    case "integer":
      return { type: "integer" };
    case "boolean":
      return { type: "boolean" };
    case "string-list":
      return { type: "array", items: { type: "string" } };
    case "string-map":
      // Pulumi checks only that the value is a map; parseSettings checks that values are strings.
      return { type: "object" };
  }
}

/** What `pulumi config` shows for a setting: its description and what it accepts. */
function describe(spec: SettingSpec): string {
  const limits = spec.allowed
    ? ` One of ${spec.allowed.join(", ")}.`
    : spec.type === "integer"
      ? ` From ${spec.min} to ${spec.max}.`
      : "";
  return `${spec.description}${limits}`.replace(/`/g, "");
}

/** The declarations, keyed as Pulumi.yaml writes them (without the `mlplatform:` prefix). */
export function projectConfig(): Record<string, ProjectConfigType> {
  const out: Record<string, ProjectConfigType> = {};
  for (const spec of SETTINGS) {
    if (spec.secret) continue;
    out[spec.key] = {
      ...declaredType(spec),
      description: describe(spec),
      ...(spec.default === undefined ? {} : { default: structuredClone(spec.default) }),
    };
  }
  return out;
}

const HEADER = [
  `${PROJECT_CONFIG_START} (npm run docs, from catalog/settings.ts: do not edit by hand)`,
  "# The mlplatform settings (environment here is mlplatform:environment in a stack file) with",
  "# their type, description and default, for `pulumi config` and the CLI's checks of each stack.",
  "# A key without a default is required in every stack. Not declared: the tokens (githubToken,",
  "# databricksClientSecret, droneToken), set per deployment with `pulumi config set --secret` and",
  "# checked by the deploy commands (declared, each would be required in every stack file).",
  "# Maps are `object`, which needs Pulumi CLI 3.187 or later.",
];

/** The generated block, markers included, as it stands in Pulumi.yaml. */
export function projectConfigBlock(): string {
  const body = YAML.stringify({ config: projectConfig() }, { lineWidth: 0 }).trimEnd();
  return [...HEADER, body, PROJECT_CONFIG_END].join("\n");
}

/** Pulumi.yaml with its generated block replaced; everything else is kept byte for byte. */
export function regenerateProjectFile(text: string, file = "Pulumi.yaml"): string {
  const start = text.indexOf(PROJECT_CONFIG_START);
  const endMarker = text.indexOf(PROJECT_CONFIG_END, start + 1);
  if (start < 0 || endMarker < 0 || (start > 0 && text[start - 1] !== "\n")) {
    throw new Error(
      `${file} has no generated project-config block (a line "${PROJECT_CONFIG_START}" and a line "${PROJECT_CONFIG_END}")`,
    );
  }
  return (
    text.slice(0, start) + projectConfigBlock() + text.slice(endMarker + PROJECT_CONFIG_END.length)
  );
}

/** A stack file's config value as the CLI reads it (pulumi/pulumi sdk/go/common/resource/config/value.go). */
function stackContent(value: unknown): { secure: boolean; content: unknown } {
  if (typeof value === "object" && value !== null && !Array.isArray(value) && "secure" in value) {
    return { secure: true, content: "[secret]" };
  }
  // Maps and lists are kept as JSON and parsed back for the type check; a scalar is its text.
  if (typeof value === "object" && value !== null) return { secure: false, content: value };
  return { secure: false, content: value === null ? "" : String(value) };
}

/** pulumi/pulumi sdk/go/common/workspace/project.go ValidateConfigValue, on a stack value. */
export function matchesConfigType(
  type: ProjectConfigType["type"],
  items: ProjectConfigType["items"],
  value: unknown,
): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "integer":
      // Whole numbers, or text that strconv.Atoi parses.
      return typeof value === "number"
        ? Number.isInteger(value)
        : typeof value === "string" && /^[+-]?\d+$/.test(value);
    case "boolean":
      return typeof value === "boolean" || value === "true" || value === "false";
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "array":
      return (
        Array.isArray(value) &&
        items !== undefined &&
        value.every((v) => matchesConfigType(items.type, undefined, v))
      );
  }
}

/**
 * The errors the Pulumi CLI would raise for one stack file's `config:` against the project's
 * declarations, plus the project's own rule that no secret has a default (it would be plain text).
 * Messages follow the CLI's, with the file named first.
 */
export function stackConfigProblems(
  file: string,
  stack: string,
  declarations: Record<string, ProjectConfigType>,
  stackConfig: Record<string, unknown>,
  project = CONFIG_NAMESPACE,
): string[] {
  const problems: string[] = [];
  const missing: string[] = [];
  const fullKey = (key: string) => (key.includes(":") ? key : `${project}:${key}`);
  for (const key of Object.keys(declarations).sort()) {
    const declared = declarations[key];
    if (declared.secret && declared.default !== undefined) {
      problems.push(`Pulumi.yaml: config.${key}: a secret must not have a default (plain text)`);
    }
    if (declared.type === "array" && declared.items === undefined) {
      problems.push(`Pulumi.yaml: config.${key}: an array must declare the type of its items`);
    }
    if (
      declared.default !== undefined &&
      !matchesConfigType(declared.type, declared.items, declared.default)
    ) {
      problems.push(`Pulumi.yaml: config.${key}: the default is not of type ${declared.type}`);
    }
    const raw = stackConfig[fullKey(key)];
    if (raw === undefined) {
      if (declared.default === undefined && fullKey(key).startsWith(`${project}:`)) {
        missing.push(key);
      }
      continue;
    }
    const { secure, content } = stackContent(raw);
    if (declared.secret && !secure) {
      problems.push(
        `${file}: Stack '${stack}' with configuration key '${key}' must be encrypted as it's secret`,
      );
    } else if (!secure && !matchesConfigType(declared.type, declared.items, content)) {
      // InferFullTypeName (sdk/go/common/workspace/project.go): array<item type> when items are declared.
      const shown = declared.items ? `array<${declared.items.type}>` : declared.type;
      problems.push(
        `${file}: Stack '${stack}' with configuration key '${key}' must be of type '${shown}'`,
      );
    }
  }
  if (missing.length > 0) {
    const quoted = missing.map((k) => `'${k}'`);
    const list =
      quoted.length === 1
        ? quoted[0]
        : `${quoted.slice(0, -1).join(", ")} and ${quoted[quoted.length - 1]}`;
    problems.unshift(
      `${file}: Stack '${stack}' is missing configuration value${missing.length === 1 ? "" : "s"} ${list}`,
    );
  }
  return problems;
}
