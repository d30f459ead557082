/** The compiled commands (dist/cli/*.js), built first when a source is newer (cli/build-if-stale.js). */
import { spawnSync } from "child_process";
import * as path from "path";

export const ROOT = path.join(__dirname, "..", "..");

let built = false;

/** Path of dist/cli/<name>.js, after `node cli/build-if-stale.js` (once per test file). */
export function compiledCommand(name: string): string {
  if (!built) {
    const result = spawnSync(process.execPath, [path.join(ROOT, "cli", "build-if-stale.js")], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 600_000,
    });
    if (result.status !== 0) throw new Error(`the build failed:\n${result.stderr}`);
    built = true;
  }
  return path.join(ROOT, "dist", "cli", `${name}.js`);
}
