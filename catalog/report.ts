/** The validation problems in the formats `npm run validate --format` prints. */
import { Problem, problemText } from "./errors";

export const REPORT_FORMATS = ["text", "json", "github"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** One problem as `--format json` prints it (line null: the problem concerns the whole file). */
export interface JsonProblem {
  file: string;
  line: number | null;
  column?: number;
  field: string;
  message: string;
}

export function toJsonProblems(problems: readonly Problem[]): JsonProblem[] {
  return problems.map((p) => ({
    file: p.file,
    line: p.line ?? null,
    ...(p.column !== undefined ? { column: p.column } : {}),
    field: p.field ?? "",
    message: p.message,
  }));
}

// Workflow-command escaping as the runner reads it: actions/toolkit packages/core/src/command.ts
// (escapeData: % CR LF; escapeProperty: also : and ,).
export function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/** One `::error file=...,line=...,title=...::message` workflow command: file, line when known, the field as title. */
export function githubAnnotation(p: Problem): string {
  const properties = [`file=${escapeProperty(p.file)}`];
  if (p.line !== undefined) properties.push(`line=${p.line}`);
  if (p.column !== undefined) properties.push(`col=${p.column}`);
  properties.push(`title=${escapeProperty(p.field || "catalog")}`);
  return `::error ${properties.join(",")}::${escapeData(p.message)}`;
}

/** The whole report: text lines, a JSON array, or workflow commands; ends with a newline. */
export function formatProblems(problems: readonly Problem[], format: ReportFormat): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(toJsonProblems(problems), null, 2)}\n`;
    case "github":
      return problems.map((p) => `${githubAnnotation(p)}\n`).join("");
    default:
      return problems.map((p) => `${problemText(p)}\n`).join("");
  }
}
