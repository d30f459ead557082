/**
 * Component tests under the SDK's mock engine: every registration with its inputs and the engine
 * options the mock's newResource does not see (read from each register request first), plus the
 * small helpers those tests share. Call `recordRegistrations` before importing the components, as
 * a program would set up its engine before declaring anything.
 */
import * as pulumi from "@pulumi/pulumi";
import { skipSdkStackCapture } from "./sdk-stacks";

/** Options the engine receives with a registration. */
export interface RegistrationOptions {
  ignoreChanges: string[];
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  additionalSecretOutputs: string[];
}

export interface Registration {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  options: RegistrationOptions;
}

interface RegisterRequest {
  getName(): string;
  getIgnorechangesList(): string[];
  getRetainondelete(): boolean;
  getDeletebeforereplace(): boolean;
  getAdditionalsecretoutputsList(): string[];
}
type Register = (req: RegisterRequest, callback: unknown) => unknown;

export interface Recorder {
  /** Registrations in the order the engine answered them. */
  registered: Registration[];
  /** Options by resource name. */
  options: Map<string, RegistrationOptions>;
  /** Forgets what was recorded (call in beforeEach). */
  reset(): void;
}

/**
 * Installs the mocks. `state` gives a resource's outputs (default: its inputs); ids are
 * `<name>-id`; invokes are refused.
 */
export function recordRegistrations(
  state: (args: pulumi.runtime.MockResourceArgs) => Record<string, unknown> = (a) => a.inputs,
  project = "mlplatform",
  stack = "dev",
): Recorder {
  const registered: Registration[] = [];
  const options = new Map<string, RegistrationOptions>();
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          options: options.get(args.name)!,
        });
        return { id: `${args.name}-id`, state: state(args) };
      },
      call: (args) => {
        throw new Error(`unexpected invoke ${args.token}`);
      },
    },
    project,
    stack,
    false,
  );
  skipSdkStackCapture();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const monitor = require("@pulumi/pulumi/runtime/state").getStore().settings.monitor as {
    registerResource: Register;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    options.set(req.getName(), {
      ignoreChanges: req.getIgnorechangesList(),
      retainOnDelete: req.getRetainondelete(),
      deleteBeforeReplace: req.getDeletebeforereplace(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    });
    return register(req, callback);
  };
  return {
    registered,
    options,
    reset: () => {
      registered.length = 0;
      options.clear();
    },
  };
}

/** Whether a registered input is a secret as the engine receives it. */
export function isSecretWrapper(v: unknown): boolean {
  return (
    typeof v === "object" &&
    v !== null &&
    (v as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig
  );
}

/** The value inside a secret wrapper (or the value itself). */
export function unwrap(v: unknown): unknown {
  return isSecretWrapper(v) ? (v as { value: unknown }).value : v;
}

/** The value of an output, once the mock engine has answered. */
export function settled<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}
