/**
 * The dynamic provider behind DroneRepositorySecrets: every secret of one repository's pipeline in
 * one resource. Each secret is created or updated (one idempotent upsert per secret, the same as
 * DroneSecret's), the state keeps a keyed hash per value (HMAC-SHA256 under one random salt, both
 * secret outputs, never the values), an update touches only the secrets whose value or flags
 * changed and deletes the names no longer declared, and delete removes them all.
 *
 * One resource instead of one per secret: seven registrations fewer per service, and a dynamic
 * resource carries its provider text (docs/scale.md, "The state") in its state inputs and outputs.
 */
import { providerInputs } from "../provider-inputs";
import { isUnknownValue } from "../unknown-value";
import type * as pulumi from "@pulumi/pulumi";
import { DEFAULT_RETRY_POLICY, DroneRetryPolicy, droneError } from "./client";
import {
  AccessMemo,
  locate,
  newSalt,
  sameValue,
  secretCallUnlessGone,
  upsertSecret,
  valueHash,
} from "./secret-provider";
import {
  DroneArgsProblem,
  describeProblems,
  flagProblems,
  secretNameProblems,
  secretValueProblems,
  serverProblems,
  slugProblems,
  tokenProblems,
} from "./validation";

/**
 * Drone's flags of one secret of the set. Push builds of every branch get every secret whatever
 * the flags: Drone's only filter withholds a secret without `pullRequest` from builds of event
 * `pull_request` (drone/drone operator/manager/manager.go, Manager.Details).
 */
export interface DroneSecretSetFlags {
  /** Hand the secret to pull-request builds too (code from a pull request could read it). */
  pullRequest: boolean;
  /** Stored by Drone's API, read by nothing in Drone: no effect (see DroneSecretInputs). */
  pullRequestPush: boolean;
}

export interface DroneSecretSetInputs {
  server: string;
  token: string;
  /** "owner/name" of the repository. */
  repository: string;
  /** Secret name (as pipelines reference it) -> Drone's flags; not secret, so plans and diffs show them. */
  exposure: Record<string, DroneSecretSetFlags>;
  /** Secret name -> value; a Pulumi secret as a whole. */
  values: Record<string, string>;
}

/** What the state keeps of one secret: no value, its keyed hash. */
export interface DroneSecretSetRecord {
  valueHash: string;
  pullRequest: boolean;
  pullRequestPush: boolean;
}

export interface DroneSecretSetState {
  server: string;
  token: string;
  repository: string;
  /** The secret names, sorted (not secret). */
  names: string[];
  /** Random key of the HMACs, hex. */
  hashSalt: string;
  records: Record<string, DroneSecretSetRecord>;
}

/** Inputs that name another repository (or Drone server): changing one replaces the set. */
export const SECRET_SET_IDENTITY_FIELDS = ["server", "repository"] as const;
/** Outputs the resource marks secret. */
export const SECRET_SET_OUTPUTS = ["token", "records", "hashSalt"];
/** Secrets one set may hold. */
export const SECRET_SET_LIMIT = 100;

/** Defaults applied (flags off) and problems listed: what `check` does. */
export function resolveSecretSetInputs(raw: Record<string, unknown>): {
  inputs: DroneSecretSetInputs;
  problems: DroneArgsProblem[];
} {
  const problems: DroneArgsProblem[] = [
    ...serverProblems(raw.server),
    ...tokenProblems(raw.token),
    ...slugProblems("repository", raw.repository),
  ];
  const given =
    typeof raw.exposure === "object" && raw.exposure !== null && !Array.isArray(raw.exposure)
      ? (raw.exposure as Record<string, unknown>)
      : undefined;
  const values = (
    typeof raw.values === "object" && raw.values !== null ? raw.values : {}
  ) as Record<string, unknown>;
  const exposure: Record<string, DroneSecretSetFlags> = {};
  if (given === undefined || Object.keys(given).length === 0) {
    problems.push({ field: "exposure", reason: "at least one secret is needed" });
  } else if (Object.keys(given).length > SECRET_SET_LIMIT) {
    problems.push({
      field: "exposure",
      reason: `${Object.keys(given).length} secrets, at most ${SECRET_SET_LIMIT}`,
    });
  } else {
    for (const [name, rawFlags] of Object.entries(given)) {
      const flags = (typeof rawFlags === "object" && rawFlags !== null ? rawFlags : {}) as Record<
        string,
        unknown
      >;
      const at = (p: DroneArgsProblem) => ({
        field: `exposure.${name}.${p.field}`,
        reason: p.reason,
      });
      problems.push(
        ...secretNameProblems(name).map((p) => ({ field: `exposure.${name}`, reason: p.reason })),
        ...flagProblems("pullRequest", flags.pullRequest).map(at),
        ...flagProblems("pullRequestPush", flags.pullRequestPush).map(at),
      );
      problems.push(...secretValueProblems(`values.${name}`, values[name]));
      exposure[name] = {
        pullRequest: (flags.pullRequest as boolean | undefined) ?? false,
        pullRequestPush: (flags.pullRequestPush as boolean | undefined) ?? false,
      };
    }
    for (const name of Object.keys(values)) {
      if (!(name in given)) {
        problems.push({
          field: `values.${name}`,
          reason: "a value for a secret that is not declared",
        });
      }
    }
  }
  return {
    inputs: { ...(raw as object), exposure, values } as DroneSecretSetInputs,
    problems,
  };
}

/** Names whose secret must be written: new, or value or flags changed (values through the hash). */
export function secretsToWrite(
  olds: Partial<DroneSecretSetState>,
  news: DroneSecretSetInputs,
): string[] {
  const previous = olds.records ?? {};
  return Object.keys(news.exposure)
    .sort()
    .filter((name) => {
      const was = previous[name];
      const now = news.exposure[name];
      const value = news.values[name];
      return (
        was === undefined ||
        isUnknownValue(value) ||
        !sameValue(olds.hashSalt, was.valueHash, value) ||
        was.pullRequest !== now.pullRequest ||
        was.pullRequestPush !== now.pullRequestPush
      );
    });
}

/** Names in the state that are no longer declared. */
export function secretsToDelete(
  olds: Partial<DroneSecretSetState>,
  news: Pick<DroneSecretSetInputs, "exposure">,
): string[] {
  return Object.keys(olds.records ?? {})
    .filter((name) => !(name in news.exposure))
    .sort();
}

/** Replaces for a new repository or server, updates for anything else. Pure, exported for tests. */
export function diffSecretSet(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): pulumi.dynamic.DiffResult {
  const resolved = resolveSecretSetInputs(news).inputs;
  const old = olds as Partial<DroneSecretSetState>;
  const replaces = SECRET_SET_IDENTITY_FIELDS.filter(
    (k) => isUnknownValue(resolved[k]) || old[k] !== resolved[k],
  );
  const changed =
    isUnknownValue(resolved.token) ||
    old.token !== resolved.token ||
    secretsToWrite(old, resolved).length > 0 ||
    secretsToDelete(old, resolved).length > 0;
  return {
    changes: replaces.length > 0 || changed,
    replaces: [...replaces],
    deleteBeforeReplace: false,
  };
}

/** Deletes one secret; a 404 counts as done only when it meant "gone" (secretNotFound). */
async function deleteSecret(
  props: Pick<DroneSecretSetState, "server" | "token" | "repository">,
  name: string,
  policy: DroneRetryPolicy,
  memo: AccessMemo,
): Promise<void> {
  const where = locate({ repository: props.repository, name });
  const connection = { server: props.server, token: props.token };
  const operation = `delete secret ${JSON.stringify(name)}`;
  await secretCallUnlessGone(connection, where, "DELETE", operation, policy, memo);
}

/**
 * The provider object. `policy` bounds retries and timeouts (tests pass short ones). The engine
 * runs it from the package @mlplatform/dynamic-providers (../dynamic-providers.ts).
 */
export function droneSecretSetProvider(
  policy: DroneRetryPolicy = DEFAULT_RETRY_POLICY,
): pulumi.dynamic.ResourceProvider<DroneSecretSetInputs, DroneSecretSetState> {
  const rules = providerInputs<DroneSecretSetInputs>({
    resolve: resolveSecretSetInputs,
    diff: diffSecretSet,
    refuse: (raw, problems) =>
      droneError(describeProblems(`Drone secrets of ${String(raw.repository)}`, problems), {
        transient: false,
        attempts: 0,
      }),
  });
  const validated = rules.validated;
  const write = async (inputs: DroneSecretSetInputs, names: string[]) => {
    const memo: AccessMemo = {};
    for (const name of names) {
      const flags = inputs.exposure[name];
      await upsertSecret(
        {
          server: inputs.server,
          token: inputs.token,
          repository: inputs.repository,
          name,
          value: inputs.values[name],
          pullRequest: flags.pullRequest,
          pullRequestPush: flags.pullRequestPush,
        },
        policy,
        memo,
      );
    }
  };
  const state = (inputs: DroneSecretSetInputs, salt: string): DroneSecretSetState => ({
    server: inputs.server,
    token: inputs.token,
    repository: inputs.repository,
    names: Object.keys(inputs.exposure).sort(),
    hashSalt: salt,
    records: Object.fromEntries(
      Object.keys(inputs.exposure)
        .sort()
        .map((name) => {
          const { pullRequest, pullRequestPush } = inputs.exposure[name];
          const hash = valueHash(salt, inputs.values[name]);
          return [name, { valueHash: hash, pullRequest, pullRequestPush }];
        }),
    ),
  });
  return {
    check: rules.check,
    diff: rules.diff,
    async create(raw) {
      const inputs = validated(raw);
      await write(inputs, Object.keys(inputs.exposure).sort());
      return { id: `${inputs.repository}/secrets`, outs: state(inputs, newSalt()) };
    },
    async update(_id, olds, raw) {
      const inputs = validated(raw);
      await write(inputs, secretsToWrite(olds, inputs));
      const memo: AccessMemo = {};
      for (const name of secretsToDelete(olds, inputs)) {
        await deleteSecret(olds, name, policy, memo);
      }
      const salt =
        typeof olds.hashSalt === "string" && olds.hashSalt.length > 0 ? olds.hashSalt : newSalt();
      return { outs: state(inputs, salt) };
    },
    async read(id, props) {
      if (!props) return {};
      const connection = { server: props.server, token: props.token };
      const memo: AccessMemo = {};
      const kept: Record<string, DroneSecretSetRecord> = {};
      for (const [name, record] of Object.entries(props.records ?? {})) {
        const where = locate({ repository: props.repository, name });
        const operation = `read secret ${JSON.stringify(name)}`;
        // Gone from Drone: left out, so the next update creates it again. A 404 that meant "not
        // allowed" throws instead: nothing drops out of the state for lack of a permission.
        const found = await secretCallUnlessGone(connection, where, "GET", operation, policy, memo);
        if (found === undefined) continue;
        const body = (found.body ?? {}) as Record<string, unknown>;
        kept[name] = {
          valueHash: record.valueHash,
          pullRequest: body.pull_request === true,
          pullRequestPush: body.pull_request_push === true,
        };
      }
      return { id, props: { ...props, records: kept } };
    },
    async delete(_id, props) {
      const memo: AccessMemo = {};
      for (const name of Object.keys(props.records ?? {}).sort()) {
        await deleteSecret(props, name, policy, memo);
      }
    },
  };
}
