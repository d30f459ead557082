/**
 * Progress lines of a long offline plan on stderr: one at every tenth of the catalog, from 100
 * services up (a smaller plan takes about a second and says nothing until it is done).
 */
import { counted } from "../../lib/plural";

/** Catalogs smaller than this print no progress. */
export const PROGRESS_FROM = 100;

/** A progress callback for the program that writes through `write`, timed from `started`. */
export function progressReporter(
  write: (line: string) => void,
  started: number = Date.now(),
): (declared: number, total: number) => void {
  let lastStep = 0;
  return (declared, total) => {
    if (total < PROGRESS_FROM) return;
    const step = Math.floor((declared * 10) / total);
    if (step <= lastStep) return;
    lastStep = step;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    write(`declared ${declared} of ${counted(total, "service")} (${seconds} s)\n`);
  };
}
