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
  nameCollisions,
  nameProblems,
  OwnedName,
  physicalNames,
  platformOwnedNames,
  serviceNames,
} from "../names";
import { displayPath, StackInfo } from "../stacks";
import { CatalogError } from "./errors";
import { catalogSchema, checkValue, SchemaProblem } from "./schema";
import { AdoptSpec, CatalogFile, ServiceEntry } from "./types";
import { airflowDagKey } from "../render/airflow";
import { githubSettingsProblems, visibilityProblem } from "../../components/github/features";

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
};

/** Files that may sit in services/ besides the entries. */
const ALLOWED_EXTRA = new Set(["schema.json", "README.md", ".gitkeep"]);

export function loadCatalog(dir: string, stacks: StackInfo[]): CatalogFile[] {
  const problems: string[] = [];
  const files = listEntryFiles(dir, problems);
  // Checked before any file is read, so an oversized folder costs one directory listing.
  if (files.length > CATALOG_LIMITS.maxServices) {
    throw new CatalogError([
      `${displayPath(dir)}: ${files.length} entry files (at most ${CATALOG_LIMITS.maxServices}; split the platform into several projects)`,
    ]);
  }
  const entries: CatalogFile[] = [];
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
    const { entry, lineOf, shown, digest } = parsed;
    const before = problems.length;
    const at = (p: (string | number)[], atKey = false) =>
      `${shown}:${lineOf(p, atKey)}: ${fieldPath(p)}`;

    const expectedName = path.basename(file, ".yaml");
    if (entry.name !== expectedName) {
      problems.push(
        `${at(["name"])}: "${entry.name}" does not match the file name (rename the file to ${entry.name}.yaml, or set name: ${expectedName})`,
      );
    }
    // The file named after the service holds the name whatever the reading order: never blame it.
    const first = fileOfName.get(entry.name) ?? byName.get(entry.name);
    if (first && first !== shown) {
      problems.push(
        `${at(["name"])}: "${entry.name}" is already used by ${first} (service names must be unique across the catalog)`,
      );
    }
    if (!byName.has(entry.name)) byName.set(entry.name, shown);
    entry.environments.forEach((env, i) => {
      const envStacks = environments.get(env);
      if (!envStacks) {
        problems.push(
          `${at(["environments", i])}: environment "${env}" has no stack (known: ${[...environments.keys()].sort().join(", ")})`,
        );
        return;
      }
      for (const prefix of new Set(envStacks.map((s) => s.settings.namePrefix))) {
        for (const problem of nameProblems(entry.name, env, prefix)) {
          problems.push(`${at(["name"])}: ${problem}`);
        }
      }
      const owners = envStacks.filter((s) => stackSelects(s, entry));
      if (owners.length !== 1) {
        const which =
          owners.length === 0
            ? "no stack"
            : `${owners.length} stacks (${owners.map((s) => s.stack).join(", ")})`;
        problems.push(
          `${at(["environments", i])}: environment "${env}" is sharded and ${which} select this service (exactly one stack of an environment must; fix shardTeams/shardServices in stacks/)`,
        );
      }
    });
    problems.push(...deliveryProblems(entry, environments, at));
    problems.push(...valueProblems(entry, at));
    // The repository lives in the first environment: its organisation's plan decides visibility.
    const sourceStacks = (environments.get(entry.environments[0]) ?? []).filter((s) =>
      stackSelects(s, entry),
    );
    for (const stack of sourceStacks) {
      const refused = visibilityProblem(entry.repository?.visibility, stack.settings.githubPlan);
      if (refused) problems.push(`${at(["repository", "visibility"])}: ${refused} (${stack.file})`);
    }
    problems.push(...adoptProblems(entry, at, adopted, shown));
    if (problems.length === before) entries.push({ file: shown, entry, digest });
  }
  if (entries.length > CATALOG_LIMITS.maxServices) {
    problems.push(
      `${displayPath(dir)}: ${entries.length} entries (at most ${CATALOG_LIMITS.maxServices}; split the platform into several projects)`,
    );
  }
  problems.push(...platformOwnerProblems(stacks));
  problems.push(...modelSchemaProblems(stacks));
  for (const s of stacks) {
    problems.push(...githubSettingsProblems(s.settings).map((p) => `${s.file}: ${p}`));
  }
  if (problems.length === 0) problems.push(...nameRegistryProblems(entries, stacks));
  for (const stack of stacks) {
    for (const listed of stack.settings.shardServices) {
      if (!byName.has(listed))
        problems.push(
          `${stack.file}: mlplatform:shardServices: "${listed}" is not a service in the catalog`,
        );
    }
  }
  if (problems.length > 0) throw new CatalogError(problems);
  return entries;
}

/**
 * The delivery path's rules: the first environment builds images and holds the CI secrets, so it
 * is never a production one; a pin names an environment the service is in.
 */
function deliveryProblems(
  entry: ServiceEntry,
  environments: ReadonlyMap<string, StackInfo[]>,
  at: (p: (string | number)[], atKey?: boolean) => string,
): string[] {
  const problems: string[] = [];
  const source = entry.environments[0];
  const production = (environments.get(source) ?? []).filter((s) => s.settings.production);
  if (production.length > 0) {
    problems.push(
      `${at(["environments", 0])}: "${source}" is a production environment (${production[0].file}: mlplatform:production); the first environment builds the service's images and holds its CI secrets, so list a non-production environment first (e.g. [dev, ${source}])`,
    );
  }
  for (const env of Object.keys(entry.images ?? {})) {
    if (!entry.environments.includes(env)) {
      problems.push(
        `${at(["images", env], true)}: pins an image for "${env}", which is not in environments (${entry.environments.join(", ")})`,
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
function valueProblems(
  entry: ServiceEntry,
  at: (p: (string | number)[], atKey?: boolean) => string,
): string[] {
  const problems: string[] = [];
  const zones: [string[], string | undefined][] = [
    [["training", "timezone"], entry.training?.timezone],
    [["batchPrediction", "timezone"], entry.batchPrediction?.timezone],
  ];
  for (const [field, zone] of zones) {
    if (zone !== undefined && !isTimeZone(zone)) {
      problems.push(
        `${at(field)}: "${zone}" is not a time zone of the IANA database (e.g. UTC, Europe/Berlin, America/New_York)`,
      );
    }
  }
  const seen = new Map<string, number>();
  (entry.owners ?? []).forEach((owner, i) => {
    const first = seen.get(owner.toLowerCase());
    if (first !== undefined && entry.owners[first] !== owner) {
      problems.push(
        `${at(["owners", i])}: "${owner}" is "${entry.owners[first]}" again (GitHub handles are case-insensitive)`,
      );
    } else seen.set(owner.toLowerCase(), i);
  });
  for (const field of ["description", "displayName"] as const) {
    const value = entry[field];
    if (typeof value === "string" && value.trim() === "") {
      problems.push(`${at([field])}: is blank (write some text, or leave the field out)`);
    }
  }
  return problems;
}

/** Whether the runtime's IANA time zone database knows `zone`. */
function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
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
  entry: ServiceEntry,
  at: (p: (string | number)[], atKey?: boolean) => string,
  adopted: Map<string, string>,
  file: string,
): string[] {
  const problems: string[] = [];
  for (const [env, spec] of Object.entries(entry.adopt ?? {})) {
    if (!entry.environments.includes(env)) {
      problems.push(
        `${at(["adopt", env], true)}: adopts resources in "${env}", which is not in environments (${entry.environments.join(", ")})`,
      );
      continue;
    }
    if (spec.repository !== undefined && env !== entry.environments[0]) {
      problems.push(
        `${at(["adopt", env, "repository"])}: the repository belongs to the first environment (${entry.environments[0]}); adopt it there`,
      );
    }
    if (spec.batchPredictionJob !== undefined && !entry.batchPrediction) {
      problems.push(
        `${at(["adopt", env, "batchPredictionJob"])}: the entry has no batchPrediction section to adopt a job for`,
      );
    }
    for (const [kind, value] of Object.entries(spec) as [keyof AdoptSpec, string][]) {
      // Bucket names are global; the others are unique per environment's account or workspace.
      const scope = ADOPT_KINDS[kind] === "S3 bucket" ? "" : env;
      const key = `${scope} ${ADOPT_KINDS[kind]} ${value}`;
      const first = adopted.get(key);
      if (first) {
        problems.push(
          `${at(["adopt", env, kind])}: ${ADOPT_KINDS[kind]} "${value}" is already adopted by ${first} (one resource can belong to one service only)`,
        );
      } else adopted.set(key, `${file} (adopt.${env}.${kind})`);
    }
  }
  return problems;
}

/**
 * One name registry for the whole catalog: every physical name the platform and each service
 * derive (adopted names included), per scope in which two equal names are one resource: an AWS
 * account for ECR and IAM, a Databricks workspace for jobs, scopes, principals and experiments,
 * the organisation for GitHub repositories, and the world for S3 buckets and (metastores being
 * shared between workspaces) Unity Catalog models.
 */
export function nameRegistryProblems(entries: CatalogFile[], stacks: StackInfo[]): string[] {
  const names: (OwnedName & { scope: string })[] = [];
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
  for (const { entry, file } of entries) {
    entry.environments.forEach((env, index) => {
      const stack = stacks.find((s) => s.settings.environment === env && stackSelects(s, entry));
      if (!stack) return;
      const s = stack.settings;
      const adopted = entry.adopt?.[env] ?? {};
      const model =
        adopted.registeredModel ??
        `${s.modelCatalog}.${s.modelSchema}.${physicalNames(entry.name, env, s.namePrefix).registeredModel}`;
      const owned = serviceNames(entry.name, env, s.namePrefix, model, index === 0, adopted);
      if (s.orchestrator === "airflow") {
        owned.push({
          kind: "Airflow DAG file",
          name: airflowDagKey(entry.name, s),
          owner: `service ${entry.name}`,
        });
      }
      for (const n of owned) {
        names.push({ ...n, owner: `${n.owner} (${file}, ${env})`, scope: scopeOf(n.kind, s) });
      }
    });
  }
  return nameCollisions(names);
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

function listEntryFiles(dir: string, problems: string[]): string[] {
  const shownDir = displayPath(dir);
  let dirents: fs.Dirent[];
  try {
    dirents = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    problems.push(`${shownDir}: cannot read the services folder`);
    return [];
  }
  const files: string[] = [];
  for (const d of dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const shown = path.join(shownDir, d.name);
    if (ALLOWED_EXTRA.has(d.name)) continue;
    if (d.isSymbolicLink()) {
      problems.push(
        `${shown}: is a symbolic link (entries must be regular files inside ${shownDir})`,
      );
    } else if (!d.isFile()) {
      problems.push(
        `${shown}: is not a regular file (only <name>.yaml entries belong in ${shownDir})`,
      );
    } else if (!d.name.endsWith(".yaml")) {
      problems.push(
        `${shown}: unexpected file (entries are named <name>.yaml; also allowed: ${[...ALLOWED_EXTRA].join(", ")})`,
      );
    } else {
      files.push(path.join(dir, d.name));
    }
  }
  return files;
}

interface ParsedEntry {
  entry: ServiceEntry;
  shown: string;
  digest: string;
  lineOf: (p: (string | number)[], atKey?: boolean) => number | string;
}

function parseEntryFile(file: string, problems: string[]): ParsedEntry | undefined {
  const shown = displayPath(file);
  let bytes: Buffer;
  try {
    const stat = fs.lstatSync(file);
    if (stat.size > CATALOG_LIMITS.maxFileBytes) {
      problems.push(
        `${shown}: file is ${stat.size} bytes (at most ${CATALOG_LIMITS.maxFileBytes})`,
      );
      return undefined;
    }
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "unknown error";
    problems.push(`${shown}: cannot be read (${code}; entries must be readable regular files)`);
    return undefined;
  }
  const digest = createHash("sha256").update(bytes).digest("hex");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    problems.push(`${shown}: is not UTF-8 text (an entry is a YAML file)`);
    return undefined;
  }
  if (text.includes("\u0000")) {
    problems.push(`${shown}: contains NUL bytes (an entry is a YAML text file)`);
    return undefined;
  }
  if (text.trim() === "") {
    problems.push(`${shown}: is empty (copy an example entry from services/ to start)`);
    return undefined;
  }
  const lineCounter = new YAML.LineCounter();
  let docs: YAML.Document.Parsed[];
  try {
    docs = YAML.parseAllDocuments(text, {
      lineCounter,
      uniqueKeys: true,
      prettyErrors: false,
      // Problems are reported as lines of the CatalogError, never as process warnings.
      logLevel: "error",
    }) as YAML.Document.Parsed[];
  } catch (e) {
    problems.push(`${shown}: not valid YAML: ${firstLine((e as Error).message)}`);
    return undefined;
  }
  if (!Array.isArray(docs)) docs = [docs as unknown as YAML.Document.Parsed];
  if (docs.length === 0) {
    problems.push(`${shown}: holds only comments (copy an example entry from services/ to start)`);
    return undefined;
  }
  if (docs.length !== 1) {
    problems.push(`${shown}: holds ${docs.length} YAML documents (one entry per file)`);
    return undefined;
  }
  const doc = docs[0];
  // Warnings count too: an unknown tag (!custom) or a tag on the wrong kind of node is not plain data.
  const yamlProblems = [...doc.errors, ...doc.warnings];
  if (yamlProblems.length > 0) {
    const lines = new Set<string>();
    for (const error of yamlProblems.slice(0, 5)) {
      const line = lineCounter.linePos(error.pos[0]).line;
      lines.add(
        error.message.includes("Maximum call stack size exceeded")
          ? `${shown}:${line}: (entry): nested too deeply to read (at most ${CATALOG_LIMITS.maxDepth} levels)`
          : `${shown}:${line}: YAML syntax error: ${firstLine(error.message)} (${yamlHint(text, line)})`,
      );
    }
    problems.push(...lines);
    return undefined;
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: CATALOG_LIMITS.maxAliasCount });
  } catch (e) {
    const message = firstLine((e as Error).message);
    problems.push(
      /alias count/i.test(message)
        ? `${shown}: ${message} (at most ${CATALOG_LIMITS.maxAliasCount} alias expansions per entry)`
        : `${shown}: ${message} (fix the YAML; see the examples in services/)`,
    );
    return undefined;
  }
  const lineOf = (p: (string | number)[], atKey = false): number | string => {
    for (let depth = p.length; depth >= 0; depth--) {
      const node = doc.getIn(p.slice(0, depth), true) as YAML.Node | undefined;
      if (depth === p.length && atKey) {
        const parent = doc.getIn(p.slice(0, -1), true);
        if (YAML.isMap(parent)) {
          const pair = parent.items.find(
            (i) => YAML.isScalar(i.key) && i.key.value === p[p.length - 1],
          );
          const range = (pair?.key as YAML.Node | undefined)?.range;
          if (range) return lineCounter.linePos(range[0]).line;
        }
      }
      if (node && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return 1;
  };
  if (depthOf(raw) > CATALOG_LIMITS.maxDepth) {
    problems.push(
      `${shown}:1: (entry): nested ${depthOf(raw)} levels deep (at most ${CATALOG_LIMITS.maxDepth})`,
    );
    return undefined;
  }
  const schemaProblems: SchemaProblem[] = [];
  const entry = checkValue(catalogSchema(), raw, [], schemaProblems) as ServiceEntry;
  for (const problem of schemaProblems) {
    problems.push(
      `${shown}:${lineOf(problem.path, problem.atKey)}: ${fieldPath(problem.path)}: ${problem.message}`,
    );
  }
  if (schemaProblems.length > 0) return undefined;
  return { entry, shown, digest, lineOf };
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
