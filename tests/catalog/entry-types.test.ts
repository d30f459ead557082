/**
 * The committed entry types are the ones services/schema.json generates today. The generator
 * runs in a child process: json-schema-to-typescript loads prettier through a dynamic import,
 * which jest's module runtime does not support.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const REPO = path.join(__dirname, "..", "..");
const GENERATED = path.join(REPO, "catalog", "entry.generated.ts");

function generate(): string {
  const result = spawnSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", "catalog/entry-types.ts", "--stdout"],
    { cwd: REPO, encoding: "utf8", timeout: 120_000 },
  );
  if (result.status !== 0) throw new Error(`generator failed: ${result.stderr}`);
  return result.stdout;
}

describe("catalog/entry.generated.ts", () => {
  const fresh = generate();

  it("matches what catalog/entry-types.ts generates from services/schema.json", () => {
    // Stale: run `npx ts-node --transpile-only catalog/entry-types.ts`.
    expect(fs.readFileSync(GENERATED, "utf8")).toBe(fresh);
  });

  it("declares the schema's fields, required ones without ?, unknown keys refused", () => {
    expect(fresh).toContain("export interface MLServiceCatalogEntry {");
    expect(fresh).toMatch(/^ {2}name: string;$/m);
    expect(fresh).toMatch(/^ {2}owners: string\[\];$/m);
    expect(fresh).toMatch(/^ {2}template\?: "sklearn" \| "pyspark";$/m);
    expect(fresh).toMatch(/^ {2}batchPrediction\?: \{$/m);
    expect(fresh).toMatch(/^ {4}schedule: string;$/m);
    expect(fresh).toMatch(/^ {2}decommissioned\?: boolean;$/m);
    expect(fresh).not.toMatch(/\[k: string\]: unknown/);
  });
});
