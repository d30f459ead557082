/**
 * Synthetic catalogs for the benchmark and the scale tests: valid entries with the variety a real
 * catalog has (both templates, with and without batch prediction, several teams, dev and/or prod,
 * schedules, emails), and stack folders copied from the project's own stack files, optionally
 * split into shards.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { DEFAULT_STACKS_DIR } from "../catalog/stacks";

/** Teams the generated services are spread over (round robin). */
export const GENERATED_TEAMS = ["alpha", "beta", "gamma", "delta", "epsilon"] as const;

const SCHEDULES = ["0 2 * * *", "30 3 * * 1", "0 4 1 * *", "15 1 * * 1-5"];
const TIMEZONES = ["UTC", "Europe/Berlin", "America/New_York"];

/** Name of the i-th generated service (zero-padded, so file order is name order). */
export function generatedName(index: number): string {
  return `svc-${String(index).padStart(4, "0")}`;
}

/** Where a generated entry is deployed: every third service is dev only, the rest dev and prod. */
export function generatedEnvironments(index: number): string[] {
  return index % 3 === 2 ? ["dev"] : ["dev", "prod"];
}

export function generatedTeam(index: number): string {
  return GENERATED_TEAMS[index % GENERATED_TEAMS.length];
}

/** The YAML text of the i-th generated entry; `revision` changes its description only. */
export function generatedEntry(index: number, revision = 0): string {
  const name = generatedName(index);
  const entry: Record<string, unknown> = {
    name,
    description: `Synthetic service ${index} (revision ${revision}) for the scale benchmark.`,
    team: generatedTeam(index),
    owners: [`owner-${index % 7}`, `owner-${(index + 3) % 7}`],
    template: index % 2 === 0 ? "sklearn" : "pyspark",
    environments: generatedEnvironments(index),
    training: {
      workers: (index % 4) + 1,
      timeoutMinutes: 60 + (index % 5) * 30,
      ...(index % 4 !== 3 ? { schedule: SCHEDULES[index % SCHEDULES.length] } : {}),
      timezone: TIMEZONES[index % TIMEZONES.length],
    },
    notifications: {
      emails: Array.from(
        { length: index % 3 },
        (_, k) => `${generatedTeam(index)}-${k}@example.com`,
      ),
    },
  };
  if (index % 2 === 1) {
    entry.batchPrediction = {
      schedule: SCHEDULES[(index + 1) % SCHEDULES.length],
      workers: (index % 3) + 1,
    };
  }
  if (index % 5 === 0) entry.evaluation = { metric: "f1", threshold: 0.6 };
  if (index % 6 === 0) entry.repository = { visibility: "internal", topics: ["synthetic"] };
  return YAML.stringify(entry);
}

/** Writes `count` generated entries into `dir` (created if missing); returns the file paths. */
export function writeCatalog(dir: string, count: number): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, `${generatedName(i)}.yaml`);
    fs.writeFileSync(file, generatedEntry(i));
    files.push(file);
  }
  return files;
}

export interface ShardSpec {
  /** Name of the new stack (Pulumi.<stack>.yaml). */
  stack: string;
  /** Stack file of the project whose settings it copies (e.g. "prod"). */
  from: string;
  shardTeams?: string[];
  shardServices?: string[];
  /** Whether this shard declares the environment's shared pieces (unset: the setting's default, true). */
  ownsPlatformResources?: boolean;
}

/**
 * Writes a stacks folder: copies of the project's stack files named in `copy`, plus shards
 * (copies with shardTeams / shardServices set). Copying keeps every setting the project requires.
 */
export function writeStacks(
  dir: string,
  copy: string[],
  shards: ShardSpec[] = [],
  source: string = DEFAULT_STACKS_DIR,
): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const stack of copy) {
    const name = `Pulumi.${stack}.yaml`;
    fs.copyFileSync(path.join(source, name), path.join(dir, name));
  }
  for (const shard of shards) {
    const text = fs.readFileSync(path.join(source, `Pulumi.${shard.from}.yaml`), "utf8");
    const doc = YAML.parseDocument(text);
    if (shard.shardTeams) doc.setIn(["config", "mlplatform:shardTeams"], shard.shardTeams);
    if (shard.shardServices) doc.setIn(["config", "mlplatform:shardServices"], shard.shardServices);
    if (shard.ownsPlatformResources !== undefined) {
      doc.setIn(["config", "mlplatform:ownsPlatformResources"], shard.ownsPlatformResources);
    }
    fs.writeFileSync(path.join(dir, `Pulumi.${shard.stack}.yaml`), doc.toString());
  }
}

/** A fresh temporary folder (the caller removes it). */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}
