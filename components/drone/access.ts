/**
 * Telling "gone" from "not allowed", and syncing Drone's repository list.
 *
 * Drone hides what a user may not use behind the same 404 as what does not exist: its access
 * middleware answers `{"message": "Not Found"}` for a repository it does not know
 * (drone/drone handler/api/acl/repo.go, InjectRepository) and for one the user lacks read, write
 * or admin access to (handler/api/acl/check.go, CheckAccess: "read access required", "write
 * access required", "admin access required"), while a Drone administrator passes every check
 * ("root access granted"). Before a provider drops a resource from the state or takes a delete as
 * already done, it asks who the token's user is and what Drone shows of the repository, and fails
 * with the missing permission when the 404 meant "not allowed".
 *
 * Run by the engine from the package @mlplatform/dynamic-providers, like client.ts.
 */
import {
  apiPath,
  backoffDelay,
  callDrone,
  DroneConnection,
  DroneError,
  DroneRetryPolicy,
  droneError,
  sleep,
} from "./client";

/** Permissions as Drone caches them per user and repository (drone/drone core/perm.go, Perm). */
export interface DronePermissions {
  read: boolean;
  write: boolean;
  admin: boolean;
}

/** What a route needs: repository reads `read`, secrets `write`, settings and (de)activation `admin`. */
export type DroneNeed = keyof DronePermissions;

/** The token's user, as `GET /api/user` answers (drone/drone core/user.go, User). */
export interface DroneUser {
  login: string;
  /** A Drone administrator: passes every repository check (acl/check.go) and organisation check (acl/org.go). */
  admin: boolean;
  /** A repository-list sync is running (service/syncer/syncer.go sets it, then clears it). */
  syncing: boolean;
  /** Unix time (seconds) the last sync ended. */
  synced: number;
}

/**
 * What a 404 on a repository's route meant:
 * - `allowed`: Drone knows the repository and lets the user do what the route needs, so the 404
 *   came from the item itself (the secret, or the repository deactivated meanwhile): gone;
 * - `unknown`: Drone does not know the repository; certain only for a Drone administrator, whom
 *   no access check refuses;
 * - `refused`: Drone knows the repository and the user lacks what the route needs;
 * - `unseen`: Drone shows the repository nowhere to this user, who is not a Drone administrator:
 *   either Drone does not know it or the user may not read it, which such a user cannot tell.
 */
export interface DroneRepositoryAccess {
  kind: "allowed" | "unknown" | "refused" | "unseen";
  user: DroneUser;
  slug: string;
  /** The user's permissions on the repository, when Drone showed them. */
  permissions?: DronePermissions;
  /** The repository document `GET /api/repos/{owner}/{name}` answered, when it did. */
  repository?: Record<string, unknown>;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

/** `GET /api/user`: the token's user. A refused token fails here, with the token advice. */
export async function currentUser(
  connection: DroneConnection,
  subject: string,
  policy: DroneRetryPolicy,
): Promise<DroneUser> {
  const answer = await callDrone(
    connection,
    { method: "GET", path: apiPath("user"), operation: "read the token's user", subject },
    policy,
  );
  const body = record(answer.body);
  return {
    login: typeof body.login === "string" ? body.login : "the machine user",
    admin: body.admin === true,
    syncing: body.syncing === true,
    synced: typeof body.synced === "number" ? body.synced : 0,
  };
}

/** Asks Drone who the token's user is and what it shows of `owner/name`; see DroneRepositoryAccess. */
export async function repositoryAccess(
  connection: DroneConnection,
  owner: string,
  name: string,
  need: DroneNeed,
  policy: DroneRetryPolicy,
): Promise<DroneRepositoryAccess> {
  const slug = `${owner}/${name}`;
  const subject = `repository ${slug}`;
  const user = await currentUser(connection, subject, policy);
  const found = await callDrone(
    connection,
    {
      method: "GET",
      path: apiPath("repos", owner, name),
      operation: "read",
      subject,
      expect: [404],
    },
    policy,
  );
  if (found.status !== 404) {
    const repository = record(found.body);
    // handler/api/repos/find.go (HandleFind) adds the user's cached permissions, when it has them.
    const perms = record(repository.permissions);
    const permissions =
      repository.permissions === undefined
        ? undefined
        : { read: perms.read === true, write: perms.write === true, admin: perms.admin === true };
    const allowed = user.admin || permissions?.[need] === true;
    return { kind: allowed ? "allowed" : "refused", user, slug, permissions, repository };
  }
  // GET /api/user/repos lists every repository the user has a permission record for
  // (handler/api/user/repos.go HandleRepos; store/repos/repos.go queryPerms joins perms).
  const listed = await callDrone(
    connection,
    {
      method: "GET",
      path: apiPath("user", "repos"),
      operation: "list the machine user's repositories",
      subject,
    },
    policy,
  );
  const entries = Array.isArray(listed.body) ? listed.body : [];
  const entry = entries.map(record).find((r) => r.slug === slug);
  if (entry !== undefined) {
    // Known to Drone, with a permission record, yet hidden: no read access, or GitHub refused the
    // permission refresh (acl/repo.go answers 404 "cannot sync repository permissions").
    return { kind: "refused", user, slug };
  }
  return { kind: user.admin ? "unknown" : "unseen", user, slug };
}

/** Words for a permission in messages. */
function needWords(need: DroneNeed): string {
  if (need === "admin") return "the Admin role";
  if (need === "write") return "write (push) access";
  return "read access";
}

/**
 * The error for a 404 that meant "not allowed" (`refused`) or may have (`unseen`): names the
 * user, the missing permission and the fix. Nothing was dropped from the state or skipped.
 */
export function accessError(
  access: DroneRepositoryAccess,
  need: DroneNeed,
  operation: string,
): DroneError {
  const { user, slug } = access;
  const what = `Drone: could not ${operation} (repository ${slug})`;
  const fix = `give ${user.login} ${needWords(need)} on the GitHub repository ${slug} (the platform's machine user has the Admin role on every service repository, e.g. through a team), or make it a Drone administrator (\`drone user update --admin ${user.login}\`), then run \`pulumi up\` again`;
  if (access.kind === "unseen") {
    return droneError(
      `${what}: HTTP 404 (Drone says: "Not Found"), and Drone shows the repository nowhere to ${user.login}: either Drone does not know it, or ${user.login} may not read it. Drone answers both with the same 404 (drone/drone handler/api/acl/repo.go, acl/check.go), and a user who is not a Drone administrator cannot tell which, so nothing was taken as gone. If the repository exists: ${fix}.`,
      { status: 404, transient: false, attempts: 1 },
    );
  }
  const held = access.permissions
    ? ` (Drone holds read ${access.permissions.read}, write ${access.permissions.write}, admin ${access.permissions.admin} for it)`
    : "";
  return droneError(
    `${what}: HTTP 404 (Drone says: "Not Found"), which here means not allowed, not gone: ${user.login} lacks ${needWords(need)} on ${slug}${held}, and Drone hides what a user may not use behind a 404 (drone/drone handler/api/acl/check.go, CheckAccess). Nothing was taken as gone: ${fix}.`,
    { status: 404, transient: false, attempts: 1 },
  );
}

/**
 * Syncs the user's repository list in Drone's background and waits (up to `policy.syncWaitMs`)
 * for it to end. A plain `POST /api/user/repos` syncs while the request is open and on the
 * request's context, so a client that gives up cancels it (drone/drone handler/api/user/sync.go,
 * HandleSync: `syncer.Sync(r.Context(), viewer)`); with `?async=true` it answers 204 and syncs on
 * a background context. Its end shows in `GET /api/user`: `syncing` back to false and `synced`
 * updated (service/syncer/syncer.go, Sync's deferred update). Waiting longer than the bound is
 * not an error: the caller tries again. `synced` has a resolution of one second, so a sync that
 * ends in the second the previous one did shows only through `syncing`, or not at all when it
 * ended before the first poll: then the wait runs to its bound.
 */
export async function syncRepositoryList(
  connection: DroneConnection,
  subject: string,
  policy: DroneRetryPolicy,
  /** The user as read just now, if the caller has it: saves one request. */
  known?: DroneUser,
): Promise<void> {
  const before = known ?? (await currentUser(connection, subject, policy));
  await callDrone(
    connection,
    {
      method: "POST",
      path: `${apiPath("user", "repos")}?async=true`,
      operation: "sync the repository list",
      subject,
    },
    policy,
  );
  const started = Date.now();
  let sawSyncing = false;
  for (let poll = 1; ; poll++) {
    const now = await currentUser(connection, subject, policy);
    if (now.syncing) sawSyncing = true;
    else if (sawSyncing || now.synced !== before.synced) return;
    const delay = backoffDelay(poll, policy);
    if (Date.now() - started + delay >= policy.syncWaitMs) {
      console.warn(
        `Drone: the repository-list sync of ${now.login} has not ended after ${((Date.now() - started) / 1000).toFixed(1)} s (${subject}); trying again`,
      );
      return;
    }
    await sleep(delay);
  }
}
