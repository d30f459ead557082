/**
 * Which state backend the deploy commands use: the same one the Pulumi CLI would use, in the CLI's
 * own order, and never a silent local fallback.
 *
 * The CLI's order (pulumi/pulumi pkg/workspace, GetCurrentCloudURLWithSource): PULUMI_BACKEND_URL,
 * then the project's `backend.url` in Pulumi.yaml, then the `current` backend of `pulumi login`
 * (credentials.json in PULUMI_CREDENTIALS_PATH, else PULUMI_HOME, else ~/.pulumi). With none of
 * them, the CLI would ask to log in to Pulumi Cloud; these commands stop instead and say how to
 * choose, and use the repository's file backend only when asked to with --local.
 */
import * as path from "path";
import * as YAML from "yaml";
import { DeployError } from "./errors";
import { DeployInputError } from "./input-error";

export type BackendSource =
  | "PULUMI_BACKEND_URL"
  | "Pulumi.yaml backend.url"
  | "pulumi login"
  | "--local";

export interface Backend {
  /** The URL handed to the Pulumi CLI as PULUMI_BACKEND_URL. */
  url: string;
  /** Where the URL came from; printed with it. */
  source: BackendSource;
  /** True for the repository's own file backend (--local). */
  local: boolean;
  /** The URL for messages, without any user:password part. */
  shown: string;
  /** Pulumi Cloud (or a self-hosted Pulumi service): needs PULUMI_ACCESS_TOKEN or `pulumi login`. */
  service: boolean;
  /** `pulumi login` holds an access token for this URL (credentials.json `accounts`). */
  loggedIn: boolean;
}

export const LOCAL_STATE_DIR = ".pulumi-state";

export interface BackendContext {
  env: Record<string, string | undefined>;
  /** Folder with Pulumi.yaml. */
  projectDir: string;
  homeDir: string;
  /** A file's text, or undefined when it does not exist. */
  readFile: (file: string) => string | undefined;
  makeDir: (dir: string) => void;
}

/** The file `pulumi login` writes (pulumi/pulumi sdk/go/common/workspace/creds.go getCredsFilePath). */
export function pulumiCredentialsFile(
  env: Record<string, string | undefined>,
  homeDir: string,
): string {
  const folder =
    env.PULUMI_CREDENTIALS_PATH?.trim() || env.PULUMI_HOME?.trim() || path.join(homeDir, ".pulumi");
  return path.join(folder, "credentials.json");
}

interface StoredCredentials {
  current?: string;
  accessTokens?: Record<string, string>;
  accounts?: Record<string, { accessToken?: string }>;
}

function storedCredentials(ctx: BackendContext): StoredCredentials {
  const text = ctx.readFile(pulumiCredentialsFile(ctx.env, ctx.homeDir));
  if (text === undefined) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === "object" ? (parsed as StoredCredentials) : {};
  } catch {
    return {};
  }
}

/** `backend: url:` of Pulumi.yaml, if set. */
export function projectBackendUrl(
  ctx: Pick<BackendContext, "projectDir" | "readFile">,
): string | undefined {
  const text = ctx.readFile(path.join(ctx.projectDir, "Pulumi.yaml"));
  if (text === undefined) return undefined;
  const project = (YAML.parse(text) ?? {}) as { backend?: { url?: unknown } };
  const url = project.backend?.url;
  return typeof url === "string" && url.trim() ? url.trim() : undefined;
}

function describe(url: string, source: BackendSource, credentials: StoredCredentials): Backend {
  const service = /^https?:\/\//i.test(url);
  const token =
    credentials.accounts?.[url]?.accessToken ?? credentials.accessTokens?.[url] ?? undefined;
  return {
    url,
    source,
    local: source === "--local",
    shown: url.replace(/^([a-z0-9+.-]+:\/\/)[^/@]*@/i, "$1"),
    service,
    loggedIn: typeof token === "string" && token.length > 0,
  };
}

/** How to choose a backend; the message of a command run without one. */
export function noBackendError(projectDir: string): DeployError {
  return new DeployError([
    "no state backend is configured, so nothing was run (the deploy commands never pick one silently).",
    "Use the team's backend, one of:",
    "  pulumi login 's3://<state-bucket>?region=<region>'     (remembered in ~/.pulumi/credentials.json)",
    "  export PULUMI_BACKEND_URL='s3://<state-bucket>?region=<region>'",
    "  backend.url in Pulumi.yaml (`backend:` then `  url: s3://...`): the same for everyone",
    `or, to try things alone on this machine, add --local (state in ${path.join(projectDir, LOCAL_STATE_DIR)}).`,
    'See docs/deploy.md, "2. State backend".',
  ]);
}

/**
 * The backend for a command. `local` is the --local flag: the repository's file backend, refused
 * when PULUMI_BACKEND_URL names another one (two backends for one command is a mistake).
 */
export function selectBackend(ctx: BackendContext, local = false): Backend {
  const credentials = storedCredentials(ctx);
  const fromEnv = ctx.env.PULUMI_BACKEND_URL?.trim();
  const localUrl = `file://${path.join(ctx.projectDir, LOCAL_STATE_DIR)}`;
  if (local) {
    if (fromEnv && fromEnv !== localUrl) {
      throw new DeployInputError(
        `--local asks for the repository's file backend, but PULUMI_BACKEND_URL is set to ${describe(fromEnv, "PULUMI_BACKEND_URL", {}).shown}: unset it, or drop --local`,
      );
    }
    ctx.makeDir(path.join(ctx.projectDir, LOCAL_STATE_DIR));
    return describe(localUrl, "--local", credentials);
  }
  if (fromEnv) return describe(fromEnv, "PULUMI_BACKEND_URL", credentials);
  const fromProject = projectBackendUrl(ctx);
  if (fromProject) return describe(fromProject, "Pulumi.yaml backend.url", credentials);
  const current = credentials.current?.trim();
  if (current) return describe(current, "pulumi login", credentials);
  throw noBackendError(ctx.projectDir);
}

/** The line every command prints before doing anything with the stack. */
export function backendLine(backend: Backend): string {
  return `state backend: ${backend.shown} (from ${backend.source})`;
}
