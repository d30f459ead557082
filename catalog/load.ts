/**
 * Loads and validates the whole catalog (services/*.yaml) against the schema and the stacks.
 * Every problem of every file is collected and reported at once as
 * `services/<file>.yaml:<line>: <field path>: <what is wrong> (<what is allowed>)`.
 * Work is linear in the catalog: one read and one parse per file, map look-ups for duplicates.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import {
  airflowDagKey,
  findNameCollisions,
  nameProblems,
  OwnedName,
  physicalNames,
  platformOwnedNames,
  serviceNames,
} from "./names";
import { displayPath, StackInfo } from "./stacks";
import { CatalogError, parseProblem, Problem, sortProblems } from "./errors";
import { SchemaProblem, validateEntry } from "./schema";
import { AdoptSpec, CatalogFile, ServiceEntry } from "./types";
import { githubSettingsProblems, visibilityProblem } from "./github";

/** Explicit limits on hostile input (documented in the README's catalog reference). */
export const CATALOG_LIMITS = {
  /** Largest entry file read. */
  maxFileBytes: 64 * 1024,
  /** YAML aliases one file may expand (billion-laughs guard). */
  maxAliasCount: 20,
  /** Entries one catalog may hold. */
  maxServices: 5000,
  /** Deepest nesting of a value. */
  maxDepth: 8,
  /**
   * Services one stack may deploy: a plan's time and memory grow linearly with them (generated
   * services on the 2-core reference machine: 1000 took 151 s of CPU and 2.2 GB peak, 2000 took
   * 319 s and 4.0 GB); a larger environment is split into shards (docs/scale.md).
   */
  maxServicesPerStack: 1000,
};

export interface LoadOptions {
  /** Services one stack may deploy; defaults to CATALOG_LIMITS.maxServicesPerStack. */
  maxServicesPerStack?: number;
}

/** Files that may sit in services/ besides the entries. */
const ALLOWED_EXTRA = new Set(["schema.json", "README.md", ".gitkeep"]);

/** Builds a located problem of one entry file: field path, message, key or value. */
type At = (p: (string | number)[], message: string, atKey?: boolean) => Problem;

/** An entry as read, with every field the schema refused removed (the cross-field checks skip them). */
type PartialEntry = Partial<ServiceEntry>;

interface Checked {
  file: string;
  entry: PartialEntry;
  at: At;
}

export function loadCatalog(
  dir: string,
  stacks: StackInfo[],
  options: LoadOptions = {},
): CatalogFile[] {
  const problems: Problem[] = [];
  const files = listEntryFiles(dir, problems);
  // Checked before any file is read, so an oversized folder costs one directory listing.
  if (files.length > CATALOG_LIMITS.maxServices) {
    throw new CatalogError([
      `${displayPath(dir)}: ${files.length} entry files (at most ${CATALOG_LIMITS.maxServices}; split the platform into several projects)`,
    ]);
  }
  const entries: CatalogFile[] = [];
  // Entries whose name is their own (valid, not another file's): the name registry checks them.
  const named: Checked[] = [];
  const byName = new Map<string, string>();
  // "<environment> <kind> <name or id>" -> the file that adopts it.
  const adopted = new Map<string, string>();
  const fileOfName = new Map(files.map((f) => [path.basename(f, ".yaml"), displayPath(f)]));
  const environments = new Map<string, StackInfo[]>();
  for (const stack of stacks) {
    const list = environments.get(stack.settings.environment) ?? [];
    list.push(stack);
    environments.set(stack.settings.environment, list);
  }

  for (const file of files) {
    const parsed = parseEntryFile(file, problems);
    if (!parsed) continue;
    const { entry, shown, digest, locate } = parsed;
    const before = problems.length - parsed.problemCount;
    const at: At = (p, message, atKey = false) => {
      const { line, column } = locate(p, atKey);
      return { file: shown, line, column, field: fieldPath(p), message };
    };
    const name = typeof entry.name === "string" ? entry.name : undefined;
    const envs = (Array.isArray(entry.environments) ? entry.environments : []).map((e) =>
      typeof e === "string" ? e : undefined,
    );
    let ownName = name !== undefined;
    if (name !== undefined) {
      const expectedName = path.basename(file, ".yaml");
      if (name !== expectedName) {
        problems.push(
          at(
            ["name"],
            `"${name}" does not match the file name (rename the file to ${name}.yaml, or set name: ${expectedName})`,
          ),
        );
      }
      // The file named after the service holds the name whatever the reading order: never blame it.
      const first = fileOfName.get(name) ?? byName.get(name);
      if (first && first !== shown) {
        ownName = false;
        problems.push(
          at(
            ["name"],
            `"${name}" is already used by ${first} (service names must be unique across the catalog)`,
          ),
        );
      }
      if (!byName.has(name)) byName.set(name, shown);
    }
    envs.forEach((env, i) => {
      if (env === undefined) return;
      const envStacks = environments.get(env);
      if (!envStacks) {
        problems.push(
          at(
            ["environments", i],
            `environment "${env}" has no stack (known: ${[...environments.keys()].sort().join(", ")})`,
          ),
        );
        return;
      }
      if (name !== undefined) {
        for (const prefix of new Set(envStacks.map((s) => s.settings.namePrefix))) {
          for (const problem of nameProblems(name, env, prefix)) {
            problems.push(at(["name"], problem));
          }
        }
      }
      if (typeof entry.team !== "string") return;
      const owners = envStacks.filter((s) => stackSelects(s, entry as ServiceEntry));
      if (owners.length !== 1) {
        const which =
          owners.length === 0
            ? "no stack"
            : `${owners.length} stacks (${owners.map((s) => s.stack).join(", ")})`;
        problems.push(
          at(
            ["environments", i],
            `environment "${env}" is sharded and ${which} select this service (exactly one stack of an environment must; fix shardTeams/shardServices in stacks/)`,
          ),
        );
      }
    });
    problems.push(...deliveryProblems(entry, envs, environments, at));
    problems.push(...valueProblems(entry, at));
    // The repository lives in the first environment: its organisation's plan decides visibility.
    if (envs[0] !== undefined && typeof entry.team === "string" && name !== undefined) {
      const sourceStacks = (environments.get(envs[0]) ?? []).filter((s) =>
        stackSelects(s, entry as ServiceEntry),
      );
      const visibility = entry.repository?.visibility;
      for (const stack of visibility ? sourceStacks : []) {
        const refused = visibilityProblem(visibility!, stack.settings.githubPlan);
        if (refused) problems.push(at(["repository", "visibility"], `${refused} (${stack.file})`));
      }
    }
    problems.push(...adoptProblems(entry, envs, at, adopted, shown));
    if (ownName && typeof entry.team === "string" && envs.length > 0) {
      named.push({ file: shown, entry, at });
    }
    if (problems.length === before) {
      entries.push({ file: shown, entry: entry as ServiceEntry, digest });
    }
  }
  if (entries.length > CATALOG_LIMITS.maxServices) {
    problems.push({
      file: displayPath(dir),
      message: `${entries.length} entries (at most ${CATALOG_LIMITS.maxServices}; split the platform into several projects)`,
    });
  }
  problems.push(
    ...stackSizeProblems(
      named.map((c) => c.entry as ServiceEntry),
      stacks,
      options.maxServicesPerStack ?? CATALOG_LIMITS.maxServicesPerStack,
    ),
  );
  const stackProblems = [...platformOwnerProblems(stacks), ...modelSchemaProblems(stacks)];
  for (const s of stacks) {
    stackProblems.push(...githubSettingsProblems(s.settings).map((p) => `${s.file}: ${p}`));
  }
  problems.push(...stackProblems.map(parseProblem));
  problems.push(...registryProblems(named, stacks));
  for (const stack of stacks) {
    for (const listed of stack.settings.shardServices) {
      if (!byName.has(listed))
        problems.push({
          file: stack.file,
          field: "mlplatform:shardServices",
          message: `"${listed}" is not a service in the catalog`,
        });
    }
  }
  if (problems.length > 0) throw new CatalogError(sortProblems(problems));
  return entries;
}

/**
 * A stack plans every service it selects in one process: past the per-stack limit the plan's time
 * and memory grow beyond what a pull request can wait for (docs/scale.md), so the environment must
 * be sharded. Counts every entry that names the environment, decommissioned ones included.
 */
export function stackSizeProblems(
  entries: readonly Pick<ServiceEntry, "name" | "team" | "environments">[],
  stacks: readonly StackInfo[],
  limit: number,
): Problem[] {
  const problems: Problem[] = [];
  for (const stack of stacks) {
    const { environment } = stack.settings;
    const count = entries.filter(
      (e) => e.environments.includes(environment) && stackSelects(stack, e),
    ).length;
    if (count <= limit) continue;
    const shards = Math.ceil(count / limit);
    problems.push({
      file: stack.file,
      field: "mlplatform:environment",
      message: `stack ${stack.stack} deploys ${count} services of environment "${environment}", more than ${limit} per stack; shard it into ${shards} stacks of at most ${limit} services each (mlplatform:shardTeams or mlplatform:shardServices on each shard, mlplatform:ownsPlatformResources true on exactly one; see docs/scale.md)`,
    });
  }
  return problems;
}

/**
 * The delivery path's rules: the first environment builds images and holds the CI secrets, so it
 * is never a production one; a pin names an environment the service is in.
 */
function deliveryProblems(
  entry: PartialEntry,
  envs: readonly (string | undefined)[],
  environments: ReadonlyMap<string, StackInfo[]>,
  at: At,
): Problem[] {
  const problems: Problem[] = [];
  const source = envs[0];
  const production =
    source === undefined
      ? []
      : (environments.get(source) ?? []).filter((s) => s.settings.production);
  if (production.length > 0) {
    problems.push(
      at(
        ["environments", 0],
        `"${source}" is a production environment (${production[0].file}: mlplatform:production); the first environment builds the service's images and holds its CI secrets, so list a non-production environment first (e.g. [dev, ${source}])`,
      ),
    );
  }
  if (!Array.isArray(entry.environments)) return problems;
  for (const env of Object.keys(entry.images ?? {})) {
    if (!envs.includes(env)) {
      problems.push(
        at(
          ["images", env],
          `pins an image for "${env}", which is not in environments (${envs.filter(Boolean).join(", ")})`,
          true,
        ),
      );
    }
  }
  return problems;
}

/**
 * Values the schema's patterns cannot judge: time zones against the runtime's IANA database,
 * GitHub handles case-insensitively (GitHub treats `Alice` and `alice` as one user), and text
 * that is blank once trimmed.
 */
function valueProblems(entry: PartialEntry, at: At): Problem[] {
  const problems: Problem[] = [];
  const zones: [string[], string | undefined][] = [
    [["training", "timezone"], entry.training?.timezone],
    [["batchPrediction", "timezone"], entry.batchPrediction?.timezone],
  ];
  for (const [field, zone] of zones) {
    if (typeof zone === "string" && !isTimeZone(zone)) {
      problems.push(
        at(
          field,
          `"${zone}" is not a time zone of the IANA database (e.g. UTC, Europe/Berlin, America/New_York)`,
        ),
      );
    }
  }
  const seen = new Map<string, number>();
  const owners = Array.isArray(entry.owners) ? entry.owners : [];
  owners.forEach((owner, i) => {
    if (typeof owner !== "string") return;
    const first = seen.get(owner.toLowerCase());
    if (first !== undefined && owners[first] !== owner) {
      problems.push(
        at(
          ["owners", i],
          `"${owner}" is "${owners[first]}" again (GitHub handles are case-insensitive)`,
        ),
      );
    } else seen.set(owner.toLowerCase(), i);
  });
  for (const field of ["description", "displayName"] as const) {
    const value = entry[field];
    if (typeof value === "string" && value.trim() === "") {
      problems.push(at([field], "is blank (write some text, or leave the field out)"));
    }
  }
  return problems;
}
/** Answers of isTimeZone: building a DateTimeFormat costs about a millisecond, zones repeat. */
const knownZones = new Map<string, boolean>();

/** Whether the runtime's IANA time zone database knows `zone`. */
function isTimeZone(zone: string): boolean {
  let known = knownZones.get(zone);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: zone });
      known = true;
    } catch {
      known = false;
    }
    if (knownZones.size < 1000) knownZones.set(zone, known);
  }
  return known;
}

/** What each adoptable kind is called in messages. */
const ADOPT_KINDS: Record<keyof AdoptSpec, string> = {
  repository: "GitHub repository",
  ecrRepository: "ECR repository",
  artifactsBucket: "S3 bucket",
  predictionsBucket: "S3 bucket",
  trainingJob: "Databricks job",
  batchPredictionJob: "Databricks job",
  experiment: "MLflow experiment",
  registeredModel: "Unity Catalog model",
};

/**
 * Rules of `adopt` beyond the schema: an environment the service is in; the repository only where
 * it lives (the first environment); a batch-prediction job only with batch prediction; and no
 * existing resource adopted twice (two services, or one service's two buckets).
 */
function adoptProblems(
  entry: PartialEntry,
  envs: readonly (string | undefined)[],
  at: At,
  adopted: Map<string, string>,
  file: string,
): Problem[] {
  const problems: Problem[] = [];
  const knownEnvs = Array.isArray(entry.environments);
  for (const [env, spec] of Object.entries(entry.adopt ?? {})) {
    if (knownEnvs && !envs.includes(env)) {
      problems.push(
        at(
          ["adopt", env],
          `adopts resources in "${env}", which is not in environments (${envs.filter(Boolean).join(", ")})`,
          true,
        ),
      );
      continue;
    }
    if (spec.repository !== undefined && envs[0] !== undefined && env !== envs[0]) {
      problems.push(
        at(
          ["adopt", env, "repository"],
          `the repository belongs to the first environment (${envs[0]}); adopt it there`,
        ),
      );
    }
    if (spec.batchPredictionJob !== undefined && !entry.batchPrediction) {
      problems.push(
        at(
          ["adopt", env, "batchPredictionJob"],
          "the entry has no batchPrediction section to adopt a job for",
        ),
      );
    }
    for (const [kind, value] of Object.entries(spec) as [keyof AdoptSpec, string][]) {
      // Bucket names are global; the others are unique per environment's account or workspace.
      const scope = ADOPT_KINDS[kind] === "S3 bucket" ? "" : env;
      const key = `${scope} ${ADOPT_KINDS[kind]} ${value}`;
      const first = adopted.get(key);
      if (first) {
        problems.push(
          at(
            ["adopt", env, kind],
            `${ADOPT_KINDS[kind]} "${value}" is already adopted by ${first} (one resource can belong to one service only)`,
          ),
        );
      } else adopted.set(key, `${file} (adopt.${env}.${kind})`);
    }
  }
  return problems;
}

/** The adopt field that names an adopted resource, by its kind in the name registry. */
const ADOPTED_FIELD: Partial<Record<OwnedName["kind"], (keyof AdoptSpec)[]>> = {
  "GitHub repository": ["repository"],
  "ECR repository": ["ecrRepository"],
  "S3 bucket": ["artifactsBucket", "predictionsBucket"],
  "Unity Catalog model": ["registeredModel"],
};

/**
 * One name registry for the whole catalog: every physical name the platform and each service
 * derive (adopted names included), per scope in which two equal names are one resource: an AWS
 * account for ECR and IAM, a Databricks workspace for jobs, scopes, principals and experiments,
 * the organisation for GitHub repositories, and the world for S3 buckets and (metastores being
 * shared between workspaces) Unity Catalog models. Each collision is reported at the later
 * owner's `name` (or the `adopt` field that names the resource).
 */
function registryProblems(checked: readonly Checked[], stacks: StackInfo[]): Problem[] {
  type Registered = OwnedName & { scope: string; where?: Problem };
  const names: Registered[] = [];
  const scopeOf = (kind: OwnedName["kind"], s: StackInfo["settings"]): string => {
    if (kind === "S3 bucket" || kind === "Unity Catalog model") return "";
    if (kind === "GitHub repository") return `GitHub organisation ${s.githubOrganization}`;
    if (kind === "Airflow DAG file") return `s3://${s.airflowDagBucket}`;
    if (kind === "ECR repository" || kind.startsWith("IAM")) {
      return `AWS account ${s.awsAccountId} ${s.awsRegion}`;
    }
    return `workspace ${s.databricksHost}`;
  };
  const platforms = new Set<string>();
  for (const stack of stacks) {
    const s = stack.settings;
    const key = `${s.environment}/${s.awsAccountId}/${s.namePrefix}`;
    if (platforms.has(key)) continue;
    platforms.add(key);
    for (const n of platformOwnedNames(s.environment, s.namePrefix)) {
      names.push({ ...n, owner: `the platform (${stack.file})`, scope: scopeOf(n.kind, s) });
    }
  }
  for (const { entry, file, at } of checked) {
    const service = entry as ServiceEntry;
    const atName = at(["name"], "");
    service.environments.forEach((env, index) => {
      if (typeof env !== "string") return;
      const stack = stacks.find((s) => s.settings.environment === env && stackSelects(s, service));
      if (!stack) return;
      const s = stack.settings;
      const adopted = service.adopt?.[env] ?? {};
      const model =
        adopted.registeredModel ??
        `${s.modelCatalog}.${s.modelSchema}.${physicalNames(service.name, env, s.namePrefix).registeredModel}`;
      const owned = serviceNames(service.name, env, s.namePrefix, model, index === 0, adopted);
      if (s.orchestrator === "airflow") {
        owned.push({
          kind: "Airflow DAG file",
          name: airflowDagKey(service.name, s),
          owner: `service ${service.name}`,
        });
      }
      for (const n of owned) {
        const field = (ADOPTED_FIELD[n.kind] ?? []).find((k) => adopted[k] === n.name);
        const where = field ? at(["adopt", env, field], "") : atName;
        names.push({
          ...n,
          owner: `${n.owner} (${file}, ${env})`,
          scope: scopeOf(n.kind, s),
          where,
        });
      }
    });
  }
  return findNameCollisions(names).map(({ entry, message }) =>
    entry.where ? { ...entry.where, message } : { file: "", message },
  );
}

/**
 * Model names carry no environment (`<catalog>.<schema>.<service>`): two environments sharing a
 * schema would share every model, so each environment needs its own catalog and schema.
 */
export function modelSchemaProblems(stacks: readonly StackInfo[]): string[] {
  const owner = new Map<string, StackInfo>();
  const problems: string[] = [];
  for (const stack of stacks) {
    const { modelCatalog, modelSchema, environment } = stack.settings;
    const schema = `${modelCatalog}.${modelSchema}`;
    const first = owner.get(schema);
    if (!first) owner.set(schema, stack);
    else if (first.settings.environment !== environment) {
      problems.push(
        `${stack.file}: mlplatform:modelSchema: ${schema} is already the model schema of environment "${first.settings.environment}" (${first.file}); every environment needs its own modelCatalog/modelSchema, or their models would be one and the same`,
      );
    }
  }
  return problems;
}

/**
 * Exactly one stack per environment and region declares the shared platform pieces (their
 * physical names are per environment: two owners would collide, none would leave them missing).
 */
export function platformOwnerProblems(stacks: readonly StackInfo[]): string[] {
  const groups = new Map<string, StackInfo[]>();
  for (const stack of stacks) {
    const key = `${stack.settings.environment}\u0000${stack.settings.awsRegion}`;
    groups.set(key, [...(groups.get(key) ?? []), stack]);
  }
  const problems: string[] = [];
  for (const group of groups.values()) {
    const owners = group.filter((s) => s.settings.ownsPlatformResources);
    if (owners.length === 1) continue;
    const { environment, awsRegion } = group[0].settings;
    const where = `environment "${environment}" in ${awsRegion}`;
    const names = (list: StackInfo[]) => list.map((s) => s.stack).join(", ");
    if (owners.length === 0) {
      problems.push(
        `${group[0].file}: mlplatform:ownsPlatformResources: no stack of ${where} declares the shared platform pieces (stacks: ${names(group)}); set it true on exactly one`,
      );
    } else {
      for (const owner of owners) {
        problems.push(
          `${owner.file}: mlplatform:ownsPlatformResources: ${owners.length} stacks of ${where} declare the shared platform pieces (${names(owners)}); exactly one may: set it false on the others`,
        );
      }
    }
  }
  return problems;
}

/** Whether a stack's shard settings select a service (empty filters select everything). */
export function stackSelects(
  stack: StackInfo | { settings: StackInfo["settings"] },
  entry: Pick<ServiceEntry, "name" | "team">,
): boolean {
  const { shardTeams, shardServices } = stack.settings;
  if (shardTeams.length > 0 && !shardTeams.includes(entry.team)) return false;
  if (shardServices.length > 0 && !shardServices.includes(entry.name)) return false;
  return true;
}

/**
 * What to do about a YAML error on a line: a cron written without quotes starts with `*`, which
 * YAML reads as an alias (a star then a step), or with a brace or bracket, which YAML reads as a
 * mapping or a list; quoting it is the fix.
 */
function yamlHint(text: string, line: number): string {
  const source = text.split(/\r?\n/)[line - 1] ?? "";
  if (/^\s*schedule\s*:\s*[*{[]/.test(source)) {
    return 'quote the cron expression: schedule: "*/5 * * * *"';
  }
  return "fix the YAML; see the examples in services/";
}

function listEntryFiles(dir: string, problems: Problem[]): string[] {
  const shownDir = displayPath(dir);
  let dirents: fs.Dirent[];
  try {
    dirents = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    problems.push({ file: shownDir, message: "cannot read the services folder" });
    return [];
  }
  const files: string[] = [];
  for (const d of dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const shown = path.join(shownDir, d.name);
    if (ALLOWED_EXTRA.has(d.name)) continue;
    if (d.isSymbolicLink()) {
      problems.push({
        file: shown,
        message: `is a symbolic link (entries must be regular files inside ${shownDir})`,
      });
    } else if (!d.isFile()) {
      problems.push({
        file: shown,
        message: `is not a regular file (only <name>.yaml entries belong in ${shownDir})`,
      });
    } else if (!d.name.endsWith(".yaml")) {
      problems.push({
        file: shown,
        message: `unexpected file (entries are named <name>.yaml; also allowed: ${[...ALLOWED_EXTRA].join(", ")})`,
      });
    } else {
      files.push(path.join(dir, d.name));
    }
  }
  return files;
}

interface ParsedEntry {
  /** The entry with defaults applied and every field the schema refused removed. */
  entry: PartialEntry;
  shown: string;
  digest: string;
  /** Problems of the file itself (schema, duplicate keys): the entry is refused when any. */
  problemCount: number;
  locate: (p: (string | number)[], atKey?: boolean) => { line: number; column: number };
}

/** Lines whose indentation holds a tab (YAML indents with spaces only). */
function tabLines(text: string): number[] {
  const lines: number[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (/^ *\t/.test(line)) lines.push(i + 1);
  });
  return lines;
}

function parseEntryFile(file: string, problems: Problem[]): ParsedEntry | undefined {
  const shown = displayPath(file);
  const fail = (message: string, line?: number) => {
    problems.push({ file: shown, ...(line !== undefined ? { line } : {}), message });
    return undefined;
  };
  let bytes: Buffer;
  try {
    const stat = fs.lstatSync(file);
    if (stat.size > CATALOG_LIMITS.maxFileBytes) {
      return fail(`file is ${stat.size} bytes (at most ${CATALOG_LIMITS.maxFileBytes})`);
    }
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "unknown error";
    return fail(`cannot be read (${code}; entries must be readable regular files)`);
  }
  const digest = createHash("sha256").update(bytes).digest("hex");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return fail("is not UTF-8 text (an entry is a YAML file)");
  }
  if (text.includes("\u0000")) return fail("contains NUL bytes (an entry is a YAML text file)");
  if (text.trim() === "") return fail("is empty (copy an example entry from services/ to start)");
  const lineCounter = new YAML.LineCounter();
  let docs: YAML.Document.Parsed[];
  try {
    docs = YAML.parseAllDocuments(text, {
      lineCounter,
      // Duplicate keys are found below, naming both lines (the parser's error names one).
      uniqueKeys: false,
      prettyErrors: false,
      // Problems are reported as lines of the CatalogError, never as process warnings.
      logLevel: "error",
    }) as YAML.Document.Parsed[];
  } catch (e) {
    return fail(`not valid YAML: ${firstLine((e as Error).message)}`);
  }
  if (!Array.isArray(docs)) docs = [docs as unknown as YAML.Document.Parsed];
  if (docs.length === 0) {
    return fail("holds only comments (copy an example entry from services/ to start)");
  }
  if (docs.length !== 1) return fail(`holds ${docs.length} YAML documents (one entry per file)`);
  const doc = docs[0];
  // Warnings count too: an unknown tag (!custom) or a tag on the wrong kind of node is not plain data.
  const yamlProblems = [...doc.errors, ...doc.warnings];
  if (yamlProblems.length > 0) {
    // One tab in an indentation derails the parser into several errors: name the tab alone.
    const tabs = tabLines(text);
    if (tabs.length > 0) {
      for (const line of tabs) {
        fail(
          `YAML syntax error: tabs are not allowed for indentation, line ${line} (indent with spaces)`,
          line,
        );
      }
      return undefined;
    }
    const lines = new Map<string, number>();
    for (const error of yamlProblems.slice(0, 5)) {
      const line = lineCounter.linePos(error.pos[0]).line;
      lines.set(
        error.message.includes("Maximum call stack size exceeded")
          ? `(entry): nested too deeply to read (at most ${CATALOG_LIMITS.maxDepth} levels)`
          : `YAML syntax error: ${firstLine(error.message)} (${yamlHint(text, line)})`,
        line,
      );
    }
    for (const [message, line] of lines) fail(message, line);
    return undefined;
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: CATALOG_LIMITS.maxAliasCount });
  } catch (e) {
    const message = firstLine((e as Error).message);
    return fail(
      /alias count/i.test(message)
        ? `${message} (at most ${CATALOG_LIMITS.maxAliasCount} alias expansions per entry)`
        : `${message} (fix the YAML; see the examples in services/)`,
    );
  }
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const locate = (p: (string | number)[], atKey = false): { line: number; column: number } => {
    for (let depth = p.length; depth >= 0; depth--) {
      const node = doc.getIn(p.slice(0, depth), true) as YAML.Node | undefined;
      if (depth === p.length && atKey) {
        const parent = doc.getIn(p.slice(0, -1), true);
        if (YAML.isMap(parent)) {
          const pair = parent.items.find(
            (i) => YAML.isScalar(i.key) && i.key.value === p[p.length - 1],
          );
          const range = (pair?.key as YAML.Node | undefined)?.range;
          if (range) return position(range[0]);
        }
      }
      // A missing field is located at the mapping that lacks it: the line of its first key.
      if (node && node.range) return position(node.range[0]);
    }
    return { line: 1, column: 1 };
  };
  if (depthOf(raw) > CATALOG_LIMITS.maxDepth) {
    return fail(
      `(entry): nested ${depthOf(raw)} levels deep (at most ${CATALOG_LIMITS.maxDepth})`,
      1,
    );
  }
  const before = problems.length;
  for (const duplicate of duplicateKeys(doc.contents, [], position)) {
    problems.push({ file: shown, ...duplicate });
  }
  const { value, problems: schemaProblems } = validateEntry(raw);
  for (const problem of schemaProblems) {
    const { line, column } = locate(problem.path, problem.atKey);
    problems.push({
      file: shown,
      line,
      column,
      field: fieldPath(problem.path),
      message: problem.message,
    });
  }
  const entry = withoutInvalid(value, schemaProblems) as PartialEntry;
  return { entry, shown, digest, locate, problemCount: problems.length - before };
}

/** Keys given twice in one mapping, each named with both lines. */
function duplicateKeys(
  node: unknown,
  at: (string | number)[],
  position: (offset: number) => { line: number; column: number },
): Omit<Problem, "file">[] {
  const found: Omit<Problem, "file">[] = [];
  if (YAML.isMap(node)) {
    const first = new Map<unknown, number>();
    for (const pair of node.items) {
      const key = YAML.isScalar(pair.key) ? pair.key.value : undefined;
      const range = (pair.key as YAML.Node | null)?.range;
      if (key !== undefined && range) {
        const { line, column } = position(range[0]);
        const earlier = first.get(key);
        if (earlier !== undefined) {
          found.push({
            line,
            column,
            field: fieldPath([...at, String(key)]),
            message: `duplicate key "${String(key)}" at lines ${earlier} and ${line} (a key may appear once per mapping; keep one)`,
          });
        } else first.set(key, line);
      }
      found.push(...duplicateKeys(pair.value, [...at, String(key)], position));
    }
  } else if (YAML.isSeq(node)) {
    node.items.forEach((item, i) => found.push(...duplicateKeys(item, [...at, i], position)));
  }
  return found;
}

/**
 * The entry without the values the schema refused (and without unknown keys), so the cross-field
 * checks run on what is valid and skip only what is not.
 */
function withoutInvalid(value: unknown, problems: readonly SchemaProblem[]): unknown {
  for (const { path: at } of [...problems].sort((a, b) => b.path.length - a.path.length)) {
    if (at.length === 0) return {};
    let parent: unknown = value;
    for (const key of at.slice(0, -1)) {
      parent = (parent as Record<string | number, unknown> | undefined)?.[key];
    }
    const last = at[at.length - 1];
    if (Array.isArray(parent)) parent[last as number] = undefined;
    else if (typeof parent === "object" && parent !== null) {
      delete (parent as Record<string, unknown>)[last as string];
    }
  }
  return value;
}

function depthOf(value: unknown, depth = 0): number {
  if (depth > 64) return depth;
  if (typeof value !== "object" || value === null) return depth;
  let deepest = depth + 1;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depthOf(child, depth + 1));
  return deepest;
}

export function fieldPath(p: (string | number)[]): string {
  if (p.length === 0) return "(entry)";
  return p
    .map((part, i) =>
      typeof part === "number" ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`,
    )
    .join("")
    .replace(/[\r\n\t]/g, " ")
    .slice(0, 120);
}

function firstLine(message: string): string {
  return message.split("\n")[0].slice(0, 200);
}
