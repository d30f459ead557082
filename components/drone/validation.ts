/**
 * Validation and defaults of the Drone resources' arguments: pure functions, used both when a
 * resource is declared (plain values fail at once, naming the resource) and by the providers'
 * `check` (values only known at deployment time).
 *
 * These functions also run in the engine's provider host, from the package
 * @mlplatform/dynamic-providers: plain JavaScript, no project module outside components/.
 */

/** One argument a user must fix: which, and why. */
export interface DroneArgsProblem {
  /** The argument, e.g. `name` or `timeoutMinutes`. */
  field: string;
  reason: string;
}

/**
 * Who may see a repository's builds and logs in Drone. drone/drone handler/api/acl/check.go
 * (CheckAccess): "internal" grants read access to every logged-in Drone user, "public" to anyone
 * without logging in; "private" only to users with read access on GitHub. "public" is refused.
 */
export type DroneVisibility = "private" | "internal";

/** Settings of an activated repository, all resolved. */
export interface DroneRepositorySettings {
  configPath: string;
  /**
   * Hook builds wait for approval unless the pipeline file carries a valid signature: drone/drone
   * trigger/trigger.go (Trigger) verifies it with drone/drone-yaml yaml/signer (Verify) when
   * `repo.Protected && base.Trigger == core.TriggerHook`, and a missing signature blocks every
   * stage (StatusBlocked).
   */
  protected: boolean;
  /**
   * Privileged containers and host volumes. Only a Drone administrator can change it (drone/drone
   * handler/api/repos/update.go, "system administrator only").
   */
  trusted: boolean;
  visibility: DroneVisibility;
  ignoreForks: boolean;
  ignorePullRequests: boolean;
  autoCancelPullRequests: boolean;
  autoCancelPushes: boolean;
  /** Only a Drone administrator can change it (handler/api/repos/update.go). */
  timeoutMinutes: number;
}

/**
 * The defaults of DroneRepositoryArgs. Not protected: no pipeline file the platform renders is
 * signed, so a protected repository would block every build (see `protected`); the GitHub branch
 * ruleset guards the default branch instead. Not trusted, private, no fork builds.
 */
export const DRONE_REPOSITORY_DEFAULTS: Readonly<DroneRepositorySettings> = {
  configPath: ".drone.yml",
  // No service .drone.yml is signed (the template renders none, and nobody runs `drone sign`):
  // for a protected repository Drone verifies the signature of every webhook build and blocks
  // the build when it is missing (drone/drone trigger/trigger.go, Trigger; drone/drone-yaml
  // yaml/signer/signer.go, Verify). The GitHub branch ruleset guards the default branch instead.
  protected: false,
  // No privileged steps or host volumes; set explicitly because Drone may mark a repository
  // trusted when it syncs it (service/repo/util.go convertRepository takes the server's setting).
  trusted: false,
  // Builds and logs visible to those who can read the repository on GitHub only ("internal"
  // would show them to every Drone user: handler/api/acl/check.go).
  visibility: "private",
  // Pull requests from forks are not built (trigger.go skips them when ignore_forks is set);
  // pull requests from branches are, without the secrets (none is exposed to pull requests).
  ignoreForks: true,
  ignorePullRequests: false,
  autoCancelPullRequests: true,
  autoCancelPushes: true,
  timeoutMinutes: 60,
};

/** Problems with a Drone server URL: https, or http to this machine only (a local test server). */
export function serverProblems(server: unknown): DroneArgsProblem[] {
  const fix = "set the stack setting mlplatform:droneServer to the https URL of the Drone server";
  if (typeof server !== "string" || server.length === 0) {
    return [{ field: "server", reason: `missing (${fix})` }];
  }
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return [{ field: "server", reason: `"${server}" is not a URL (${fix})` }];
  }
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    return [
      {
        field: "server",
        reason: `"${server}" must use https (the token travels with every request); ${fix}`,
      },
    ];
  }
  if (url.username || url.password || url.search || url.hash) {
    return [
      {
        field: "server",
        reason: `"${url.origin}${url.pathname}" must not carry credentials, a query or a fragment; ${fix}`,
      },
    ];
  }
  return [];
}

/** Problems with the token: present. Its value never appears in a message. */
export function tokenProblems(token: unknown): DroneArgsProblem[] {
  if (typeof token === "string" && token.length > 0) return [];
  return [
    {
      field: "token",
      reason:
        "missing: set the Drone machine user's token with `pulumi config set --secret mlplatform:droneToken`",
    },
  ];
}

/** Problems with a GitHub owner (organisation or user) or repository name as Drone sees it. */
export function segmentProblems(field: string, value: unknown): DroneArgsProblem[] {
  const pattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
  if (typeof value === "string" && pattern.test(value) && value !== "." && value !== "..") {
    return [];
  }
  return [
    {
      field,
      reason: `${JSON.stringify(value ?? null)} is not a valid name (letters, digits, ".", "_" and "-", starting with a letter or digit, at most 100 characters)`,
    },
  ];
}

/** Problems with an "owner/name" repository slug. */
export function slugProblems(field: string, value: unknown): DroneArgsProblem[] {
  const parts = typeof value === "string" ? value.split("/") : [];
  if (parts.length !== 2) {
    return [
      {
        field,
        reason: `${JSON.stringify(value ?? null)} is not a repository: expected "owner/name", e.g. "acme-ml/churn-model"`,
      },
    ];
  }
  return [...segmentProblems(field, parts[0]), ...segmentProblems(field, parts[1])];
}

/** Problems with a Drone secret name: Drone accepts [a-zA-Z0-9-_.]+ only. */
export function secretNameProblems(name: unknown): DroneArgsProblem[] {
  if (typeof name === "string" && /^[a-zA-Z0-9_.-]+$/.test(name) && name.length <= 100) return [];
  return [
    {
      field: "name",
      reason: `${JSON.stringify(name ?? null)} is not a valid Drone secret name: use 1 to 100 letters, digits, "-", "_" or "." (e.g. "databricks_client_secret")`,
    },
  ];
}

/** Problems with the target of a secret: exactly one of repository and namespace. */
export function secretTargetProblems(repository: unknown, namespace: unknown): DroneArgsProblem[] {
  const hasRepository = repository !== undefined && repository !== null;
  const hasNamespace = namespace !== undefined && namespace !== null;
  if (hasRepository && hasNamespace) {
    return [
      {
        field: "repository",
        reason:
          "set either repository (a repository secret) or namespace (an organisation secret), not both",
      },
    ];
  }
  if (hasRepository) return slugProblems("repository", repository);
  if (hasNamespace) return segmentProblems("namespace", namespace);
  return [
    {
      field: "repository",
      reason:
        'missing: set repository ("owner/name") for a repository secret, or namespace for an organisation secret',
    },
  ];
}

/**
 * Problems with a secret value: a non-empty string. Drone refuses an empty one with a 400
 * "Invalid Secret Value" (drone/drone core/secret.go, Secret.Validate: `len(s.Data) == 0`), on
 * create and on update alike (handler/api/repos/secrets/create.go and update.go call Validate).
 */
export function secretValueProblems(field: string, value: unknown): DroneArgsProblem[] {
  if (typeof value !== "string") {
    return [{ field, reason: "missing: a secret needs a string value" }];
  }
  if (value.length === 0) {
    return [
      {
        field,
        reason:
          'empty: Drone refuses a secret with an empty value (HTTP 400 "Invalid Secret Value"); give it a value, or remove the secret',
      },
    ];
  }
  return [];
}

/** Problems with a boolean flag (undefined means its default). */
export function flagProblems(field: string, value: unknown): DroneArgsProblem[] {
  if (value === undefined || typeof value === "boolean") return [];
  return [{ field, reason: `${JSON.stringify(value)} is not true or false` }];
}

/** Problems with repository settings (undefined fields take their defaults). */
export function settingsProblems(settings: Record<string, unknown>): DroneArgsProblem[] {
  const problems: DroneArgsProblem[] = [];
  const configPath = settings.configPath;
  if (
    configPath !== undefined &&
    (typeof configPath !== "string" ||
      !/^[A-Za-z0-9._-][A-Za-z0-9._/-]{0,254}$/.test(configPath) ||
      configPath.split("/").includes(".."))
  ) {
    problems.push({
      field: "configPath",
      reason: `${JSON.stringify(configPath)} is not a path inside the repository (e.g. ".drone.yml")`,
    });
  }
  const visibility = settings.visibility;
  if (visibility !== undefined && visibility !== "private" && visibility !== "internal") {
    problems.push({
      field: "visibility",
      reason: `${JSON.stringify(visibility)} is not "private" or "internal" ("public" would show builds and logs to anyone without logging in)`,
    });
  }
  for (const flag of [
    "protected",
    "trusted",
    "ignoreForks",
    "ignorePullRequests",
    "autoCancelPullRequests",
    "autoCancelPushes",
  ]) {
    problems.push(...flagProblems(flag, settings[flag]));
  }
  const timeout = settings.timeoutMinutes;
  if (
    timeout !== undefined &&
    (typeof timeout !== "number" || !Number.isInteger(timeout) || timeout < 1 || timeout > 1440)
  ) {
    problems.push({
      field: "timeoutMinutes",
      reason: `${JSON.stringify(timeout)} is not a whole number of minutes from 1 to 1440`,
    });
  }
  return problems;
}

/** One message for a list of problems: `Drone secret "x": [name] ...; [server] ...`. */
export function describeProblems(what: string, problems: DroneArgsProblem[]): string {
  return `${what}: ${problems.map((p) => `[${p.field}] ${p.reason}`).join("; ")}`;
}
