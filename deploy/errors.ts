/** User errors of the deploy commands: each message says what was wrong and what to do. */

/** A problem the user fixes (exit 1, no stack trace); one line per problem. */
export class DeployError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "DeployError";
  }
}

/**
 * The Pulumi CLI version of this repository: the version of the @pulumi/pulumi SDK it depends on.
 * Both CI systems install exactly this one (tests/ci-files checks them against it).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const PULUMI_CLI_VERSION: string = require("@pulumi/pulumi/package.json").version;

export const INSTALL_PULUMI_HINT = [
  `Install it (version ${PULUMI_CLI_VERSION}, the one CI uses) with the official installer:`,
  `  curl -fsSL https://get.pulumi.com | sh -s -- --version ${PULUMI_CLI_VERSION}`,
  "(then open a new shell, or add ~/.pulumi/bin to PATH), or from a program with",
  "PulumiCommand.install() of @pulumi/pulumi/automation. Check with: pulumi version",
];

export class PulumiCliMissingError extends DeployError {
  constructor(detail: string) {
    super([`the Pulumi CLI cannot be run (${detail}).`, ...INSTALL_PULUMI_HINT]);
    this.name = "PulumiCliMissingError";
  }
}

/** The policy pack's own dependencies are not installed (policy/node_modules). */
export class PolicyPackNotInstalledError extends DeployError {
  constructor(packDir: string) {
    super([
      `the policy pack in ${packDir} has no dependencies installed, and every preview and up runs it.`,
      "Install them with: npm ci --prefix policy",
    ]);
    this.name = "PolicyPackNotInstalledError";
  }
}

/** The backend has no state for the stack (it was never deployed there). */
export class StackNotInBackendError extends DeployError {
  constructor(readonly stack: string) {
    super([`the state backend has no stack "${stack}"`]);
    this.name = "StackNotInBackendError";
  }
}

/** The Pulumi CLI ran and reported failure; `details` are its error lines (secrets masked by it). */
export class OperationFailedError extends Error {
  constructor(
    readonly operation: string,
    readonly details: string[],
  ) {
    super(`pulumi ${operation} failed`);
    this.name = "OperationFailedError";
  }
}
