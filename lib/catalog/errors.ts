import * as pulumi from "@pulumi/pulumi";

/**
 * A user error in the catalog or the stack files: every problem, one line each, naming file and
 * field. A RunError, so `pulumi up` prints the lines without a stack trace.
 */
export class CatalogError extends pulumi.RunError {
  constructor(readonly problems: string[]) {
    super(
      `the service catalog is invalid (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was declared:\n` +
        problems.join("\n"),
    );
    this.name = "CatalogError";
  }
}
