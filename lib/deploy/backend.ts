/** Where Pulumi keeps the state: PULUMI_BACKEND_URL when set, else a file backend in the repo. */
import * as fs from "fs";
import * as path from "path";

export interface Backend {
  /** The URL handed to the Pulumi CLI as PULUMI_BACKEND_URL. */
  url: string;
  /** True for the default file backend inside the repository. */
  local: boolean;
  /** The URL for messages, without any user:password part. */
  shown: string;
  /** Pulumi Cloud (or a self-hosted Pulumi service): needs PULUMI_ACCESS_TOKEN or `pulumi login`. */
  service: boolean;
}

export const LOCAL_STATE_DIR = ".pulumi-state";

export function selectBackend(
  env: Record<string, string | undefined>,
  projectDir: string,
  makeDir: (dir: string) => void = (dir) => fs.mkdirSync(dir, { recursive: true }),
): Backend {
  const configured = env.PULUMI_BACKEND_URL?.trim();
  if (configured) {
    return {
      url: configured,
      local: false,
      shown: configured.replace(/^([a-z0-9+.-]+:\/\/)[^/@]*@/i, "$1"),
      service: /^https?:\/\//i.test(configured),
    };
  }
  const dir = path.join(projectDir, LOCAL_STATE_DIR);
  makeDir(dir);
  const url = `file://${dir}`;
  return { url, local: true, shown: url, service: false };
}
