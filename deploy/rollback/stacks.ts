/**
 * The stack files as `npm run rollback` reads them: exactly `readStacks` (catalog/stacks.ts), except
 * that with the test-only variable MLPLATFORM_ALLOW_HTTP_HOSTS (a comma-separated list of
 * loopback hosts: 127.0.0.1, localhost, ::1) a stack's `databricksHost` may be a plain-HTTP URL
 * with a port on one of those hosts, e.g. `http://127.0.0.1:41234`. The rollback tests point a
 * temporary stack file at their local fake Databricks that way. Any other host in the list is
 * ignored; without the variable nothing changes, and a non-https host is refused as everywhere.
 */
import { readStacks, StackInfo } from "../../catalog/stacks";

export const ALLOW_HTTP_HOSTS_ENV = "MLPLATFORM_ALLOW_HTTP_HOSTS";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

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
  return readStacks(dir, {
    beforeValidation: (values) => {
      const host = values.databricksHost;
      if (typeof host !== "string" || !isAllowedHttpUrl(host, allowed)) return undefined;
      // Validated as an https loopback URL; the plain-HTTP URL (with its port) is used afterwards.
      values.databricksHost = "https://localhost";
      return (settings) => {
        settings.databricksHost = host.replace(/\/+$/, "");
      };
    },
  });
}
