/**
 * Runs a compiled command (dist/cli/<name>.js, what `npm run <name>` runs) in a child process
 * without blocking, so that a test file can start its few spawns together and await them all:
 * each child mostly loads modules, and two of them overlap on two cores.
 */
import { spawn } from "child_process";
import { compiledCommand, ROOT } from "../cli/compiled";

export interface CompiledResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `node dist/cli/<name>.js ...args` from the project root; resolves when the child has closed. */
export function runCompiled(
  name: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<CompiledResult> {
  const command = compiledCommand(name);
  return new Promise((resolve, reject) => {
    // https://nodejs.org/api/child_process.html#child_processspawncommand-args-options
    const child = spawn(process.execPath, [command, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    // "close" comes after the stdio streams have ended: the output is complete
    // (https://nodejs.org/api/child_process.html#event-close).
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}
