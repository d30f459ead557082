/**
 * The offline engine: the SDK's mock monitor (`pulumi.runtime.setMocks`) with deterministic fake
 * ids and outputs, no network, no CLI, no credentials. It also records every registration with the
 * options the real engine would receive (parent, protect, retainOnDelete), which the plan reports,
 * and the id it answered (which policy evaluation matches references by).
 */
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { PlanResource, SECRET_MASK } from "./types";

/** The account id offline plans and renders use in place of the real one. */
export const OFFLINE_ACCOUNT_ID = "000000000000";

/**
 * One registration as the engine received it (the plan masks its inputs afterwards), with the
 * aliases it declared (absent when none), which the plan document does not carry.
 */
export type RecordedResource = PlanResource & { aliases?: string[] };

export interface MockEngineOptions {
  region: string;
  /** The stack's AWS account (what getCallerIdentity answers). Defaults to OFFLINE_ACCOUNT_ID. */
  accountId?: string;
  githubOrganization: string;
  /** Outputs a StackReference to the stack itself returns (the previous deployment's outputs). */
  previousOutputs?: Record<string, unknown>;
  /** Record dynamic providers' serialized code as is (for tests that inspect it); a marker otherwise. */
  keepProviderCode?: boolean;
  /**
   * Record the inputs masked (maskInputs: what the plan reports) instead of as received. The
   * offline plan sets it: it holds one masked copy per resource rather than the raw inputs until
   * the end and a masked copy made from them then. Off by default (tests inspect raw inputs).
   */
  maskRecordedInputs?: boolean;
}

/** Deterministic number from a name (ids of Databricks objects are numeric). */
function numericId(seed: string): string {
  return BigInt(`0x${createHash("sha256").update(seed).digest("hex").slice(0, 13)}`).toString();
}

function uuidFrom(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

type State = Record<string, unknown>;

/** Fake provider outputs per resource type: what the real provider would compute. */
export function mockOutputs(
  type: string,
  name: string,
  inputs: State,
  options: MockEngineOptions,
): { id: string; state: State } {
  const account = options.accountId ?? OFFLINE_ACCOUNT_ID;
  const region = options.region;
  const str = (key: string) => String(inputs[key] ?? name);
  switch (type) {
    case "aws:s3/bucket:Bucket":
      return {
        id: str("bucket"),
        state: { ...inputs, arn: `arn:aws:s3:::${str("bucket")}`, bucket: str("bucket") },
      };
    case "aws:ecr/repository:Repository":
      return {
        id: str("name"),
        state: {
          ...inputs,
          arn: `arn:aws:ecr:${region}:${account}:repository/${str("name")}`,
          repositoryUrl: `${account}.dkr.ecr.${region}.amazonaws.com/${str("name")}`,
          registryId: account,
        },
      };
    case "aws:iam/role:Role":
      return {
        id: str("name"),
        state: {
          ...inputs,
          arn: `arn:aws:iam::${account}:role/${str("name")}`,
          uniqueId: `AROA${numericId(name)}`,
        },
      };
    case "aws:iam/instanceProfile:InstanceProfile":
      return {
        id: str("name"),
        state: { ...inputs, arn: `arn:aws:iam::${account}:instance-profile/${str("name")}` },
      };
    case "github:index/repository:Repository":
      return {
        id: str("name"),
        state: {
          ...inputs,
          fullName: `${options.githubOrganization}/${str("name")}`,
          htmlUrl: `https://github.com/${options.githubOrganization}/${str("name")}`,
          sshCloneUrl: `git@github.com:${options.githubOrganization}/${str("name")}.git`,
          defaultBranch: "main",
        },
      };
    case "databricks:index/job:Job":
    case "databricks:index/mlflowExperiment:MlflowExperiment":
      return { id: numericId(`${type}/${str("name")}`), state: { ...inputs } };
    case "databricks:index/registeredModel:RegisteredModel": {
      // The provider's id of a Unity Catalog model is its full name.
      const fullName = `${str("catalogName")}.${str("schemaName")}.${str("name")}`;
      return { id: fullName, state: { ...inputs, fullName } };
    }
    case "databricks:index/directory:Directory":
      return { id: str("path"), state: { ...inputs, objectId: Number(numericId(str("path"))) } };
    case "command:local:Command":
      // What the copy prints on success (components/image-promotion/copy-image.sh).
      return { id: `${name}-id`, state: { ...inputs, stdout: "", stderr: "" } };
    case "databricks:index/mlflowModel:MlflowModel":
      return {
        id: str("name"),
        state: { ...inputs, registeredModelId: numericId(`model/${str("name")}`) },
      };
    case "databricks:index/servicePrincipal:ServicePrincipal":
      return {
        id: numericId(`sp/${str("displayName")}`),
        state: { ...inputs, applicationId: uuidFrom(`sp/${str("displayName")}`) },
      };
    case "databricks:index/servicePrincipalSecret:ServicePrincipalSecret":
      return {
        id: numericId(`spsecret/${name}`),
        state: { ...inputs, secret: secretValue("mock-oauth-secret") },
      };
    case "databricks:index/instanceProfile:InstanceProfile":
      return { id: String(inputs.instanceProfileArn ?? name), state: { ...inputs } };
    case "databricks:index/secretScope:SecretScope":
      return { id: str("name"), state: { ...inputs } };
    case "docker-build:index:Image":
      return dockerBuildImage(name, inputs);
    case "pulumi-nodejs:dynamic/github:Commit": {
      // The files are serialized once: the commit hashes the tree's hash with the branch.
      const treeSha = createHash("sha1").update(JSON.stringify(inputs.files)).digest("hex");
      const commitSha = createHash("sha1")
        .update(`${String(inputs.branch)}\0${treeSha}`)
        .digest("hex");
      return {
        id: `${str("owner")}/${str("repository")}@${commitSha}`,
        state: commitOutputs(inputs, commitSha, treeSha),
      };
    }
    case "pulumi:pulumi:StackReference":
      return {
        id: String(inputs.name ?? name),
        state: { ...inputs, outputs: options.previousOutputs ?? {}, secretOutputNames: [] },
      };
    default:
      return { id: `${name}-id`, state: { ...inputs } };
  }
}

/**
 * What the GitCommit provider keeps as outputs: the target and the commit, no token, no contents
 * (its commitState in components/github/commit-provider.ts; the engine does not import a
 * component's internals, and tests/plan/mock-engine-commit.test.ts proves both agree).
 */
export function commitOutputs(inputs: State, commitSha: string, treeSha: string): State {
  const files = Array.isArray(inputs.files) ? (inputs.files as { path: unknown }[]) : [];
  return {
    apiUrl: inputs.apiUrl,
    owner: inputs.owner,
    repository: inputs.repository,
    branch: inputs.branch,
    ...(inputs.fromBranch !== undefined ? { fromBranch: inputs.fromBranch } : {}),
    commitSha,
    treeSha,
    paths: files.map((f) => String(f.path)).sort(),
  };
}

/**
 * What docker-build's Image answers (pulumi-docker-build provider/internal/image.go Create): a
 * pushed image has the digest as its id and `ref` is its first tag with the digest (addDigest); an image
 * built without a push has no digest, its name as id and its first tag as `ref`.
 */
function dockerBuildImage(name: string, inputs: State): { id: string; state: State } {
  const tags = Array.isArray(inputs.tags) ? inputs.tags.map(String) : [];
  if (inputs.push !== true) {
    return { id: name, state: { ...inputs, digest: "", ref: tags[0] ?? "" } };
  }
  const digest = `sha256:${createHash("sha256").update(JSON.stringify(tags)).digest("hex")}`;
  // addDigest: <name>:<tag>@<digest>.
  return { id: digest, state: { ...inputs, digest, ref: `${tags[0] ?? name}@${digest}` } };
}

function secretValue(value: string): unknown {
  return { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value };
}

export function mockCall(token: string, options: MockEngineOptions, args: State = {}): State {
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity": {
      const account = options.accountId ?? OFFLINE_ACCOUNT_ID;
      return {
        accountId: account,
        arn: `arn:aws:iam::${account}:user/offline-plan`,
        userId: "OFFLINE",
        id: account,
      };
    }
    case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
      return {
        authorizationToken: secretValue("offline"),
        password: secretValue("offline"),
        userName: "AWS",
        proxyEndpoint: `https://${options.accountId ?? OFFLINE_ACCOUNT_ID}.dkr.ecr.${options.region}.amazonaws.com`,
        expiresAt: "2100-01-01T00:00:00Z",
        id: options.accountId ?? OFFLINE_ACCOUNT_ID,
      };
    case "aws:ecr/getImages:getImages":
      // Offline, no registry holds any image: the base image build would push its tag.
      return {
        imageIds: [],
        repositoryName: args.repositoryName,
        registryId: args.registryId ?? options.accountId ?? OFFLINE_ACCOUNT_ID,
        region: options.region,
        id: String(args.repositoryName),
      };
    default:
      throw new Error(
        `the offline plan has no mock for the invoke ${token}; add one to offline/plan/mock-engine.ts`,
      );
  }
}

/** What a dynamic resource's `__provider` input is replaced with in the offline plan. */
export const SERIALIZED_PROVIDER = "[dynamic provider code]";

/**
 * Inputs as the plan reports them: secret values replaced by the mask, a dynamic provider's
 * serialized code by a marker, keys sorted.
 */
export function maskInputs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskInputs);
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (record[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig)
      return SECRET_MASK;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(record).sort()) {
      out[key] = key === "__provider" ? SERIALIZED_PROVIDER : maskInputs(record[key]);
    }
    return out;
  }
  return value;
}

interface RegisterRequest {
  getObject(): { toJavaScript(): State };
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProtect(): boolean;
  getRetainondelete(): boolean;
  getIgnorechangesList(): string[];
  getProvider(): string;
  getImportid(): string;
  getReplacementTrigger(): { toJavaScript(): unknown } | undefined;
  getAliasesList(): { toObject(): AliasObject }[];
  getAliasurnsList(): string[];
}

/** An alias as the SDK sends it (pulumi/pulumi proto/pulumi/alias.proto: a URN or a spec). */
interface AliasObject {
  urn?: string;
  spec?: {
    name?: string;
    type?: string;
    stack?: string;
    project?: string;
    parenturn?: string;
    noparent?: boolean;
  };
}

/**
 * The aliases a registration declares, one line each: a URN as is, a spec as its set fields
 * (`name=old type=...`). The SDK sends specs where the engine supports them (the mock does) and
 * URNs otherwise (@pulumi/pulumi runtime/resource.js, setAliasesList / setAliasurnsList).
 */
function aliasesOf(req: RegisterRequest): { aliases?: string[] } {
  const aliases = [
    ...req.getAliasurnsList(),
    ...req.getAliasesList().map((alias) => {
      const { urn, spec } = alias.toObject();
      if (urn) return urn;
      return Object.entries(spec ?? {})
        .filter(([, v]) => v !== "" && v !== false && v !== undefined)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(" ");
    }),
  ];
  return aliases.length > 0 ? { aliases } : {};
}

/** The replacementTrigger option as the engine receives it (absent when not set). */
function replacementTriggerOf(req: RegisterRequest): { replacementTrigger?: unknown } {
  const trigger = req.getReplacementTrigger()?.toJavaScript();
  return trigger === undefined || trigger === null ? {} : { replacementTrigger: trigger };
}

/**
 * The URN the real engine gives: the qualified type chains every ancestor's type (the SDK's mock
 * keeps only the parent's), so targets derived from a plan match a real stack.
 */
export function engineUrn(
  project: string,
  stack: string,
  parent: string,
  type: string,
  name: string,
): string {
  const qualified = parent ? `${parent.split("::")[2]}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

interface MonitorInternals {
  mocks: pulumi.runtime.Mocks;
  resources: Map<string, { urn: string; id: string | null; state: unknown }>;
}

/**
 * Installs the mock engine for one run and returns the list registrations are recorded into.
 * The SDK's MockMonitor does the work; this only adds what the plan must report.
 */
export function installMockEngine(
  project: string,
  stack: string,
  options: MockEngineOptions,
): RecordedResource[] {
  const recorded: RecordedResource[] = [];
  const mocks: pulumi.runtime.Mocks = {
    newResource: (args) => mockOutputs(args.type, args.name, args.inputs as State, options),
    call: (args) => mockCall(args.token, options, args.inputs as State),
  };
  // "organization" is what the self-managed backends call every organisation.
  pulumi.runtime.setMocks(mocks, project, stack, false, "organization");
  const monitor = currentMonitor();
  // Same steps as MockMonitor.registerResource, plus a record of the request's options.
  monitor.registerResource = async (
    req: RegisterRequest,
    callback: (err: unknown, response: unknown) => void,
  ) => {
    try {
      // The inputs as the SDK serialized them (what deserializeProperties reads), kept to answer
      // with: an output that is an input echoed back is sent back as it came, not serialized again.
      const serializedInputs = req.getObject().toJavaScript();
      const inputs: State = {};
      for (const key of Object.keys(serializedInputs)) {
        // As @pulumi/pulumi runtime/rpc.js deserializeProperties: an undefined value is no property.
        if (serializedInputs[key] !== undefined) {
          inputs[key] = pulumi.runtime.deserializeProperty(serializedInputs[key]);
        }
      }
      // A dynamic resource carries its provider's serialized code (tens of KB, the same for every
      // resource of that provider): keep a marker, not one copy per resource, in records and state.
      if (typeof inputs.__provider === "string" && !options.keepProviderCode) {
        inputs.__provider = SERIALIZED_PROVIDER;
      }
      const internals = monitor as unknown as MonitorInternals;
      const type = req.getType();
      const name = req.getName();
      const custom = req.getCustom();
      const importId = req.getImportid();
      const ignoreChanges = req.getIgnorechangesList();
      const result = await internals.mocks.newResource({
        type,
        name,
        inputs,
        provider: req.getProvider(),
        custom,
        id: importId,
      });
      const urn = engineUrn(project, stack, req.getParent(), type, name);
      recorded.push({
        urn,
        type,
        name,
        parent: req.getParent() || undefined,
        custom,
        inputs: options.maskRecordedInputs ? (maskInputs(inputs) as State) : inputs,
        protect: req.getProtect(),
        retainOnDelete: req.getRetainondelete(),
        ...(ignoreChanges.length > 0 ? { ignoreChanges } : {}),
        ...(importId ? { importId } : {}),
        ...replacementTriggerOf(req),
        // The id the engine answers (custom resources only: a component has none in a real stack).
        ...(custom && result.id ? { id: result.id } : {}),
        ...aliasesOf(req),
      });
      const serializedState = await serializeState(result.state, inputs, serializedInputs);
      // The SDK's monitor only needs to know the URN exists (for registerResourceOutputs).
      internals.resources.set(urn, { urn, id: result.id ?? null, state: {} });
      callback(null, registerResponse(urn, result.id || "", serializedState));
    } catch (err) {
      callback(err, undefined);
    }
  };
  return recorded;
}

/**
 * The registered resource's state as the engine sends it back (a serialized property map): a
 * value the mock passed through from the inputs unchanged is the SDK's own serialization of it,
 * and only the values the mock computed are serialized here (@pulumi/pulumi runtime/rpc.js
 * serializeProperties, as pulumi/pulumi sdk/nodejs/runtime/mocks.ts MockMonitor.registerResource
 * serializes the whole state).
 */
export async function serializeState(
  state: State,
  inputs: State,
  serializedInputs: State,
): Promise<State> {
  const computed: State = {};
  const serialized: State = {};
  for (const key of Object.keys(state)) {
    const value = state[key];
    if (value === undefined) continue;
    if (value === inputs[key] && key in serializedInputs) serialized[key] = serializedInputs[key];
    else computed[key] = value;
  }
  Object.assign(serialized, await pulumi.runtime.serializeProperties("", computed));
  // The keys in the state's order, as serializing the whole state gives them.
  const ordered: State = {};
  for (const key of Object.keys(state)) if (key in serialized) ordered[key] = serialized[key];
  return ordered;
}

/**
 * The answer to a registration, shaped as the SDK reads it (pulumi/pulumi
 * sdk/nodejs/runtime/resource.ts registerResource, installed as @pulumi/pulumi runtime/resource.js: getUrn, getId, getObject().toJavaScript() through rpc.js
 * deserializeProperties, getPropertydependenciesMap, getResult compared with Result.SUCCESS = 0,
 * proto/resource_pb.js): the state goes to the SDK as it is, without the protobuf Struct the
 * SDK's MockMonitor encodes and the SDK decodes again for every resource.
 */
export function registerResponse(urn: string, id: string, state: State) {
  return {
    getUrn: () => urn,
    getId: () => id,
    getObject: () => ({ toJavaScript: () => state }),
    getPropertydependenciesMap: () => undefined,
    getResult: () => 0,
  };
}

function currentMonitor(): MockMonitor & { registerResource: unknown } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const state = require("@pulumi/pulumi/runtime/state");
  const monitor = state.getStore().settings.monitor;
  if (!(monitor instanceof MockMonitor)) throw new Error("the mock engine is not installed");
  return monitor as MockMonitor & { registerResource: unknown };
}
