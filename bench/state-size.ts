/**
 * The size of the Pulumi state a plan would leave: for every resource, its inputs and its outputs
 * as JSON, the way a checkpoint keeps them (`inputs` and `outputs` of each resource; the file and
 * S3 backends rewrite the whole checkpoint at every step). A dynamic resource's `__provider` is
 * the text its resource registers (components/dynamic-providers.ts providerText), and the provider
 * host copies it into the outputs (@pulumi/pulumi cmd/dynamic-provider/index.js
 * resultIncludingProvider). A GitCommit's inputs are counted as its provider's check stores them
 * once the commit exists (blob shas in place of the files' contents:
 * components/github/commit-provider.ts storedCommitInputs), unless the first `pulumi up` is asked
 * for, whose state still holds the contents.
 */
import { PROVIDER_TYPES, ProviderKind, providerText } from "../components/dynamic-providers";
import { storedCommitInputs } from "../components/github/commit-provider";
import { MockEngineOptions, mockOutputs, SERIALIZED_PROVIDER } from "../offline/plan/mock-engine";
import type { PlanDocument, PlanResource } from "../offline/plan/types";

const DYNAMIC_PREFIX = "pulumi-nodejs:dynamic";

/**
 * Which state: the one the first `pulumi up` leaves (every input as the program gave it), or the
 * one every later `up` leaves (inputs as the providers' check stores them for existing resources).
 */
export type StatePhase = "first" | "later";

/** Bytes of a value as JSON (UTF-8). */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? "", "utf8");
}

/** The `__provider` text of each dynamic resource type, as its resources register it. */
export async function serializedProviders(): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  for (const kind of Object.keys(PROVIDER_TYPES) as ProviderKind[]) {
    texts.set(PROVIDER_TYPES[kind], providerText(kind));
  }
  return texts;
}

/**
 * State bytes of one resource: its inputs and outputs as JSON, each dynamic resource's
 * `__provider` being the text the resource registers (the plan keeps a marker in its place) in both.
 * Components: their inputs only (their outputs are registered separately and not recorded).
 */
export function resourceStateBytes(
  resource: PlanResource,
  providerTexts: ReadonlyMap<string, string>,
  engine: MockEngineOptions,
  phase: StatePhase = "later",
): number {
  const inputs =
    phase === "later" && resource.type === PROVIDER_TYPES.gitCommit
      ? storedCommitInputs(resource.inputs, resource.inputs)
      : resource.inputs;
  if (!resource.custom) return jsonBytes(inputs);
  // The outputs are what create returned, from the inputs as the program gave them.
  const outputs = mockOutputs(resource.type, resource.name, resource.inputs, engine).state;
  if (!resource.type.startsWith(DYNAMIC_PREFIX)) return jsonBytes(inputs) + jsonBytes(outputs);
  const text = providerTexts.get(resource.type);
  if (text === undefined) {
    throw new Error(
      `bench/state-size.ts: dynamic resource type ${resource.type} has no provider in components/dynamic-providers.ts (known: ${[...providerTexts.keys()].join(", ")})`,
    );
  }
  // Marker in place of the text (one copy in each of inputs and outputs), then the difference.
  const extra = jsonBytes(text) - jsonBytes(SERIALIZED_PROVIDER);
  return (
    jsonBytes({ ...inputs, __provider: SERIALIZED_PROVIDER }) +
    jsonBytes({ ...outputs, __provider: SERIALIZED_PROVIDER }) +
    2 * extra
  );
}

export interface StateSize {
  /** Every resource of the stack, the platform's shared ones included. */
  totalBytes: number;
  /** The services' resources only. */
  servicesBytes: number;
  /** servicesBytes over the services planned (0 without services): the state of later `up`s. */
  perServiceBytes: number;
  /** The same after the first `pulumi up` (a GitCommit's inputs still hold the contents). */
  firstUpPerServiceBytes: number;
  /** The `__provider` text of each dynamic type, in bytes. */
  providerBytes: Record<string, number>;
}

/** The state size of a planned stack. */
export function stateSize(
  doc: PlanDocument,
  providerTexts: ReadonlyMap<string, string>,
  engine: MockEngineOptions,
): StateSize {
  const sum = (resources: PlanResource[], phase: StatePhase = "later") =>
    resources.reduce((n, r) => n + resourceStateBytes(r, providerTexts, engine, phase), 0);
  const servicesBytes = doc.services.reduce((n, s) => n + sum(s.resources), 0);
  const firstUpBytes = doc.services.reduce((n, s) => n + sum(s.resources, "first"), 0);
  const totalBytes = servicesBytes + sum(doc.platform.resources);
  return {
    totalBytes,
    servicesBytes,
    perServiceBytes: doc.services.length === 0 ? 0 : servicesBytes / doc.services.length,
    firstUpPerServiceBytes: doc.services.length === 0 ? 0 : firstUpBytes / doc.services.length,
    providerBytes: Object.fromEntries(
      [...providerTexts].map(([type, text]) => [type, Buffer.byteLength(text, "utf8")]),
    ),
  };
}
