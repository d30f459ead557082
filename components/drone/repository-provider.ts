/**
 * The dynamic provider behind DroneRepository: activates a repository in Drone (syncing Drone's
 * repository list when Drone does not know it yet), applies its settings, reads them back, and
 * deactivates it on delete. Every operation is idempotent.
 *
 * A 404 is not taken as "gone" before Drone has said whether the repository is unknown or the
 * machine user may not use it (access.ts): Drone answers both with the same 404.
 */
import { providerInputs } from "../provider-inputs";
import { isUnknownValue } from "../unknown-value";
import type * as pulumi from "@pulumi/pulumi";
import { accessError, repositoryAccess, syncRepositoryList } from "./access";
import {
  apiPath,
  backoffDelay,
  callDrone,
  DEFAULT_RETRY_POLICY,
  DroneConnection,
  DroneRetryPolicy,
  droneError,
  sleep,
} from "./client";
import {
  DRONE_REPOSITORY_DEFAULTS,
  DroneArgsProblem,
  DroneRepositorySettings,
  describeProblems,
  segmentProblems,
  serverProblems,
  settingsProblems,
  tokenProblems,
} from "./validation";

/** What the provider receives: connection, identity and resolved settings. */
export interface DroneRepositoryInputs extends DroneRepositorySettings {
  server: string;
  token: string;
  owner: string;
  name: string;
}

/** What the state keeps: the inputs plus what Drone reports. */
export interface DroneRepositoryState extends DroneRepositoryInputs {
  /** "owner/name". */
  slug: string;
  active: boolean;
}

/** Inputs that name a different repository (or Drone server): changing one replaces it. */
export const REPOSITORY_IDENTITY_FIELDS = ["server", "owner", "name"] as const;
/** Inputs changed in place. */
export const REPOSITORY_UPDATE_FIELDS = [
  "token",
  "configPath",
  "protected",
  "trusted",
  "visibility",
  "ignoreForks",
  "ignorePullRequests",
  "autoCancelPullRequests",
  "autoCancelPushes",
  "timeoutMinutes",
] as const;

/** Defaults applied and problems listed: what `check` does, exported for tests and the resource. */
export function resolveRepositoryInputs(raw: Record<string, unknown>): {
  inputs: DroneRepositoryInputs;
  problems: DroneArgsProblem[];
} {
  const d = DRONE_REPOSITORY_DEFAULTS;
  const inputs = {
    ...raw,
    configPath: raw.configPath ?? d.configPath,
    protected: raw.protected ?? d.protected,
    trusted: raw.trusted ?? d.trusted,
    visibility: raw.visibility ?? d.visibility,
    ignoreForks: raw.ignoreForks ?? d.ignoreForks,
    ignorePullRequests: raw.ignorePullRequests ?? d.ignorePullRequests,
    autoCancelPullRequests: raw.autoCancelPullRequests ?? d.autoCancelPullRequests,
    autoCancelPushes: raw.autoCancelPushes ?? d.autoCancelPushes,
    timeoutMinutes: raw.timeoutMinutes ?? d.timeoutMinutes,
  } as DroneRepositoryInputs;
  const problems = [
    ...serverProblems(raw.server),
    ...tokenProblems(raw.token),
    ...segmentProblems("owner", raw.owner),
    ...segmentProblems("name", raw.name),
    ...settingsProblems(raw),
  ];
  return { inputs, problems };
}

/** Drone's field names for the settings. */
function settingsBody(s: DroneRepositorySettings): Record<string, unknown> {
  return {
    config_path: s.configPath,
    protected: s.protected,
    trusted: s.trusted,
    visibility: s.visibility,
    ignore_forks: s.ignoreForks,
    ignore_pull_requests: s.ignorePullRequests,
    auto_cancel_pull_requests: s.autoCancelPullRequests,
    auto_cancel_pushes: s.autoCancelPushes,
    timeout: s.timeoutMinutes,
  };
}

/** The settings in a repository document from Drone (GET/PATCH /api/repos/{owner}/{name}). */
export function settingsFromDrone(body: unknown): DroneRepositorySettings & { active: boolean } {
  const repo = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  return {
    active: repo.active === true,
    configPath: typeof repo.config_path === "string" ? repo.config_path : "",
    protected: repo.protected === true,
    trusted: repo.trusted === true,
    visibility: String(repo.visibility ?? "") as DroneRepositorySettings["visibility"],
    ignoreForks: repo.ignore_forks === true,
    ignorePullRequests: repo.ignore_pull_requests === true,
    autoCancelPullRequests: repo.auto_cancel_pull_requests === true,
    autoCancelPushes: repo.auto_cancel_pushes === true,
    timeoutMinutes: typeof repo.timeout === "number" ? repo.timeout : 0,
  };
}

/**
 * What activation answers when creating the GitHub webhook fails: drone/drone
 * handler/api/repos/enable.go (HandleEnable) renders the error of `hooks.Create` as a 500 whose
 * message is GitHub's own text (drone/go-scm scm/driver/github/github.go passes GitHub's
 * `message` through). Retrying does not help.
 */
const WEBHOOK_ADVICE =
  "Drone's activation failed in its own handler, which answers a 500 carrying the error (drone/drone handler/api/repos/enable.go): almost always the webhook GitHub refused to create, in GitHub's words, which retrying will not change. Check that the platform's machine user has the Admin role on the GitHub repository and that the organisation's third-party (OAuth App) access policy allows Drone; if the message is a database error instead, check the Drone server's log. Then run `pulumi up` again.";

/** The settings that Drone applies for a Drone administrator only (handler/api/repos/update.go). */
const ADMIN_ONLY_SETTINGS: Partial<Record<keyof DroneRepositorySettings, string>> = {
  trusted: "trusted",
  timeoutMinutes: "the timeout",
};

/** Activates (syncing on 404), applies the settings and checks that Drone kept them. */
async function applyRepository(
  inputs: DroneRepositoryInputs,
  policy: DroneRetryPolicy,
): Promise<DroneRepositoryState> {
  const connection: DroneConnection = { server: inputs.server, token: inputs.token };
  const slug = `${inputs.owner}/${inputs.name}`;
  const subject = `repository ${slug}`;
  const path = apiPath("repos", inputs.owner, inputs.name);
  for (let sync = 0; ; sync++) {
    const activation = await callDrone(
      connection,
      {
        method: "POST",
        path,
        operation: "activate",
        subject,
        expect: [404],
        permanent: [{ status: 500, advice: WEBHOOK_ADVICE }],
      },
      policy,
    );
    if (activation.status !== 404) break;
    // Activation needs admin access (handler/api/api.go: acl.CheckAdminAccess on POST): a
    // repository Drone knows but will not let the user activate is a permission, not a sync.
    const access = await repositoryAccess(connection, inputs.owner, inputs.name, "admin", policy);
    if (access.kind === "refused") throw accessError(access, "admin", "activate");
    if (sync >= policy.syncAttempts) {
      if (access.kind === "unseen") throw accessError(access, "admin", "activate");
      throw droneError(
        `Drone: could not activate (${subject}): Drone still does not know it after ${sync} syncs of the repository list (HTTP 404). Check that the GitHub repository exists and that the platform's Drone machine user has admin rights on it, then run \`pulumi up\` again.`,
        { status: 404, transient: false, attempts: sync + 1 },
      );
    }
    // Drone learns of new GitHub repositories only when a user's repository list is synced.
    if (sync > 0) await sleep(backoffDelay(sync, policy));
    await syncRepositoryList(connection, subject, policy, sync === 0 ? access.user : undefined);
  }
  const wanted: DroneRepositorySettings = {
    configPath: inputs.configPath,
    protected: inputs.protected,
    trusted: inputs.trusted,
    visibility: inputs.visibility,
    ignoreForks: inputs.ignoreForks,
    ignorePullRequests: inputs.ignorePullRequests,
    autoCancelPullRequests: inputs.autoCancelPullRequests,
    autoCancelPushes: inputs.autoCancelPushes,
    timeoutMinutes: inputs.timeoutMinutes,
  };
  const patched = await callDrone(
    connection,
    { method: "PATCH", path, body: settingsBody(wanted), operation: "update settings", subject },
    policy,
  );
  const got = settingsFromDrone(patched.body);
  // Drone ignores some fields silently (trusted and the timeout, for a user who is not a Drone
  // admin: handler/api/repos/update.go applies them under "system administrator only").
  const ignored = (Object.keys(wanted) as (keyof DroneRepositorySettings)[]).filter(
    (k) => got[k] !== wanted[k],
  );
  if (ignored.length > 0) {
    const detail = ignored
      .map((k) => `${k}: asked ${JSON.stringify(wanted[k])}, kept ${JSON.stringify(got[k])}`)
      .join("; ");
    const adminOnly = ignored.filter((k) => ADMIN_ONLY_SETTINGS[k] !== undefined);
    const advice =
      adminOnly.length > 0
        ? `Changing ${adminOnly.map((k) => ADMIN_ONLY_SETTINGS[k]).join(" and ")} needs a Drone administrator: make the platform's machine user a Drone admin (\`drone user update --admin <login>\`) or keep ${adminOnly.join(" and ")} at the value Drone allows.`
        : "Check the Drone server's version and log, then run `pulumi up` again.";
    throw droneError(
      `Drone: could not update settings (${subject}): Drone did not apply ${detail}. ${advice}`,
      { status: patched.status, transient: false, attempts: 1 },
    );
  }
  // The activation POST answered 2xx: the repository is active whatever the PATCH answer omits.
  return { ...inputs, ...got, slug, active: true };
}

/** Replaces for identity changes, updates for the rest; pure, exported for tests. */
export function diffRepository(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): pulumi.dynamic.DiffResult {
  const resolved = resolveRepositoryInputs(news).inputs as unknown as Record<string, unknown>;
  const differs = (k: string) => isUnknownValue(resolved[k]) || olds[k] !== resolved[k];
  const replaces = REPOSITORY_IDENTITY_FIELDS.filter(differs);
  const updates = REPOSITORY_UPDATE_FIELDS.filter(differs);
  return {
    changes: replaces.length + updates.length > 0,
    replaces: [...replaces],
    deleteBeforeReplace: false,
  };
}

/**
 * The provider object. `policy` bounds retries and timeouts (tests pass short ones). The engine
 * runs it from the package @mlplatform/dynamic-providers (../dynamic-providers.ts).
 */
export function droneRepositoryProvider(
  policy: DroneRetryPolicy = DEFAULT_RETRY_POLICY,
): pulumi.dynamic.ResourceProvider<DroneRepositoryInputs, DroneRepositoryState> {
  const rules = providerInputs<DroneRepositoryInputs>({
    resolve: resolveRepositoryInputs,
    diff: diffRepository,
    refuse: (raw, problems) =>
      droneError(
        describeProblems(`Drone repository ${String(raw.owner)}/${String(raw.name)}`, problems),
        { transient: false, attempts: 0 },
      ),
  });
  return {
    check: rules.check,
    diff: rules.diff,
    async create(raw) {
      const state = await applyRepository(rules.validated(raw), policy);
      return { id: state.slug, outs: state };
    },
    async update(_id, _olds, raw) {
      return { outs: await applyRepository(rules.validated(raw), policy) };
    },
    async read(id, props) {
      if (!props) return {};
      const connection = { server: props.server, token: props.token };
      const found = await callDrone(
        connection,
        {
          method: "GET",
          path: apiPath("repos", props.owner, props.name),
          operation: "read",
          subject: `repository ${props.owner}/${props.name}`,
          expect: [404],
        },
        policy,
      );
      let body = found.body;
      if (found.status === 404) {
        // Unknown, or hidden from the machine user: only the first is gone.
        const access = await repositoryAccess(connection, props.owner, props.name, "read", policy);
        if (access.kind === "unknown") return {};
        if (access.kind !== "allowed") throw accessError(access, "read", "read");
        body = access.repository;
      }
      const got = settingsFromDrone(body);
      // Deactivated: gone, as far as this resource is concerned.
      if (!got.active) return {};
      return { id, props: { ...props, ...got } };
    },
    async delete(_id, props) {
      const connection = { server: props.server, token: props.token };
      const gone = await callDrone(
        connection,
        {
          method: "DELETE",
          path: apiPath("repos", props.owner, props.name),
          operation: "deactivate",
          subject: `repository ${props.owner}/${props.name}`,
          expect: [404],
        },
        policy,
      );
      if (gone.status !== 404) return;
      // Deactivation needs admin access (handler/api/api.go: acl.CheckAdminAccess on DELETE).
      // Already done only when Drone does not know the repository (or the 404 was the
      // handler's own lookup of a repository removed meanwhile).
      const access = await repositoryAccess(connection, props.owner, props.name, "admin", policy);
      if (access.kind === "unknown" || access.kind === "allowed") return;
      throw accessError(access, "admin", "deactivate");
    },
  };
}
