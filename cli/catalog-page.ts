/**
 * npm run catalog -- [--stack <stack>] --out DIR [--services DIR]
 *
 * Writes DIR/index.html: the service catalog page (every service, its team and owners, and where
 * each environment runs it), self-contained. Exit 0, 1 on an invalid catalog, 2 on a usage error.
 */
import * as fs from "fs";
import * as path from "path";
import { buildCatalogPage } from "../lib/catalog-page/build";
import { parseArgs, stringFlag, UsageError } from "../lib/cli-args";
import { reportAndExit } from "../lib/cli-errors";
import { displayPath } from "../lib/stacks";

const USAGE = "usage: npm run catalog -- [--stack <stack>] --out DIR [--services DIR]";

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    stack: { value: true },
    out: { value: true },
    services: { value: true },
  });
  const out = stringFlag(args, "out");
  if (!out) throw new UsageError("--out DIR is required (the folder to write index.html to)");
  const services = stringFlag(args, "services");
  if (services && !fs.existsSync(services))
    throw new UsageError(`--services ${services}: no such folder`);
  const html = await buildCatalogPage({
    stack: stringFlag(args, "stack"),
    servicesDir: services && path.resolve(services),
  });
  fs.mkdirSync(out, { recursive: true });
  const file = path.join(out, "index.html");
  fs.writeFileSync(file, html);
  process.stdout.write(`wrote ${displayPath(path.resolve(file))}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => reportAndExit(error, USAGE),
  );
}
