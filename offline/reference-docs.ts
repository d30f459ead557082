/**
 * The README's reference tables, generated from the code that enforces them (the stack settings
 * in catalog/settings.ts and the catalog schema in services/schema.json), so the docs cannot drift:
 * `npm run docs` rewrites them and a test fails when the README is stale.
 */
import { catalogSchema, SchemaNode } from "../catalog/schema";
import { CATALOG_LIMITS } from "../catalog/load";
import { RESERVED_SERVICE_NAMES } from "../catalog/names";
import { SETTINGS } from "../catalog/settings";

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function settingsTable(): string {
  const rows = SETTINGS.map((s) => {
    const type = s.secret ? "secret string" : s.type;
    const fallback = s.secret
      ? "none: `pulumi config set --secret`"
      : s.default === undefined
        ? "required"
        : `\`${JSON.stringify(s.default)}\``;
    const allowed = s.allowed ? ` One of ${s.allowed.join(", ")}.` : "";
    return `| \`mlplatform:${s.key}\` | ${type} | ${fallback} | ${cell(s.description + allowed)} |`;
  });
  return ["| key | type | default | description |", "| --- | --- | --- | --- |", ...rows].join(
    "\n",
  );
}

function limits(node: SchemaNode): string {
  return [
    node.enum ? `one of ${node.enum.join(", ")}` : "",
    node.minLength !== undefined
      ? `${node.minLength} to ${node.maxLength} characters`
      : node.maxLength
        ? `at most ${node.maxLength} characters`
        : "",
    node.minimum !== undefined ? `${node.minimum} to ${node.maximum}` : "",
    node.minItems ? `at least ${node.minItems} item${node.minItems === 1 ? "" : "s"}` : "",
    node.maxItems ? `at most ${node.maxItems} items` : "",
    node.uniqueItems ? "unique" : "",
    node.format ? `${node.format} format` : "",
    node.items?.format ? `each in ${node.items.format} format` : "",
    node.pattern && !node.enum ? `\`${node.pattern}\`` : "",
    node.items?.pattern ? `each \`${node.items.pattern}\`` : "",
    node.items?.maxLength ? `each at most ${node.items.maxLength} characters` : "",
  ]
    .filter(Boolean)
    .join("; ");
}

export function catalogTable(): string {
  const rows: string[] = [];
  const walk = (node: SchemaNode, prefix: string) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      if (key === "$schema") continue;
      const field = prefix ? `${prefix}.${key}` : key;
      const type = child.type === "array" ? `list of ${child.items?.type}` : child.type;
      const required = (node.required ?? []).includes(key) ? "yes" : "no";
      // Reserved names come from catalog/names.ts, the module that derives the names they would take.
      const reserved =
        field === "name"
          ? `; not ${RESERVED_SERVICE_NAMES.map((n) => `\`${n}\``).join(", ")} (reserved)`
          : "";
      rows.push(
        `| \`${field}\` | ${type} | ${required} | ${cell(limits(child) + reserved)} | ${cell(child.description ?? "")} |`,
      );
      if (child.type === "object") walk(child, field);
      const entry = child.additionalProperties;
      if (typeof entry === "object") {
        // A map: one row for its values, keyed by what its keys are (e.g. images.<environment>).
        const keyField = `${field}.<${key === "images" || key === "adopt" ? "environment" : "key"}>`;
        rows.push(
          `| \`${keyField}\` | ${entry.type} | no | ${cell(limits(child.propertyNames ?? {}))} | ${cell(entry.description ?? "")} |`,
        );
        walk(entry, keyField);
      }
    }
  };
  walk(catalogSchema(), "");
  return [
    "| field | type | required | limits | description |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

export function limitsTable(): string {
  const described: Record<keyof typeof CATALOG_LIMITS, string> = {
    maxFileBytes: "largest entry file, in bytes",
    maxAliasCount: "YAML alias expansions per entry (guards against billion-laughs documents)",
    maxServices: "entries in one catalog",
    maxDepth: "nesting depth of an entry's values",
    maxServicesPerStack:
      "services one stack may deploy (more: shard the environment with shardTeams or shardServices, docs/scale.md)",
  };
  const rows = (Object.keys(CATALOG_LIMITS) as (keyof typeof CATALOG_LIMITS)[]).map(
    (k) => `| ${described[k] ?? k} | ${CATALOG_LIMITS[k]} |`,
  );
  return ["| limit | value |", "| --- | --- |", ...rows].join("\n");
}

export const GENERATED_SECTIONS: Record<string, () => string> = {
  "stack-settings": settingsTable,
  "catalog-fields": catalogTable,
  "catalog-limits": limitsTable,
};

/** Replaces every `<!-- generated:NAME -->...<!-- /generated:NAME -->` block with fresh content. */
export function regenerate(readme: string): string {
  let out = readme;
  for (const [name, build] of Object.entries(GENERATED_SECTIONS)) {
    const pattern = new RegExp(
      `(<!-- generated:${name} -->)[\\s\\S]*?(<!-- /generated:${name} -->)`,
    );
    if (!pattern.test(out)) throw new Error(`README.md has no generated:${name} block`);
    out = out.replace(pattern, (_m, start: string, end: string) => `${start}\n${build()}\n${end}`);
  }
  return out;
}
