/**
 * Renders a service repository from the templates in templates/: `common/` for every service,
 * then `<template>/` (sklearn, pyspark), whose files replace common files of the same path.
 * Pure and deterministic: the same entry, settings and options give byte-identical files.
 * Templates are listed and compiled once per process.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../../lib/project-root";
import * as nunjucks from "nunjucks";
import { ResolvedService, TemplateName } from "../../catalog/types";
import { StackSettings } from "../../catalog/settings";
import { buildContext, RenderError, RenderOptions, TemplateContext } from "./context";
import { FILTERS } from "./filters";
import { strictContext, strictGlobals } from "./strict";

export const TEMPLATES_DIR = path.join(PROJECT_ROOT, "templates");
export const COMMON_TEMPLATE = "common";
export const TEMPLATE_NAMES: readonly TemplateName[] = ["sklearn", "pyspark"];

/** Managed files follow the template; seed files are written once and then belong to the team. */
export type FileKind = "managed" | "seed";

export interface RenderedFile {
  /** Path inside the service repository (forward slashes). */
  path: string;
  content: string;
  kind: FileKind;
  /** sha256 (hex) of the content's UTF-8 bytes. */
  digest: string;
}

/**
 * Template paths (placeholders unexpanded, `.njk` removed) of the managed files. Every other file
 * is a seed file.
 */
export const MANAGED_TEMPLATE_PATHS: ReadonlySet<string> = new Set([
  ".drone.yml",
  ".pre-commit-config.yaml",
  ".yamllint.yaml",
  ".flake8",
  ".gitleaks.toml",
  ".dockerignore",
  "Dockerfile",
  "CODEOWNERS",
  "catalog-info.yaml",
  "src/__package__/service_config.py",
  "src/__package__/gate.py",
  "src/__package__/provenance.py",
  "src/__package__/registry.py",
  "src/__package__/promotion.py",
]);

/** Placeholders in template paths: a folder or file named like this is renamed per service. */
export const PATH_PLACEHOLDERS = {
  package: "__package__",
  training: "__training__",
  batchPrediction: "__batch_prediction__",
} as const;

interface TemplateSource {
  /** Path of the template file relative to templates/ (the nunjucks name). */
  source: string;
  /** Template path inside the repository, placeholders unexpanded and `.njk` removed. */
  target: string;
  /** Rendered with nunjucks (`.njk`), or copied as it is. */
  render: boolean;
}

let environment: nunjucks.Environment | undefined;
const sourcesByTemplate = new Map<TemplateName, TemplateSource[]>();
const rawCache = new Map<string, string>();
/** A copied (not rendered) file's tidied content and digest: the same for every service. */
const copiedCache = new Map<string, { content: string; digest: string }>();

function nunjucksEnvironment(): nunjucks.Environment {
  if (!environment) {
    const env = new nunjucks.Environment(
      new nunjucks.FileSystemLoader(TEMPLATES_DIR, { noCache: false }),
      { autoescape: false, throwOnUndefined: true, trimBlocks: false, lstripBlocks: false },
    );
    for (const [name, filter] of Object.entries(FILTERS)) env.addFilter(name, filter);
    strictGlobals(env);
    environment = env;
  }
  return environment;
}

function walk(dir: string, base: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full, base));
    else if (entry.isFile()) out.push(path.relative(base, full).split(path.sep).join("/"));
  }
  return out;
}

/** The files of a template (common files included), listed once per process. */
export function templateSources(template: TemplateName): TemplateSource[] {
  const cached = sourcesByTemplate.get(template);
  if (cached) return cached;
  if (!TEMPLATE_NAMES.includes(template)) {
    throw new RenderError(
      `template "${template}" does not exist (known: ${TEMPLATE_NAMES.join(", ")})`,
    );
  }
  const byTarget = new Map<string, TemplateSource>();
  for (const layer of [COMMON_TEMPLATE, template]) {
    const root = path.join(TEMPLATES_DIR, layer);
    for (const relative of walk(root, root)) {
      const render = relative.endsWith(".njk");
      const target = render ? relative.slice(0, -".njk".length) : relative;
      byTarget.set(target, { source: `${layer}/${relative}`, target, render });
    }
  }
  const sources = [...byTarget.values()].sort((a, b) => compare(a.target, b.target));
  sourcesByTemplate.set(template, sources);
  return sources;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function outputPath(target: string, context: TemplateContext): string {
  return target
    .split("/")
    .map((segment) =>
      segment
        .replace(PATH_PLACEHOLDERS.package, context.names.pythonPackage)
        .replace(PATH_PLACEHOLDERS.training, context.entryPoints.training)
        .replace(PATH_PLACEHOLDERS.batchPrediction, context.entryPoints.batchPrediction),
    )
    .join("/");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Line of the template that names a variable (its full path, else its last field). */
function lineNaming(source: string, variable: string): number | undefined {
  const text = readSource(source);
  const last = variable.split(".").pop() ?? variable;
  for (const pattern of [variable, `.${last}`, last]) {
    const re = new RegExp(`(^|[^\\w.])${escapeRegExp(pattern)}(?![\\w])`);
    const index = text.split("\n").findIndex((line) => re.test(line));
    if (index >= 0) return index + 1;
  }
  return undefined;
}

/** Why nunjucks failed, as one line naming the template file, the line and the variable. */
function describeTemplateError(source: string, error: unknown): RenderError {
  const message = error instanceof Error ? error.message : String(error);
  const undefinedName = /undefined variable "([^"]+)"/.exec(message)?.[1];
  const reported = /\[Line (\d+), Column \d+\]/.exec(message)?.[1];
  const line = reported ?? (undefinedName ? lineNaming(source, undefinedName) : undefined);
  const detail = message
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("("))
    .join(" ")
    .replace(/^(Template render error:\s*)?(\w*Error:\s*)?/, "");
  const hint = undefinedName
    ? " (the template uses a variable the render context does not have: see docs/templates.md for the variables)"
    : "";
  return new RenderError(
    `templates/${source}${line ? `:${line}` : ""}: ${detail || message}${hint}`,
  );
}

function readSource(source: string): string {
  let raw = rawCache.get(source);
  if (raw === undefined) {
    raw = fs.readFileSync(path.join(TEMPLATES_DIR, source), "utf8");
    rawCache.set(source, raw);
  }
  return raw;
}

function renderSource(source: TemplateSource, context: object): string {
  if (!source.render) return readSource(source.source);
  const env = nunjucksEnvironment();
  try {
    return env.getTemplate(source.source, true).render(context);
  } catch (error) {
    throw describeTemplateError(source.source, error);
  }
}

/**
 * Trailing blanks (spaces, tabs) removed from every line, exactly one newline at the end: what
 * `content.replace(/[ \t]+$/gm, "").replace(/\n*$/, "") + "\n"` gives (a line ends before any of
 * JavaScript's line terminators, \n \r \u2028 \u2029, as `$` does with the m flag), in one pass
 * instead of a match tried at every position of every file of every service.
 * tests/templates/tidy.test.ts compares both on generated text.
 */
export function tidy(content: string): string {
  let out = "";
  let start = 0;
  const n = content.length;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? content.charCodeAt(i) : -1;
    if (c === -1 || c === 10 || c === 13 || c === 0x2028 || c === 0x2029) {
      let end = i;
      while (end > start) {
        const blank = content.charCodeAt(end - 1);
        if (blank !== 32 && blank !== 9) break;
        end--;
      }
      out += content.slice(start, end);
      if (c !== -1) out += content[i];
      start = i + 1;
    }
  }
  let last = out.length;
  while (last > 0 && out.charCodeAt(last - 1) === 10) last--;
  return `${out.slice(0, last)}\n`;
}

/**
 * One template file outside the repository layers (e.g. `airflow/dag.py.njk`), rendered with the
 * same environment, filters and strict variable look-up as the repository's files, and tidied.
 */
export function renderTemplateFile(source: string, context: object): string {
  return tidy(renderSource({ source, target: source, render: true }, strictContext(context)));
}

export function digestOf(content: string): string {
  return createHash("sha256").update(content, "utf8").digest("hex");
}

function withDigest(content: string): { content: string; digest: string } {
  return { content, digest: digestOf(content) };
}

/** A file copied as it is (tidied), computed once per process: it is the same for every service. */
function copiedFile(source: string): { content: string; digest: string } {
  let file = copiedCache.get(source);
  if (file === undefined) {
    file = withDigest(tidy(readSource(source)));
    copiedCache.set(source, file);
  }
  return file;
}

/**
 * Every file of the service's repository, sorted by path. Throws a RenderError naming the
 * template file and line (or the entry field) when something cannot be rendered.
 */
export function renderServiceRepository(
  service: ResolvedService,
  settings: StackSettings,
  options: RenderOptions,
): RenderedFile[] {
  const context = buildContext(service, settings, options);
  const strict = strictContext(context);
  const files: RenderedFile[] = [];
  for (const source of templateSources(service.template)) {
    const { content, digest } = source.render
      ? withDigest(tidy(renderSource(source, strict)))
      : copiedFile(source.source);
    files.push({
      path: outputPath(source.target, context),
      content,
      kind: MANAGED_TEMPLATE_PATHS.has(source.target) ? "managed" : "seed",
      digest,
    });
  }
  return files.sort((a, b) => compare(a.path, b.path));
}
