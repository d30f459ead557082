/**
 * The stack files as `npm run rollback` reads them: exactly `readStacks` (lib/stacks.ts), except
 * that with the test-only variable MLPLATFORM_ALLOW_HTTP_HOSTS (a comma-separated list of
 * loopback hosts: 127.0.0.1, localhost, ::1) a stack's `databricksHost` may be a plain-HTTP URL
 * with a port on one of those hosts, e.g. `http://127.0.0.1:41234`. The rollback tests point a
 * temporary stack file at their local fake Databricks that way. Any other host in the list is
 * ignored; without the variable nothing changes, and a non-https host is refused as everywhere.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { CONFIG_NAMESPACE, parseSettings, SettingsError } from "../settings";
import { displayPath, readStacks, StackInfo } from "../stacks";

export const ALLOW_HTTP_HOSTS_ENV = "MLPLATFORM_ALLOW_HTTP_HOSTS";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);
const STACK_FILE = /^Pulumi\.([A-Za-z0-9_.-]+)\.yaml$/;

/** The loopback hosts the variable allows plain HTTP to (anything else in it is ignored). */
export function allowedHttpHosts(env: NodeJS.ProcessEnv): Set<string> {
  const hosts = (env[ALLOW_HTTP_HOSTS_ENV] ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter((h) => LOOPBACK.has(h))
    .map((h) => (h === "::1" ? "[::1]" : h));
  return new Set(hosts);
}

/** `http://<allowed loopback host>:<port>` with nothing else (no path, no credentials). */
function isAllowedHttpUrl(value: string, allowed: Set<string>): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (
    url.protocol === "http:" &&
    allowed.has(url.hostname) &&
    url.username === "" &&
    url.password === "" &&
    (url.pathname === "/" || url.pathname === "") &&
    url.search === "" &&
    url.hash === ""
  );
}

export function readStacksForRollback(dir: string, env: NodeJS.ProcessEnv): StackInfo[] {
  const allowed = allowedHttpHosts(env);
  if (allowed.size === 0) return readStacks(dir);
  let names: string[];
  try {
    names = fs
      .readdirSync(dir)
      .filter((f) => STACK_FILE.test(f))
      .sort();
  } catch {
    throw new SettingsError([`${displayPath(dir)}: cannot read the stacks folder`]);
  }
  const problems: string[] = [];
  const stacks: StackInfo[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const shown = displayPath(file);
    const stack = STACK_FILE.exec(name)![1];
    let doc: unknown;
    try {
      doc = YAML.parse(fs.readFileSync(file, "utf8"), { maxAliasCount: 50 });
    } catch (e) {
      problems.push(`${shown}: not valid YAML: ${(e as Error).message.split("\n")[0]}`);
      continue;
    }
    const config = (doc as { config?: Record<string, unknown> } | null)?.config ?? {};
    if (typeof config !== "object" || Array.isArray(config)) {
      problems.push(`${shown}: config: must be a mapping`);
      continue;
    }
    const ours: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config)) {
      if (key.startsWith(`${CONFIG_NAMESPACE}:`))
        ours[key.slice(CONFIG_NAMESPACE.length + 1)] = value;
    }
    const host = ours.databricksHost;
    let httpHost: string | undefined;
    if (typeof host === "string" && isAllowedHttpUrl(host, allowed)) {
      httpHost = host.replace(/\/+$/, "");
      // Validated as an https loopback URL; the plain-HTTP URL (with its port) is used afterwards.
      ours.databricksHost = "https://localhost";
    }
    try {
      const settings = parseSettings(stack, ours, shown);
      if (httpHost) settings.databricksHost = httpHost;
      stacks.push({ stack, file: shown, settings, config });
    } catch (e) {
      if (e instanceof SettingsError) problems.push(...e.problems);
      else throw e;
    }
  }
  if (problems.length > 0) throw new SettingsError(problems);
  if (stacks.length === 0)
    throw new SettingsError([`${displayPath(dir)}: no stack files (Pulumi.<stack>.yaml)`]);
  return stacks;
}
