/** The real DeployWorkspace: a few calls to the Pulumi Automation API. */
import {
  CommandError,
  LocalWorkspace,
  OpMap,
  PulumiCommand,
  Stack,
  StackNotFoundError,
} from "@pulumi/pulumi/automation";
import { OperationFailedError, PulumiCliMissingError, StackNotInBackendError } from "./errors";
import { DeployStack, DeployWorkspace, Operation, OperationOptions } from "./workspace";

/** Finds the Pulumi CLI (on PATH, or `<cliRoot>/bin/pulumi`) or throws PulumiCliMissingError. */
export async function findPulumiCli(cliRoot?: string): Promise<PulumiCommand> {
  try {
    return await PulumiCommand.get(cliRoot ? { root: cliRoot } : undefined);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (/ENOENT/.test(message)) {
      throw new PulumiCliMissingError(cliRoot ? `no ${cliRoot}/bin/pulumi` : "no `pulumi` on PATH");
    }
    // Version too old or unreadable: the SDK's message already says what to update.
    throw new PulumiCliMissingError(message.split("\n").find((l) => l.trim()) ?? message);
  }
}

/** The CLI's own error lines from a CommandError (its message also repeats stdout). */
export function cliErrorLines(message: string): string[] {
  const stderr = /stderr: ([\s\S]*?)(\n err\?:|$)/.exec(message)?.[1] ?? message;
  return stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .slice(0, 20);
}

function wrap(stack: Stack): DeployStack {
  return {
    async run(operation: Operation, options: OperationOptions): Promise<{ changes: OpMap }> {
      try {
        return await runOperation(stack, operation, options);
      } catch (e) {
        if (e instanceof CommandError)
          throw new OperationFailedError(operation, cliErrorLines(e.message));
        throw e;
      }
    },
    // `pulumi stack export` / `pulumi stack import --file` (@pulumi/pulumi automation/stack.ts
    // exportStack, importStack); the import verifies the snapshot's integrity.
    exportState: () => stack.exportStack(),
    importState: (state) => stack.importStack(state),
  };
}

/**
 * One operation through the Automation API. The option names are the SDK's (@pulumi/pulumi
 * automation/stack.ts: PreviewOptions and UpOptions take `policyPacks` and `refresh`, which become
 * `--policy-pack <dir>` and `--refresh`; RefreshOptions takes `expectNoChanges`).
 */
export async function runOperation(
  stack: Pick<Stack, "preview" | "up" | "refresh" | "destroy">,
  operation: Operation,
  options: OperationOptions,
): Promise<{ changes: OpMap }> {
  const common = {
    target: options.target,
    onEvent: options.onEvent,
    // Without it the CLI's text rendering is only collected; progress comes from the events.
    onOutput: options.onOutput,
  };
  switch (operation) {
    case "preview": {
      const r = await stack.preview({
        ...common,
        expectNoChanges: options.expectNoChanges,
        diff: options.diff,
        refresh: options.refresh,
        policyPacks: options.policyPacks,
      });
      return { changes: r.changeSummary };
    }
    case "up": {
      const r = await stack.up({ ...common, diff: options.diff, policyPacks: options.policyPacks });
      return { changes: r.summary.resourceChanges ?? {} };
    }
    case "refresh": {
      const r = await stack.refresh({ ...common, expectNoChanges: options.expectNoChanges });
      return { changes: r.summary.resourceChanges ?? {} };
    }
    case "destroy": {
      const r = await stack.destroy(common);
      return { changes: r.summary.resourceChanges ?? {} };
    }
  }
}

/**
 * Opens the real workspace: fails fast, before any stack work, when the CLI is missing. Stacks are
 * only selected here (LocalWorkspace.selectStack); LocalWorkspace.createStack is for new-stack.
 */
export async function openPulumiWorkspace(cliRoot?: string): Promise<DeployWorkspace> {
  const pulumiCommand = await findPulumiCli(cliRoot);
  return {
    async selectStack({ stackName, workDir, envVars }) {
      try {
        return wrap(
          await LocalWorkspace.selectStack({ stackName, workDir }, { envVars, pulumiCommand }),
        );
      } catch (e) {
        if (e instanceof StackNotFoundError) throw new StackNotInBackendError(stackName);
        throw e;
      }
    },
    async createStack({ stackName, workDir, envVars }, secretsProvider) {
      await LocalWorkspace.createStack(
        { stackName, workDir },
        { envVars, pulumiCommand, secretsProvider },
      );
    },
  };
}
