/**
 * The dynamic provider behind DroneSecret: a repository secret (`repository` set) or an
 * organisation secret (`namespace` set), created or updated in one idempotent step.
 *
 * Drone never returns a secret's value, so the state keeps a keyed hash of it instead: an
 * HMAC-SHA256 under a random per-resource salt. Both are secret outputs, so the state does not
 * hold a plain hash that could be brute-forced; `diff` recomputes the HMAC of the new value to
 * tell whether it changed. The value itself is not an output at all.
 */
import { failuresOfKnownInputs, isUnknownValue } from "../unknown-value";
import type * as pulumi from "@pulumi/pulumi";
import {
  apiPath,
  backoffDelay,
  callDrone,
  DEFAULT_RETRY_POLICY,
  DroneCall,
  DroneConnection,
  DroneRetryPolicy,
  droneError,
  isDroneError,
  sleep,
} from "./client";
import {
  DroneArgsProblem,
  describeProblems,
  flagProblems,
  secretNameProblems,
  secretTargetProblems,
  serverProblems,
  tokenProblems,
} from "./validation";

export interface DroneSecretInputs {
  server: string;
  token: string;
  /** "owner/name" for a repository secret. */
  repository?: string;
  /** Organisation for an organisation secret. */
  namespace?: string;
  /** Secret name as pipelines reference it (`from_secret`). */
  name: string;
  value: string;
  pullRequest: boolean;
  pullRequestPush: boolean;
}

/** The state: no value, but its keyed hash and the key. */
export interface DroneSecretState extends Omit<DroneSecretInputs, "value"> {
  /** HMAC-SHA256 of the value under `hashSalt`, hex. */
  valueHash: string;
  /** Random key of the HMAC, hex, one per resource. */
  hashSalt: string;
}

/** Inputs that name a different secret (or Drone server): changing one replaces it. */
export const SECRET_IDENTITY_FIELDS = ["server", "repository", "namespace", "name"] as const;
/** Inputs changed in place (the value is compared through its hash). */
export const SECRET_UPDATE_FIELDS = ["token", "pullRequest", "pullRequestPush"] as const;
/** Outputs the resource marks secret. */
export const SECRET_OUTPUTS = ["token", "value", "valueHash", "hashSalt"];

/** HMAC-SHA256 of `value` under `salt`, hex. */
export function valueHash(salt: string, value: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const crypto: typeof import("crypto") = require("crypto");
  return crypto.createHmac("sha256", Buffer.from(salt, "hex")).update(value, "utf8").digest("hex");
}

/** A fresh random HMAC key, hex. */
export function newSalt(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const crypto: typeof import("crypto") = require("crypto");
  return crypto.randomBytes(32).toString("hex");
}

/** Whether `value` hashes to `hash` under `salt` (constant-time comparison). */
export function sameValue(salt: unknown, hash: unknown, value: unknown): boolean {
  if (typeof salt !== "string" || typeof hash !== "string" || typeof value !== "string") {
    return false;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const crypto: typeof import("crypto") = require("crypto");
  const expected = Buffer.from(valueHash(salt, value), "hex");
  const actual = Buffer.from(hash, "hex");
  return actual.length === expected.length && crypto.timingSafeEqual(actual, expected);
}

/** Defaults applied and problems listed: what `check` does. */
export function resolveSecretInputs(raw: Record<string, unknown>): {
  inputs: DroneSecretInputs;
  problems: DroneArgsProblem[];
} {
  const inputs = {
    ...raw,
    pullRequest: raw.pullRequest ?? false,
    pullRequestPush: raw.pullRequestPush ?? false,
  } as DroneSecretInputs;
  const problems = [
    ...serverProblems(raw.server),
    ...tokenProblems(raw.token),
    ...secretTargetProblems(raw.repository, raw.namespace),
    ...secretNameProblems(raw.name),
    ...flagProblems("pullRequest", raw.pullRequest),
    ...flagProblems("pullRequestPush", raw.pullRequestPush),
  ];
  if (typeof raw.value !== "string") {
    problems.push({ field: "value", reason: "missing: a secret needs a string value" });
  }
  return { inputs, problems };
}

/** Where the secret lives: API paths and the words messages use. */
interface SecretLocation {
  collection: string;
  item: string;
  subject: string;
  id: string;
}

export function locate(
  s: Pick<DroneSecretInputs, "repository" | "namespace" | "name">,
): SecretLocation {
  if (s.repository !== undefined && s.repository !== null) {
    const [owner, repo] = s.repository.split("/");
    return {
      collection: apiPath("repos", owner, repo, "secrets"),
      item: apiPath("repos", owner, repo, "secrets", s.name),
      subject: `repository ${s.repository}`,
      id: `${s.repository}/${s.name}`,
    };
  }
  const namespace = s.namespace as string;
  return {
    collection: apiPath("secrets", namespace),
    item: apiPath("secrets", namespace, s.name),
    subject: `organisation ${namespace}`,
    id: `${namespace}/${s.name}`,
  };
}

/**
 * Creates the secret, or updates it when it exists (Drone answers a duplicate create with a 500).
 * The body always carries every field: `pull_request: false` must be sent to turn it off.
 */
export async function upsertSecret(
  inputs: DroneSecretInputs,
  policy: DroneRetryPolicy,
): Promise<"created" | "updated"> {
  const connection: DroneConnection = { server: inputs.server, token: inputs.token };
  const where = locate(inputs);
  const quoted = JSON.stringify(inputs.name);
  const common: Pick<DroneCall, "subject" | "redact"> = {
    subject: where.subject,
    redact: [inputs.value],
  };
  const fields = {
    data: inputs.value,
    pull_request: inputs.pullRequest,
    pull_request_push: inputs.pullRequestPush,
  };
  const started = Date.now();
  for (let round = 1; ; round++) {
    const existing = await callDrone(
      connection,
      {
        ...common,
        method: "GET",
        path: where.item,
        operation: `read secret ${quoted}`,
        expect: [404],
      },
      policy,
    );
    if (existing.status !== 404) {
      await callDrone(
        connection,
        {
          ...common,
          method: "PATCH",
          path: where.item,
          body: fields,
          operation: `update secret ${quoted}`,
        },
        policy,
      );
      return "updated";
    }
    try {
      // Not retried blindly: a create that reached Drone but lost its answer would fail as a
      // duplicate. The next round looks the secret up again instead.
      await callDrone(
        connection,
        {
          ...common,
          method: "POST",
          path: where.collection,
          body: { name: inputs.name, ...fields },
          operation: `create secret ${quoted}`,
          retry: false,
        },
        policy,
      );
      return "created";
    } catch (e) {
      const delay = backoffDelay(round, policy);
      const retryable = isDroneError(e) && e.transient;
      if (
        !retryable ||
        round >= policy.maxAttempts ||
        Date.now() - started + delay >= policy.maxElapsedMs
      ) {
        throw e;
      }
      await sleep(delay);
    }
  }
}

/**
 * Replaces for identity changes, updates for the rest. The value is compared through the keyed
 * hash in the old state: Drone cannot be asked. Pure, exported for tests.
 */
export function diffSecret(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): pulumi.dynamic.DiffResult {
  const resolved = resolveSecretInputs(news).inputs as unknown as Record<string, unknown>;
  const differs = (k: string) =>
    isUnknownValue(resolved[k]) || (olds[k] ?? null) !== (resolved[k] ?? null);
  const replaces: string[] = SECRET_IDENTITY_FIELDS.filter(differs);
  const updates: string[] = SECRET_UPDATE_FIELDS.filter(differs);
  if (isUnknownValue(resolved.value) || !sameValue(olds.hashSalt, olds.valueHash, resolved.value)) {
    updates.push("value");
  }
  return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: false };
}

/**
 * The provider object. `policy` bounds retries and timeouts (tests pass short ones). Create it
 * once per process: Pulumi serializes each provider object once, into the state of every resource.
 */
export function droneSecretProvider(
  policy: DroneRetryPolicy = DEFAULT_RETRY_POLICY,
): pulumi.dynamic.ResourceProvider<DroneSecretInputs, DroneSecretState> {
  const validated = (raw: DroneSecretInputs): DroneSecretInputs => {
    const { inputs, problems } = resolveSecretInputs(raw as unknown as Record<string, unknown>);
    if (problems.length > 0) {
      const what = `Drone secret ${JSON.stringify(raw.name ?? null)}`;
      throw droneError(describeProblems(what, problems), { transient: false, attempts: 0 });
    }
    return inputs;
  };
  const state = (inputs: DroneSecretInputs, salt: string): DroneSecretState => {
    const { value, ...rest } = inputs;
    return { ...rest, valueHash: valueHash(salt, value), hashSalt: salt };
  };
  return {
    async check(_olds, news) {
      const { inputs, problems } = resolveSecretInputs(news as unknown as Record<string, unknown>);
      return {
        inputs,
        failures: failuresOfKnownInputs(news as unknown as Record<string, unknown>, problems),
      };
    },
    async diff(_id, olds, news) {
      return diffSecret(
        olds as unknown as Record<string, unknown>,
        news as unknown as Record<string, unknown>,
      );
    },
    async create(raw) {
      const inputs = validated(raw);
      await upsertSecret(inputs, policy);
      return { id: locate(inputs).id, outs: state(inputs, newSalt()) };
    },
    async update(_id, olds, raw) {
      const inputs = validated(raw);
      await upsertSecret(inputs, policy);
      const salt =
        typeof olds.hashSalt === "string" && olds.hashSalt.length > 0 ? olds.hashSalt : newSalt();
      return { outs: state(inputs, salt) };
    },
    async read(id, props) {
      if (!props) return {};
      const where = locate(props);
      const found = await callDrone(
        { server: props.server, token: props.token },
        {
          method: "GET",
          path: where.item,
          operation: `read secret ${JSON.stringify(props.name)}`,
          subject: where.subject,
          expect: [404],
        },
        policy,
      );
      if (found.status === 404) return {};
      const body = (found.body ?? {}) as Record<string, unknown>;
      // Drone returns the flags but never the value: the hash in the state stays as it was.
      return {
        id,
        props: {
          ...props,
          pullRequest: body.pull_request === true,
          pullRequestPush: body.pull_request_push === true,
        },
      };
    },
    async delete(_id, props) {
      const where = locate(props);
      await callDrone(
        { server: props.server, token: props.token },
        {
          method: "DELETE",
          path: where.item,
          operation: `delete secret ${JSON.stringify(props.name)}`,
          subject: where.subject,
          expect: [404],
        },
        policy,
      );
    },
  };
}
