/**
 * The catalog page: one self-contained HTML file (inline CSS and JS, no network), rendered from
 * page.html.njk by nunjucks with autoescaping on, so every value from the catalog or a stack's
 * outputs is HTML-escaped in text and attributes alike (nunjucks docs, "API: Environment" opts
 * autoescape and throwOnUndefined: https://mozilla.github.io/nunjucks/api.html#constructor).
 * Rows are HTML so the page reads without scripts; the script only sorts and filters them, from a
 * JSON blob that goes through jsonForScript (./safe-json.ts), never through the HTML escaper.
 */
import * as path from "path";
import * as nunjucks from "nunjucks";
import { strictContext, strictGlobals } from "../../program/render/strict";
import { buildRows, ServiceRow, StackView, summarizeTeams } from "./model";
import { jsonForScript } from "./safe-json";
import { ServiceEntry } from "../../catalog/types";
import { PROJECT_ROOT } from "../../catalog/stacks";

export const PAGE_TEMPLATE = "page.html.njk";
/** The template's folder in the sources: the compiled commands (dist/) carry no .njk files. */
export const PAGE_TEMPLATE_DIR = path.join(PROJECT_ROOT, "offline", "catalog-page");

let environment: nunjucks.Environment | undefined;

function pageEnvironment(): nunjucks.Environment {
  if (!environment) {
    const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(PAGE_TEMPLATE_DIR), {
      autoescape: true,
      throwOnUndefined: true,
    });
    // A SafeString is output as it is: the serializer's escapes make it safe inside <script>.
    env.addFilter(
      "script_json",
      (value: unknown) => new nunjucks.runtime.SafeString(jsonForScript(value)),
    );
    strictGlobals(env);
    environment = env;
  }
  return environment;
}

export interface PageOptions {
  /** When the page was built (ISO text), shown in its header. */
  generatedAt: string;
}

/** What the script reads: per service the keys it sorts and filters on. */
function scriptData(rows: ServiceRow[]) {
  return {
    services: rows.map((r) => ({
      name: r.name,
      team: r.team,
      template: r.template,
      environments: r.environments.join(", "),
      search: [
        r.name,
        r.displayName,
        r.team,
        ...r.owners,
        r.description,
        r.template,
        ...r.environments,
        r.decommissioned ? "decommissioned" : "",
      ]
        .join(" ")
        .toLowerCase(),
    })),
  };
}

export function renderCatalogPage(
  views: StackView[],
  entries: ReadonlyMap<string, { entry: ServiceEntry; file: string }>,
  options: PageOptions,
): string {
  const rows = buildRows(views, entries);
  const teams = summarizeTeams(rows);
  const environments = [...new Set(views.map((v) => v.environment))];
  const context = {
    rows,
    // Every environment's count, zeros included (the strict context has no missing keys).
    teams: teams.map((t) => ({ ...t, counts: environments.map((e) => t.perEnvironment[e] ?? 0) })),
    environments,
    stacks: views.map((v) => ({
      stack: v.stack,
      environment: v.environment,
      deployed: v.outputs !== undefined,
    })),
    anyDeployed: views.some((v) => v.outputs !== undefined),
    generatedAt: options.generatedAt,
    data: scriptData(rows),
  };
  return pageEnvironment().render(PAGE_TEMPLATE, strictContext(context));
}
