/**
 * The TypeScript types of a catalog entry, generated from services/schema.json with
 * json-schema-to-typescript (one source for each fact: the schema). The output is committed as
 * catalog/entry.generated.ts, and a test fails when it is stale. Regenerate:
 *
 *   npx ts-node --transpile-only catalog/entry-types.ts            (rewrites the file)
 *   npx ts-node --transpile-only catalog/entry-types.ts --stdout   (prints it instead)
 */
import * as fs from "fs";
import * as path from "path";
// bcherny/json-schema-to-typescript README.md: compile(schema, name, options) -> Promise<string>.
import { compile } from "json-schema-to-typescript";
import * as prettier from "prettier";
import { catalogSchema } from "./schema";

export const GENERATED_TYPES_PATH = path.join(__dirname, "entry.generated.ts");

const BANNER = `/**
 * Generated from services/schema.json by catalog/entry-types.ts; do not edit.
 * Regenerate: npx ts-node --transpile-only catalog/entry-types.ts
 */`;

/** The generated module's text, formatted with the project's prettier settings. */
export async function generateEntryTypes(): Promise<string> {
  const schema = structuredClone(catalogSchema()) as Parameters<typeof compile>[0];
  const code = await compile(schema, "ServiceCatalogEntry", {
    bannerComment: BANNER,
    // Unknown keys are refused by the schema (additionalProperties: false) where it says so.
    additionalProperties: false,
    // The schema is self-contained: no $ref to resolve from disk or network.
    declareExternallyReferenced: true,
    format: false,
    // Lists stay string[]: item counts are the schema's to check, not tuple types'.
    ignoreMinAndMaxItems: true,
  });
  const options = (await prettier.resolveConfig(GENERATED_TYPES_PATH)) ?? {};
  return prettier.format(code, { ...options, parser: "typescript" });
}

/** Rewrites catalog/entry.generated.ts; returns whether it changed. */
export async function writeEntryTypes(): Promise<boolean> {
  const text = await generateEntryTypes();
  const current = fs.existsSync(GENERATED_TYPES_PATH)
    ? fs.readFileSync(GENERATED_TYPES_PATH, "utf8")
    : "";
  if (current === text) return false;
  fs.writeFileSync(GENERATED_TYPES_PATH, text);
  return true;
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes("--stdout")) {
    process.stdout.write(await generateEntryTypes());
    return;
  }
  const changed = await writeEntryTypes();
  process.stdout.write(`${GENERATED_TYPES_PATH}: ${changed ? "regenerated" : "up to date"}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
