/**
 * `npm run rollback`: moves a service's `champion` alias back, in one environment, for the
 * engineer on call (docs/models.md, "A bad model is in production").
 *
 * Reads the stack's settings and the catalog entry, asks Unity Catalog (as the platform's
 * Databricks principal) which version is champion and which one to go back to (the champion's
 * `previous_champion` tag, or `--to-version`), refuses a target that does not exist, did not pass
 * the gate (`validation_status`), or whose image is no longer in the environment's registry,
 * shows before and after, and, once confirmed, checks the alias did not move meanwhile, tags the
 * target `rolled_back_from=<old champion>`, moves the alias and reads it back. Running it again
 * finds nothing to do (a champion tagged `rolled_back_from` is not rolled back further without
 * `--to-version`). The image the jobs run is
 * a catalog pin, changed only by a pull request: the command prints it, or writes it into the
 * entry with `--write-pin`. It never edits a Databricks job.
 */
import * as fs from "fs";
import * as path from "path";
import { loadCatalog, stackSelects } from "../../catalog/load";
import { resolveService } from "../../catalog/resolve";
import { ImagePin } from "../../catalog/types";
import { ecrRepositoryUrl } from "../../program/delivery";
import { physicalNames, unityCatalogModelName } from "../../catalog/names";
import { displayPath, StackInfo } from "../../catalog/stacks";
import { DIGEST, editPin, GIT_SHA, lineDiff, pinSnippet } from "./pin";
import { RegistryImages } from "./registry-images";
import { readStacksForRollback } from "./stacks";
import { DatabricksApiError, RetryOptions, UcClient } from "./uc-client";

export const CHAMPION = "champion";
/** The tag a rollback leaves on the version it made champion: the version it replaced. */
export const ROLLED_BACK_FROM = "rolled_back_from";
export const SECRET_ENV = "DATABRICKS_CLIENT_SECRET";

/** A rollback that must not (or cannot) go ahead; exit 1 with the message. */
export class Refusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Refusal";
  }
}

/** A usage problem found after parsing (an unknown stack); exit 2. */
export class RollbackUsageError extends Error {}

export interface RollbackOptions {
  service: string;
  stack: string;
  toVersion?: number;
  dryRun: boolean;
  yes: boolean;
  writePin: boolean;
  servicesDir: string;
  stacksDir: string;
}

export interface RollbackIO {
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  /** Whether stdin is a terminal (a confirmation can be asked). */
  isTTY: boolean;
  /** Asks a yes/no question on the terminal. */
  confirm: (question: string) => Promise<boolean>;
  registryImages: RegistryImages;
  /** Retry settings of the HTTP client (tests shorten them). */
  http?: RetryOptions;
}

interface VersionFacts {
  version: number;
  tags: Record<string, string>;
  runId?: string;
  status?: string;
  metric: string;
}

export async function rollback(options: RollbackOptions, io: RollbackIO): Promise<number> {
  const out = (line = "") => io.out(`${line}\n`);
  const stacks = readStacksForRollback(options.stacksDir, io.env);
  const info = stacks.find((s) => s.stack === options.stack);
  if (!info) {
    throw new RollbackUsageError(
      `unknown stack "${options.stack}" (stacks in ${displayPath(options.stacksDir)}: ${stacks.map((s) => s.stack).join(", ")})`,
    );
  }
  const settings = info.settings;
  const catalog = loadCatalog(options.servicesDir, stacks);
  const entryFile = path.join(options.servicesDir, `${options.service}.yaml`);
  const found = catalog.find((f) => f.entry.name === options.service);
  if (!found) {
    throw new Refusal(
      `unknown service "${options.service}": ${displayPath(entryFile)} does not exist (services: ${catalog.map((f) => f.entry.name).join(", ") || "none"})`,
    );
  }
  const entry = found.entry;
  if (!entry.environments.includes(settings.environment)) {
    throw new Refusal(
      `${found.file}: ${entry.name} is not in environment ${settings.environment} of stack ${info.stack} (${info.file}); its environments: ${entry.environments.join(", ")}`,
    );
  }
  if (!stackSelects(info, entry)) {
    throw new Refusal(
      `${found.file}: ${entry.name} is deployed by another shard of ${settings.environment}, not by stack ${info.stack} (${info.file}: shardTeams/shardServices)`,
    );
  }
  if (entry.decommissioned) {
    throw new Refusal(
      `${found.file}: ${entry.name} is decommissioned (its jobs are removed); nothing runs its champion`,
    );
  }
  const secret = io.env[SECRET_ENV];
  if (!secret) {
    throw new Refusal(
      `${SECRET_ENV} is not set: export the OAuth secret of the platform's Databricks principal (${info.file}: mlplatform:databricksClientId ${settings.databricksClientId}); it is never printed`,
    );
  }

  const names = physicalNames(entry.name, settings.environment, settings.namePrefix);
  const model = unityCatalogModelName(
    settings.modelCatalog,
    settings.modelSchema,
    names.registeredModel,
  );
  const metric = resolveService(entry, settings).evaluation.metric;
  const client = new UcClient({
    host: settings.databricksHost,
    clientId: settings.databricksClientId,
    clientSecret: secret,
    ...io.http,
  });

  out(
    `model ${model} (stack ${info.stack}, environment ${settings.environment}, ${settings.databricksHost})`,
  );

  // 1. The champion now.
  const championVersion = await client.versionByAlias(model, CHAMPION);
  const champion = championVersion
    ? await facts(client, model, championVersion.version, metric)
    : undefined;

  // 2. Nothing to do when the champion already is the target (a second run, or a retry). Without
  // --to-version, a champion that a rollback put there (tag rolled_back_from) is the target
  // already: running the command again never walks further back.
  const nothingToDo = async (message: string): Promise<number> => {
    out();
    printTable(out, [row("now", champion!)]);
    out();
    out(`nothing to do: ${message}`);
    await pinStep(out, options, io, {
      info,
      entryFile,
      entryPin: entry.images[settings.environment],
      target: champion!,
      repository: names.ecrRepository,
      imageChecked: false,
    });
    return 0;
  };
  if (options.toVersion === undefined && champion?.tags[ROLLED_BACK_FROM]) {
    return nothingToDo(
      `${CHAMPION} (version ${champion.version}) already is a rollback (from version ${champion.tags[ROLLED_BACK_FROM]}, tag ${ROLLED_BACK_FROM}); to go further back, name the version with --to-version`,
    );
  }

  // 3. The target: --to-version, or the champion's previous_champion.
  let targetNumber: number;
  let why: string;
  if (options.toVersion !== undefined) {
    targetNumber = options.toVersion;
    why = "--to-version";
  } else {
    if (!champion) {
      throw new Refusal(
        `${model} has no ${CHAMPION}: nothing to roll back from; name a version with --to-version`,
      );
    }
    const previous = champion.tags.previous_champion;
    if (previous === undefined || previous === "") {
      throw new Refusal(
        `${CHAMPION} (version ${champion.version}) has no previous_champion tag (it was the model's first champion, or was not promoted by the training code); name a version with --to-version`,
      );
    }
    if (!/^[1-9]\d*$/.test(previous)) {
      throw new Refusal(
        `${CHAMPION} (version ${champion.version}) has previous_champion "${previous}", which is not a version number; name a version with --to-version`,
      );
    }
    targetNumber = Number(previous);
    why = `previous_champion of version ${champion.version}`;
  }
  if (champion && champion.version === targetNumber) {
    return nothingToDo(`${CHAMPION} already is version ${targetNumber} (${why})`);
  }

  // 4. The target must exist, have passed the gate, and its image must still be in the registry.
  const target = await facts(client, model, targetNumber, metric);
  if (!target.exists) {
    throw new Refusal(`version ${targetNumber} of ${model} does not exist (${why})`);
  }
  const status = target.tags.validation_status;
  if (status !== "passed") {
    const reason = target.tags.validation ? `: ${target.tags.validation}` : "";
    throw new Refusal(
      `version ${targetNumber} did not pass the gate (validation_status ${status === undefined ? "not set" : `"${status}"`}${reason}); only a version that passed may be champion`,
    );
  }
  if (target.status !== undefined && target.status !== "READY") {
    throw new Refusal(
      `version ${targetNumber} is ${target.status}, not READY: it cannot be loaded`,
    );
  }
  const digest = target.tags.image_digest;
  if (!digest || !DIGEST.test(digest)) {
    throw new Refusal(
      `version ${targetNumber} records no image digest (tag image_digest ${digest === undefined ? "not set" : `"${digest}"`}): cannot check its image is still in ${names.ecrRepository}`,
    );
  }
  await checkImage(
    io.registryImages,
    settings,
    names.ecrRepository,
    digest,
    gitShaOf(target.tags),
    targetNumber,
    out,
  );

  // 5. Before and after.
  out();
  printTable(out, [
    champion ? row("before", champion) : ["before", CHAMPION, "(none)", "", "", ""],
    row("after", target),
  ]);
  out();
  const from = champion ? `version ${champion.version}` : "no champion";
  if (options.dryRun) {
    out(
      `dry run: nothing written. Without --dry-run, ${CHAMPION} moves from ${from} to version ${targetNumber} (${why})${champion ? ` and version ${targetNumber} gets the tag ${ROLLED_BACK_FROM}=${champion.version}` : ""}.`,
    );
    await pinStep(out, options, io, {
      info,
      entryFile,
      entryPin: entry.images[settings.environment],
      target,
      repository: names.ecrRepository,
      imageChecked: true,
    });
    return 0;
  }

  // 6. Confirmation.
  if (!options.yes) {
    if (!io.isTTY) {
      throw new Refusal(
        `stdin is not a terminal, so the move cannot be confirmed: pass --yes to move ${CHAMPION} from ${from} to version ${targetNumber}; nothing written`,
      );
    }
    const ok = await io.confirm(
      `Move ${CHAMPION} of ${model} from ${from} to version ${targetNumber}? [y/N] `,
    );
    if (!ok) throw new Refusal("not confirmed; nothing written");
  }

  // 7. The alias must not have moved since it was read.
  const now = await client.versionByAlias(model, CHAMPION);
  const before = champion?.version;
  if (now?.version !== before) {
    throw new Refusal(
      `${CHAMPION} moved from ${describe(before)} to ${describe(now?.version)} while rolling back; run again; nothing written`,
    );
  }

  // 8. Record where it comes from, move it, read it back. The tag goes first: if the move then
  // fails, the champion is unchanged and a second run does the same again; a moved champion
  // always carries the tag, so a second run finds nothing to do.
  if (champion) {
    await client.setVersionTag(model, targetNumber, ROLLED_BACK_FROM, String(champion.version));
  }
  try {
    await client.setAlias(model, CHAMPION, targetNumber);
  } catch (e) {
    if (!(e instanceof DatabricksApiError) || !champion) throw e;
    throw new DatabricksApiError(
      `${e.message}\n${CHAMPION} is most likely still version ${champion.version}; version ${targetNumber} already carries ${ROLLED_BACK_FROM}=${champion.version} (written just before). Once the cause is fixed, run the same command again: it finds nothing to do if the move did happen, and moves ${CHAMPION} otherwise`,
      e.endpoint,
      e.status,
      e.errorCode,
    );
  }
  const after = await client.versionByAlias(model, CHAMPION);
  if (after?.version !== targetNumber) {
    throw new Error(
      `${CHAMPION} was set to version ${targetNumber}, but reads back as ${describe(after?.version)}: someone else moved it at the same time; check the model before running again`,
    );
  }
  out(
    `${CHAMPION} of ${model} moved from ${from} to version ${targetNumber}${champion ? `; version ${targetNumber} tagged ${ROLLED_BACK_FROM}=${champion.version}` : ""}.`,
  );
  out(
    `Batch prediction loads version ${targetNumber} from its next run on; the next training run that passes the gate moves ${CHAMPION} again.`,
  );
  await pinStep(out, options, io, {
    info,
    entryFile,
    entryPin: entry.images[settings.environment],
    target,
    repository: names.ecrRepository,
    imageChecked: true,
  });
  return 0;
}

function describe(version: number | undefined): string {
  return version === undefined ? "no champion" : `version ${version}`;
}

/** A version's tags, run and gate metric ("n/a" when its run cannot be read). */
async function facts(
  client: UcClient,
  model: string,
  version: number,
  metricName: string,
): Promise<VersionFacts & { exists: boolean }> {
  const info = await client.modelVersion(model, version);
  if (!info) return { version, tags: {}, metric: "n/a", exists: false };
  const tags = (await client.versionTags(model, version)) ?? {};
  let metric = "n/a";
  if (info.runId) {
    try {
      const metrics = await client.runMetrics(info.runId);
      if (metrics[metricName] !== undefined) metric = String(metrics[metricName]);
    } catch (e) {
      if (!(e instanceof DatabricksApiError)) throw e;
    }
  }
  return {
    version,
    tags,
    runId: info.runId,
    status: info.status,
    metric: `${metricName} ${metric}`,
    exists: true,
  };
}

function gitShaOf(tags: Record<string, string>): string | undefined {
  return tags.git_sha ?? tags["mlflow.source.git.commit"] ?? tags.image_tag;
}

function row(label: string, v: VersionFacts): string[] {
  return [
    label,
    CHAMPION,
    `version ${v.version}`,
    gitShaOf(v.tags) ?? "n/a",
    v.tags.image_digest ?? "n/a",
    v.metric,
  ];
}

function printTable(out: (line?: string) => void, rows: string[][]): void {
  const header = ["", "alias", "version", "git sha", "image digest", "gate metric"];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  for (const r of all)
    out(
      r
        .map((c, i) => (c ?? "").padEnd(widths[i]))
        .join("  ")
        .trimEnd(),
    );
}

async function checkImage(
  registry: RegistryImages,
  settings: StackInfo["settings"],
  repository: string,
  digest: string,
  gitSha: string | undefined,
  version: number,
  out: (line?: string) => void,
): Promise<void> {
  let lookup;
  try {
    lookup = await registry.lookup({
      registryId: settings.awsAccountId,
      repository,
      digest,
      region: settings.awsRegion,
    });
  } catch (e) {
    throw new Refusal(
      `cannot check that the image of version ${version} (${digest}) is still in ${repository} (account ${settings.awsAccountId}, ${settings.awsRegion}): ${(e as Error).message}`,
    );
  }
  if (!lookup.found) {
    throw new Refusal(
      `the image of version ${version} is no longer in ${settings.environment}'s registry: ${lookup.reason} (account ${settings.awsAccountId}, ${settings.awsRegion}); the jobs could not run it. Pick another version with --to-version`,
    );
  }
  if (gitSha && !lookup.tags.includes(gitSha)) {
    out(
      `note: ${repository} holds ${digest}, but not under the tag ${gitSha} (tags: ${lookup.tags.join(", ") || "none"}); the jobs run ${repository}:${gitSha} once pinned (docs/image-promotion.md)`,
    );
  }
}

interface PinContext {
  info: StackInfo;
  entryFile: string;
  entryPin: ImagePin | undefined;
  target: VersionFacts;
  repository: string;
  /** Whether the registry check already ran for the target's image. */
  imageChecked: boolean;
}

/** The catalog pin of the target's image: printed, or written into the entry (--write-pin). */
async function pinStep(
  out: (line?: string) => void,
  options: RollbackOptions,
  io: RollbackIO,
  ctx: PinContext,
): Promise<void> {
  const env = ctx.info.settings.environment;
  const gitSha = gitShaOf(ctx.target.tags);
  const digest = ctx.target.tags.image_digest;
  const shown = displayPath(ctx.entryFile);
  out();
  if (!gitSha || !GIT_SHA.test(gitSha) || !digest || !DIGEST.test(digest)) {
    const problem = `version ${ctx.target.version} does not record a full git sha and image digest (tags git_sha, image_digest), so no pin can be derived from it`;
    if (options.writePin) throw new Refusal(`${problem}; nothing written to ${shown}`);
    out(`image: ${problem}.`);
    return;
  }
  const pin: ImagePin = { gitSha, digest };
  const image = `${ecrRepositoryUrl(ctx.info.settings, ctx.repository)}:${gitSha}`;
  if (ctx.entryPin && ctx.entryPin.gitSha === gitSha && ctx.entryPin.digest === digest) {
    out(
      `image: ${shown} already pins ${image} for ${env}, the image version ${ctx.target.version} was trained on.`,
    );
    return;
  }
  const pinned = ctx.entryPin
    ? `pins ${ecrRepositoryUrl(ctx.info.settings, ctx.repository)}:${ctx.entryPin.gitSha} for ${env}`
    : `pins no image for ${env} (the jobs run the platform's placeholder)`;
  out(`image: ${shown} ${pinned}; version ${ctx.target.version} was trained on ${image}.`);
  if (!options.writePin) {
    out(`To run it, pin it in ${shown} by pull request (or run again with --write-pin):`);
    out();
    out(pinSnippet(env, pin).trimEnd());
    return;
  }
  // The image must still be in the registry for the pin to work.
  if (!ctx.imageChecked) {
    await checkImage(
      io.registryImages,
      ctx.info.settings,
      ctx.repository,
      digest,
      gitSha,
      ctx.target.version,
      out,
    );
  }
  const original = fs.readFileSync(ctx.entryFile, "utf8");
  let edit;
  try {
    edit = editPin(original, env, pin);
  } catch (e) {
    throw new Refusal(`${shown}: cannot edit the pin: ${(e as Error).message}; nothing written`);
  }
  if (!edit.changed) {
    out(`${shown} already pins this image for ${env}.`);
    return;
  }
  const diff = lineDiff(original, edit.text);
  if (options.dryRun) {
    out(`dry run: would write the pin into ${shown}:`);
  } else {
    fs.writeFileSync(ctx.entryFile, edit.text);
    out(`wrote the pin into ${shown}:`);
  }
  out();
  for (const line of diff) out(line);
  out();
  if (edit.reformatted) {
    out(
      `note: the YAML writer also changed the layout of ${shown} beyond the pin; check the diff.`,
    );
  }
  out(
    `${options.dryRun ? "With --write-pin and without --dry-run: " : ""}open a pull request with this change; the plan will show the jobs moving to ${image}`,
  );
}
