/**
 * The dynamic provider behind DroneSecret: a repository secret (`repository` set) or an
 * organisation secret (`namespace` set), created or updated in one idempotent step.
 *
 * Drone never returns a secret's value, so the state keeps a keyed hash of it instead: an
 * HMAC-SHA256 under a random per-resource salt. Both are secret outputs, so the state does not
 * hold a plain hash that could be brute-forced; `diff` recomputes the HMAC of the new value to
 * tell whether it changed. The value itself is not an output at all.
 *
 * A 404 is taken as "the secret is gone" only when Drone's handler said so or Drone shows that
 * the machine user may use the repository's secrets (access.ts): Drone's access check answers a
 * user without write access to the repository with the same 404 as a missing secret. An
 * organisation's 401 is told apart from a refused token the same way.
 */
import { providerInputs } from "../provider-inputs";
import { isUnknownValue } from "../unknown-value";
import type * as pulumi from "@pulumi/pulumi";
import { accessError, currentUser, DroneRepositoryAccess, repositoryAccess } from "./access";
import {
  apiPath,
  backoffDelay,
  callDrone,
  DEFAULT_RETRY_POLICY,
  DroneCall,
  DroneConnection,
  DroneRetryPolicy,
  DroneResponse,
  droneError,
  isAccessNotFound,
  isDroneError,
  sleep,
  statusAdvice,
} from "./client";
import {
  DroneArgsProblem,
  describeProblems,
  flagProblems,
  secretNameProblems,
  secretTargetProblems,
  secretValueProblems,
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
  /** Not empty: Drone refuses an empty value (core/secret.go, Secret.Validate). */
  value: string;
  /**
   * Hand the secret to pull-request builds. Drone withholds a secret from a build of event
   * `pull_request` unless this is set (drone/drone operator/manager/manager.go, Manager.Details),
   * and that is the only filter: push builds of every branch get every secret.
   */
  pullRequest: boolean;
  /**
   * Drone's API stores it (core/secret.go, store/secret/scan.go) but nothing in Drone reads it:
   * it has no effect on which builds get the secret. Kept so the state matches what Drone holds.
   */
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
    ...secretValueProblems("value", raw.value),
  ];
  return { inputs, problems };
}

/** Where the secret lives: API paths and the words messages use. */
export interface SecretLocation {
  collection: string;
  item: string;
  subject: string;
  id: string;
  /** The repository, for a repository secret. */
  owner?: string;
  repo?: string;
  /** The organisation, for an organisation secret. */
  namespace?: string;
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
      owner,
      repo,
    };
  }
  const namespace = s.namespace as string;
  return {
    collection: apiPath("secrets", namespace),
    item: apiPath("secrets", namespace, s.name),
    subject: `organisation ${namespace}`,
    id: `${namespace}/${s.name}`,
    namespace,
  };
}

/** One access diagnosis per provider operation, shared by the secrets it touches. */
export interface AccessMemo {
  access?: Promise<DroneRepositoryAccess>;
}

/**
 * What a 404 on a secret's route meant. "gone": the secret is not in Drone (the handler's own
 * lookup said so, or Drone shows that the user may use the repository's secrets); "unknown
 * repository": Drone does not know the repository (so it holds none of its secrets). Anything
 * else throws, naming the missing permission: Drone routes repository secrets through
 * acl.CheckWriteAccess (drone/drone handler/api/api.go, route /secrets), which answers a user
 * without write access with the same 404 (handler/api/acl/check.go, "write access required").
 * An organisation's routes answer access with a 401 instead (see orgRefusal), so their 404 is the
 * secret's.
 */
export async function secretNotFound(
  connection: DroneConnection,
  where: SecretLocation,
  response: DroneResponse,
  operation: string,
  policy: DroneRetryPolicy,
  memo: AccessMemo = {},
): Promise<"gone" | "unknown repository"> {
  if (where.owner === undefined || where.repo === undefined) return "gone";
  if (!isAccessNotFound(response.body)) return "gone";
  memo.access ??= repositoryAccess(connection, where.owner, where.repo, "write", policy);
  const access = await memo.access;
  if (access.kind === "allowed") return "gone";
  if (access.kind === "unknown") return "unknown repository";
  throw accessError(access, "write", operation);
}

/**
 * Sends a call to an organisation's secrets, telling a membership refusal from a refused token.
 * drone/drone handler/api/acl/org.go (CheckMembership) answers a user who is not a member of the
 * organisation on GitHub, or not its admin for a write, with a 401 whose message is "Not Found"
 * (`render.Unauthorized(w, errors.ErrNotFound)`); a Drone administrator always passes. A token
 * Drone refuses also gets a 401, so `GET /api/user` decides which it was.
 */
export async function orgCall(
  connection: DroneConnection,
  where: SecretLocation,
  call: DroneCall,
  policy: DroneRetryPolicy,
): Promise<DroneResponse> {
  const answer = await callDrone(
    connection,
    { ...call, expect: [...(call.expect ?? []), 401] },
    policy,
  );
  if (answer.status !== 401) return answer;
  let user;
  try {
    user = await currentUser(connection, where.subject, policy);
  } catch (e) {
    // A 401 there too: the token is the problem.
    if (!isDroneError(e) || e.status !== 401) throw e;
    throw droneError(
      `Drone: could not ${call.operation} (${where.subject}): HTTP 401 (Drone says: "Unauthorized"). ${statusAdvice(401)}`,
      { status: 401, transient: false, attempts: 1 },
    );
  }
  const role = call.method === "GET" ? "a member" : "an admin";
  throw droneError(
    `Drone: could not ${call.operation} (${where.subject}): HTTP 401 (Drone says: "Not Found"), which here means not allowed: the token is valid, but ${user.login} is not ${role} of the GitHub organisation ${String(where.namespace)}, and Drone lets only its members read an organisation's secrets and only its admins change them (drone/drone handler/api/acl/org.go, CheckMembership). Make ${user.login} ${role} of ${String(where.namespace)} on GitHub, or a Drone administrator (\`drone user update --admin ${user.login}\`), then run \`pulumi up\` again. Nothing was taken as gone.`,
    { status: 401, transient: false, attempts: 1 },
  );
}

/** Sends a call about one secret: through orgCall for an organisation's, as is otherwise. */
export function secretCall(
  connection: DroneConnection,
  where: SecretLocation,
  call: DroneCall,
  policy: DroneRetryPolicy,
): Promise<DroneResponse> {
  return where.namespace !== undefined
    ? orgCall(connection, where, call, policy)
    : callDrone(connection, call, policy);
}

/**
 * Reads or deletes one secret, a 404 allowed: the response, or undefined when Drone said the
 * secret (or its repository) is not there. A 404 that meant "not allowed" throws instead
 * (secretNotFound), so no secret drops out of the state for lack of a permission.
 */
export async function secretCallUnlessGone(
  connection: DroneConnection,
  where: SecretLocation,
  method: "GET" | "DELETE",
  operation: string,
  policy: DroneRetryPolicy,
  memo: AccessMemo = {},
): Promise<DroneResponse | undefined> {
  const response = await secretCall(
    connection,
    where,
    { method, path: where.item, operation, subject: where.subject, expect: [404] },
    policy,
  );
  if (response.status !== 404) return response;
  await secretNotFound(connection, where, response, operation, policy, memo);
  return undefined;
}

/**
 * Creates the secret, or updates it when it exists (Drone answers a duplicate create with a 500).
 * The body always carries every field: `pull_request: false` must be sent to turn it off.
 */
export async function upsertSecret(
  inputs: DroneSecretInputs,
  policy: DroneRetryPolicy,
  memo: AccessMemo = {},
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
    const existing = await secretCall(
      connection,
      where,
      {
        ...common,
        method: "GET",
        path: where.item,
        operation: `read secret ${quoted}`,
        expect: [404],
      },
      policy,
    );
    if (existing.status === 404) {
      const meaning = await secretNotFound(
        connection,
        where,
        existing,
        `read secret ${quoted}`,
        policy,
        memo,
      );
      if (meaning === "unknown repository") {
        throw droneError(
          `Drone: could not create secret ${quoted} (${where.subject}): Drone does not know the repository (HTTP 404). Activate it first (its DroneRepository, which the secrets depend on), then run \`pulumi up\` again.`,
          { status: 404, transient: false, attempts: 1 },
        );
      }
    } else {
      await secretCall(
        connection,
        where,
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
      await secretCall(
        connection,
        where,
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
 * The provider object. `policy` bounds retries and timeouts (tests pass short ones). The engine
 * runs it from the package @mlplatform/dynamic-providers (../dynamic-providers.ts).
 */
export function droneSecretProvider(
  policy: DroneRetryPolicy = DEFAULT_RETRY_POLICY,
): pulumi.dynamic.ResourceProvider<DroneSecretInputs, DroneSecretState> {
  const rules = providerInputs<DroneSecretInputs>({
    resolve: resolveSecretInputs,
    diff: diffSecret,
    refuse: (raw, problems) =>
      droneError(describeProblems(`Drone secret ${JSON.stringify(raw.name ?? null)}`, problems), {
        transient: false,
        attempts: 0,
      }),
  });
  const validated = rules.validated;
  const state = (inputs: DroneSecretInputs, salt: string): DroneSecretState => {
    const { value, ...rest } = inputs;
    return { ...rest, valueHash: valueHash(salt, value), hashSalt: salt };
  };
  return {
    check: rules.check,
    diff: rules.diff,
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
      const found = await secretCallUnlessGone(
        { server: props.server, token: props.token },
        locate(props),
        "GET",
        `read secret ${JSON.stringify(props.name)}`,
        policy,
      );
      if (found === undefined) return {};
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
      // Already deleted only when Drone said so: the secret never stays in Drone while the state
      // forgets it.
      await secretCallUnlessGone(
        { server: props.server, token: props.token },
        locate(props),
        "DELETE",
        `delete secret ${JSON.stringify(props.name)}`,
        policy,
      );
    },
  };
}
