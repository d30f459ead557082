/**
 * The dynamic provider behind DroneRepositorySecrets: every secret of one repository's pipeline in
 * one resource. Each secret is created or updated (one idempotent upsert per secret, the same as
 * DroneSecret's), the state keeps a keyed hash per value (HMAC-SHA256 under one random salt, both
 * secret outputs, never the values), an update touches only the secrets whose value or flags
 * changed and deletes the names no longer declared, and delete removes them all.
 *
 * One resource instead of one per secret: a dynamic resource carries its provider's serialized
 * code (about 30 KB) in its state inputs and outputs, so eight secret resources per service cost
 * about 480 KB of state per service; this costs 60 KB.
 */
import { failuresOfKnownInputs, isUnknownValue } from "../unknown-value";
import type * as pulumi from "@pulumi/pulumi";
import { callDrone, DEFAULT_RETRY_POLICY, DroneRetryPolicy, droneError } from "./client";
import { locate, newSalt, sameValue, upsertSecret, valueHash } from "./secret-provider";
import {
  DroneArgsProblem,
  describeProblems,
  flagProblems,
  secretNameProblems,
  serverProblems,
  slugProblems,
  tokenProblems,
} from "./validation";

/** Who may read one secret of the set. */
export interface DroneSecretSetFlags {
  /** Expose to pull-request builds (forks can read it). */
  pullRequest: boolean;
  /** Expose to push builds of pull-request branches. */
  pullRequestPush: boolean;
}

export interface DroneSecretSetInputs {
  server: string;
  token: string;
  /** "owner/name" of the repository. */
  repository: string;
  /** Secret name (as pipelines reference it) -> who may read it; not secret, so plans and diffs show it. */
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
      if (typeof values[name] !== "string") {
        problems.push({
          field: `values.${name}`,
          reason: "missing: a secret needs a string value",
        });
      }
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

async function deleteSecret(
  props: Pick<DroneSecretSetState, "server" | "token" | "repository">,
  name: string,
  policy: DroneRetryPolicy,
): Promise<void> {
  const where = locate({ repository: props.repository, name });
  await callDrone(
    { server: props.server, token: props.token },
    {
      method: "DELETE",
      path: where.item,
      operation: `delete secret ${JSON.stringify(name)}`,
      subject: where.subject,
      expect: [404],
    },
    policy,
  );
}

/**
 * The provider object. `policy` bounds retries and timeouts (tests pass short ones). Create it
 * once per process: Pulumi serializes each provider object once, into the state of every resource.
 */
export function droneSecretSetProvider(
  policy: DroneRetryPolicy = DEFAULT_RETRY_POLICY,
): pulumi.dynamic.ResourceProvider<DroneSecretSetInputs, DroneSecretSetState> {
  const validated = (raw: DroneSecretSetInputs): DroneSecretSetInputs => {
    const { inputs, problems } = resolveSecretSetInputs(raw as unknown as Record<string, unknown>);
    if (problems.length > 0) {
      const what = `Drone secrets of ${String(raw.repository)}`;
      throw droneError(describeProblems(what, problems), { transient: false, attempts: 0 });
    }
    return inputs;
  };
  const write = async (inputs: DroneSecretSetInputs, names: string[]) => {
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
    async check(_olds, news) {
      const { inputs, problems } = resolveSecretSetInputs(
        news as unknown as Record<string, unknown>,
      );
      return {
        inputs,
        failures: failuresOfKnownInputs(news as unknown as Record<string, unknown>, problems),
      };
    },
    async diff(_id, olds, news) {
      return diffSecretSet(
        olds as unknown as Record<string, unknown>,
        news as unknown as Record<string, unknown>,
      );
    },
    async create(raw) {
      const inputs = validated(raw);
      await write(inputs, Object.keys(inputs.exposure).sort());
      return { id: `${inputs.repository}/secrets`, outs: state(inputs, newSalt()) };
    },
    async update(_id, olds, raw) {
      const inputs = validated(raw);
      await write(inputs, secretsToWrite(olds, inputs));
      for (const name of secretsToDelete(olds, inputs)) await deleteSecret(olds, name, policy);
      const salt =
        typeof olds.hashSalt === "string" && olds.hashSalt.length > 0 ? olds.hashSalt : newSalt();
      return { outs: state(inputs, salt) };
    },
    async read(id, props) {
      if (!props) return {};
      const kept: Record<string, DroneSecretSetRecord> = {};
      for (const [name, record] of Object.entries(props.records ?? {})) {
        const found = await callDrone(
          { server: props.server, token: props.token },
          {
            method: "GET",
            path: locate({ repository: props.repository, name }).item,
            operation: `read secret ${JSON.stringify(name)}`,
            subject: `repository ${props.repository}`,
            expect: [404],
          },
          policy,
        );
        // Gone from Drone: left out, so the next update creates it again.
        if (found.status === 404) continue;
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
      for (const name of Object.keys(props.records ?? {}).sort()) {
        await deleteSecret(props, name, policy);
      }
    },
  };
}
