/** Where the project's files are, from the sources and from the compiled commands alike. */
import * as fs from "fs";
import * as path from "path";

/**
 * The nearest folder at or above `from` that holds package.json: the project's root both from the
 * sources (lib/) and from the compiled commands (dist/lib/), which have none of the project's
 * other files (templates/, services/, stacks/, README.md) beside them.
 */
export function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const PROJECT_ROOT = findProjectRoot(__dirname);
