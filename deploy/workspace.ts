/**
 * The seam between the deploy commands and the Pulumi Automation API: just the calls the commands
 * make. deploy/automation.ts implements it with the real API; the tests use a fake.
 *
 * There is deliberately no "create or select": preview, up, refresh and destroy only select an
 * existing stack; only `npm run new-stack` creates one (createStack), with its secrets provider.
 */
import type { EngineEvent, OpMap } from "@pulumi/pulumi/automation";
import type { StateDeployment } from "./state-migration";

export type Operation = "preview" | "up" | "refresh" | "destroy";

export interface OperationOptions {
  /** Exact URNs to limit the operation to (`--service`); undefined = the whole stack. */
  target?: string[];
  /** Fail when the operation would change anything (drift check). */
  expectNoChanges?: boolean;
  /** Show a detailed diff of every changed property (preview and up). */
  diff?: boolean;
  /** Read the cloud's state first (`--refresh`: the drift check previews against reality). */
  refresh?: boolean;
  /**
   * Policy pack folders run with the operation (`--policy-pack`; preview and up). The commands
   * always pass the repository's policy/ here: the Automation API's PreviewOptions/UpOptions
   * `policyPacks` (@pulumi/pulumi automation/stack.ts).
   */
  policyPacks?: string[];
  /** Called for every engine event; the commands print progress from these. */
  onEvent: (event: EngineEvent) => void;
  /** Receives the CLI's own text rendering (used with `diff`, whose detail only it shows). */
  onOutput?: (text: string) => void;
}

export interface OperationResult {
  /** Resource counts per operation kind (create, update, delete, same...). */
  changes: OpMap;
}

/** One stack of this project, selected in a backend. */
export interface DeployStack {
  run(operation: Operation, options: OperationOptions): Promise<OperationResult>;
  /** The stack's state (`pulumi stack export`; Automation API Stack.exportStack). */
  exportState(): Promise<StateDeployment>;
  /** Replaces the stack's state (`pulumi stack import`; Automation API Stack.importStack). */
  importState(state: StateDeployment): Promise<void>;
}

export interface StackLocation {
  stackName: string;
  /** Folder with Pulumi.yaml (and stacks/, its stackConfigDir). */
  workDir: string;
  /** Environment of the Pulumi CLI: carries PULUMI_BACKEND_URL. */
  envVars: Record<string, string>;
}

export interface DeployWorkspace {
  /** Selects the stack; throws StackNotInBackendError when the backend has no such stack. */
  selectStack(location: StackLocation): Promise<DeployStack>;
  /** Creates the stack in the backend with a secrets provider (`passphrase`, `awskms://...`); new-stack only. */
  createStack(location: StackLocation, secretsProvider: string): Promise<void>;
}

/** Opens the workspace; throws PulumiCliMissingError when the Pulumi CLI cannot be run. */
export type OpenWorkspace = () => Promise<DeployWorkspace>;
