/**
 * One component under the SDK's mock engine: every registration with its type, name, parent,
 * inputs and the engine options a component decides (protect, retainOnDelete, import,
 * dependsOn), read from each register request. Call `recordDeclarations` before importing the
 * component, as a program sets up its engine before declaring anything.
 */
import * as pulumi from "@pulumi/pulumi";
import { skipSdkStackCapture } from "../helpers/sdk-stacks";

export interface Declared {
  type: string;
  name: string;
  /** Logical name of the parent (from its URN); "" for none (the stack). */
  parent: string;
  /** Type token of the parent; "" for none. */
  parentType: string;
  custom: boolean;
  inputs: Record<string, unknown>;
  protect: boolean;
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  importId: string;
  /** URNs the registration depends on (dependsOn). */
  dependsOn: string[];
  additionalSecretOutputs: string[];
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getDeletebeforereplace(): boolean;
  getImportid(): string;
  getDependenciesList(): string[];
  getAdditionalsecretoutputsList(): string[];
}
type Callback = (err: unknown, resp: unknown) => void;

export interface Declarations {
  /** Registrations in the order the engine answered them. */
  declared: Declared[];
  /** Forgets what was recorded (call in beforeEach). */
  reset(): void;
  /** Waits until every registration started so far (and those they lead to) is answered. */
  settle(): Promise<void>;
}

/** The last `::`-separated part of a URN (the resource's name) and the type before it. */
function urnParts(urn: string): { name: string; type: string } {
  if (!urn) return { name: "", type: "" };
  const parts = urn.split("::");
  const types = parts[parts.length - 2].split("$");
  return { name: parts[parts.length - 1], type: types[types.length - 1] };
}

/**
 * Installs the mocks. `state` gives a resource's outputs (default: its inputs); `id` its id
 * (default `<name>-id`); invokes are refused.
 */
export function recordDeclarations(
  state: (args: pulumi.runtime.MockResourceArgs) => Record<string, unknown> = (a) => a.inputs,
  id: (args: pulumi.runtime.MockResourceArgs) => string = (a) => `${a.name}-id`,
): Declarations {
  const declared: Declared[] = [];
  const requests = new Map<string, Omit<Declared, "inputs">>();
  let inFlight = 0;
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const request = requests.get(`${args.type}::${args.name}`)!;
        declared.push({ ...request, inputs: args.inputs });
        return { id: id(args), state: state(args) };
      },
      call: (args) => {
        throw new Error(`unexpected invoke ${args.token}`);
      },
    },
    "mlplatform",
    "test",
    false,
  );
  skipSdkStackCapture();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const monitor = require("@pulumi/pulumi/runtime/state").getStore().settings.monitor as {
    registerResource(req: RegisterRequest, callback: Callback): unknown;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const parent = urnParts(req.getParent());
    requests.set(`${req.getType()}::${req.getName()}`, {
      type: req.getType(),
      name: req.getName(),
      parent: parent.name,
      parentType: parent.type,
      custom: req.getCustom(),
      protect: req.getProtect() === true,
      retainOnDelete: req.getRetainondelete() === true,
      deleteBeforeReplace: req.getDeletebeforereplace(),
      importId: req.getImportid(),
      dependsOn: req.getDependenciesList(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    });
    inFlight++;
    return register(req, (err, resp) => {
      inFlight--;
      callback(err, resp);
    });
  };
  return {
    declared,
    reset: () => {
      declared.length = 0;
      requests.clear();
    },
    settle: async () => {
      // Registrations chain (a child waits for its parent's URN, an apply for its inputs): wait
      // until none is pending over several turns of the event loop.
      for (let quiet = 0; quiet < 5; ) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        quiet = inFlight === 0 ? quiet + 1 : 0;
      }
    },
  };
}

/** The one registration of `type` named `name` (fails when there is not exactly one). */
export function one(declared: readonly Declared[], type: string, name: string): Declared {
  const found = declared.filter((d) => d.type === type && d.name === name);
  if (found.length !== 1) {
    throw new Error(
      `${found.length} registrations of ${type} ${name}; declared: ${declared.map((d) => `${d.type} ${d.name}`).join(", ")}`,
    );
  }
  return found[0];
}

/** [type, name, parent] of every registration, sorted: the component's tree. */
export function tree(declared: readonly Declared[]): [string, string, string][] {
  return declared
    .map((d): [string, string, string] => [d.type, d.name, d.parent])
    .sort((a, b) => (a.join(" ") < b.join(" ") ? -1 : a.join(" ") > b.join(" ") ? 1 : 0));
}

/** Whether a registered input is a secret as the engine receives it. */
export function isSecret(v: unknown): boolean {
  return (
    typeof v === "object" &&
    v !== null &&
    (v as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig
  );
}

/** The value inside a secret wrapper (or the value itself). */
export function reveal(v: unknown): unknown {
  return isSecret(v) ? (v as { value: unknown }).value : v;
}

/** A JSON policy input, parsed (a secret's value unwrapped). */
export function policyOf(d: Declared, input = "policy"): { Statement: Record<string, unknown>[] } {
  return JSON.parse(String(reveal(d.inputs[input])));
}
