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

/**
 * A user error in the catalog or the stack files: every problem, one line each, naming file and
 * field. A RunError, so `pulumi up` prints the lines without a stack trace.
 */
export class CatalogError extends pulumi.RunError {
  readonly problems: string[];

  constructor(problems: string[]) {
    const lines = problems.map(printable);
    super(
      `the service catalog is invalid (${lines.length} problem${lines.length === 1 ? "" : "s"}); nothing was declared:\n` +
        lines.join("\n"),
    );
    this.problems = lines;
    this.name = "CatalogError";
  }
}
