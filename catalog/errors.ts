import * as pulumi from "@pulumi/pulumi";

// Control, format (bidi overrides, zero-width) and line-separator characters.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * Shows invisible characters of user input (file names, keys, values) as \u{...} escapes, so a
 * problem stays one line and cannot move the terminal's cursor or reorder the text around it.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** One problem, located: the file (as shown to users), its line and column when known, the field. */
export interface Problem {
  file: string;
  line?: number;
  column?: number;
  /** Field path (training.schedule, owners[1]) or a stack setting (mlplatform:shardTeams). */
  field?: string;
  message: string;
}

/** `<file>:<line>: <field>: <message>`, the one-line form every command prints. */
export function problemText(p: Problem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}`;
  return `${where}: ${p.field ? `${p.field}: ` : ""}${p.message}`;
}

/** Reads the one-line form back (problems that arrive as text, e.g. from the stack settings). */
export function parseProblem(text: string): Problem {
  const match = /^([^\s:][^:]*?)(?::(\d+))?: (.*)$/s.exec(text);
  if (!match) return { file: "", message: text };
  const [, file, line, rest] = match;
  // Stack-file problems name their setting first: "mlplatform:shardServices: ...".
  const setting = /^(mlplatform:[A-Za-z]+): (.*)$/s.exec(rest);
  return {
    file,
    ...(line ? { line: Number(line) } : {}),
    ...(setting ? { field: setting[1], message: setting[2] } : { message: rest }),
  };
}

/** Sorted by file, then line (problems of a whole file first); otherwise in the order found. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort(
      (a, b) =>
        (a.p.file < b.p.file ? -1 : a.p.file > b.p.file ? 1 : 0) ||
        (a.p.line ?? 0) - (b.p.line ?? 0) ||
        a.i - b.i,
    )
    .map(({ p }) => p);
}

/**
 * A user error in the catalog or the stack files: every problem, one line each, naming file and
 * field. A RunError, so `pulumi up` prints the lines without a stack trace.
 */
export class CatalogError extends pulumi.RunError {
  readonly problems: string[];
  /** The same problems, located (for machine-readable output). */
  readonly details: Problem[];

  constructor(problems: readonly (string | Problem)[]) {
    const details = problems
      .map((p) => (typeof p === "string" ? parseProblem(p) : p))
      .map((p) => ({
        ...p,
        file: printable(p.file),
        message: printable(p.message),
        ...(p.field !== undefined ? { field: printable(p.field) } : {}),
      }));
    const lines = problems.map((p) => printable(typeof p === "string" ? p : problemText(p)));
    super(
      `the service catalog is invalid (${lines.length} problem${lines.length === 1 ? "" : "s"}); nothing was declared:\n` +
        lines.join("\n"),
    );
    this.problems = lines;
    this.details = details;
    this.name = "CatalogError";
  }
}
