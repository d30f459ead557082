/**
 * Test fixtures of `npm run rollback`: a temporary catalog (copies of two real entries) and
 * temporary stack files (the repository's, with databricksHost pointing at the fake Databricks),
 * a fake Databricks seeded with the versions of a model, a stand-in for the registry lookup, and
 * `runCli`, which runs the command in-process and captures its output. Not part of the product.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../cli/rollback";
import { ImageLookup, ImageQuery, RegistryImages } from "../../deploy/rollback/registry-images";
import { FakeDatabricks } from "./fake-databricks";

export const ROOT = path.join(__dirname, "..", "..");
export const CLIENT_ID = "0d9b3e7a-51f2-4c8e-a7c4-8e2f1b6d3a22";
export const SECRET = "s3cr3t-oauth-value-123";
export const MODEL = "ml_prod.models.product_recommender";
export const REPOSITORY = "mlp/product-recommender-prod";

/** A 40-hex sha and a digest per version number (with letters: never read back as numbers). */
export const sha = (c: string) => `${c}a`.repeat(20);
export const digest = (c: string) => `sha256:${`${c}d`.repeat(32)}`;

/** Version tags as the training code writes them (templates/.../promotion.py.njk). */
export function versionTags(
  gitSha: string,
  imageDigest: string,
  status: "passed" | "failed",
  previous?: number,
): Record<string, string> {
  const tags: Record<string, string> = {
    "mlflow.source.git.commit": gitSha,
    git_sha: gitSha,
    image_tag: gitSha,
    image_digest: imageDigest,
    service: "product-recommender",
    environment: "prod",
    validation_status: status,
    validation:
      status === "passed"
        ? "roc_auc 0.84 >= 0.75 and better than the champion"
        : "roc_auc 0.61 < 0.75",
  };
  if (previous !== undefined) tags.previous_champion = String(previous);
  return tags;
}

/**
 * The model `ml_prod.models.product_recommender`:
 * v1 passed (first champion), v2 failed, v3 passed (previous 1), v4 failed, v5 passed (previous 3,
 * champion), v6 passed but its image expired from the registry.
 */
export function seed(fake: FakeDatabricks): void {
  fake.addVersion(MODEL, 1, versionTags(sha("1"), digest("1"), "passed"), { roc_auc: 0.8 });
  fake.addVersion(MODEL, 2, versionTags(sha("2"), digest("2"), "failed"), { roc_auc: 0.61 });
  fake.addVersion(MODEL, 3, versionTags(sha("3"), digest("3"), "passed", 1), { roc_auc: 0.84 });
  fake.addVersion(MODEL, 4, versionTags(sha("4"), digest("4"), "failed"), { roc_auc: 0.7 });
  fake.addVersion(MODEL, 5, versionTags(sha("5"), digest("5"), "passed", 3), { roc_auc: 0.79 });
  fake.addVersion(MODEL, 6, versionTags(sha("6"), digest("6"), "passed", 5), { roc_auc: 0.9 });
  fake.model(MODEL).aliases.set("champion", 5);
  fake.model(MODEL).aliases.set("challenger", 5);
}

/** The registry stand-in: digests present in mlp/product-recommender-prod (not v6's). */
export class FakeRegistry implements RegistryImages {
  readonly lookups: ImageQuery[] = [];
  present = new Map<string, string[]>(
    ["1", "2", "3", "4", "5"].map((c) => [digest(c), [sha(c)]] as [string, string[]]),
  );
  failWith: string | undefined;

  async lookup(q: ImageQuery): Promise<ImageLookup> {
    this.lookups.push(q);
    if (this.failWith) throw new Error(this.failWith);
    const tags = q.repository === REPOSITORY ? this.present.get(q.digest) : undefined;
    return tags
      ? { found: true, tags }
      : { found: false, reason: `no image ${q.digest} in ${q.repository}` };
  }
}

export interface Workspace {
  dir: string;
  servicesDir: string;
  stacksDir: string;
  entryFile: string;
  cleanup: () => void;
}

/** A temporary catalog and stacks folder; the stacks' databricksHost is `host`. */
export function workspace(host: string): Workspace {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rollback-"));
  const servicesDir = path.join(dir, "services");
  const stacksDir = path.join(dir, "stacks");
  fs.mkdirSync(servicesDir);
  fs.mkdirSync(stacksDir);
  for (const name of ["product-recommender.yaml", "search-ranking.yaml", "schema.json"]) {
    fs.copyFileSync(path.join(ROOT, "services", name), path.join(servicesDir, name));
  }
  for (const name of ["Pulumi.dev.yaml", "Pulumi.prod.yaml"]) {
    const text = fs.readFileSync(path.join(ROOT, "stacks", name), "utf8");
    const pointed = text.replace(
      /^(\s*mlplatform:databricksHost:).*$/m,
      (_m, key: string) => `${key} ${host}`,
    );
    if (pointed === text) throw new Error(`${name}: no databricksHost line`);
    fs.writeFileSync(path.join(stacksDir, name), pointed);
  }
  return {
    dir,
    servicesDir,
    stacksDir,
    entryFile: path.join(servicesDir, "product-recommender.yaml"),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export interface CliResult {
  code: number;
  out: string;
  err: string;
  delays: number[];
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  isTTY?: boolean;
  confirm?: (question: string) => Promise<boolean>;
  registry?: RegistryImages;
  maxAttempts?: number;
}

/** Runs `npm run rollback -- <args>` in-process against the workspace; retries do not wait. */
export async function runCli(
  ws: Workspace,
  args: string[],
  options: RunOptions = {},
): Promise<CliResult> {
  let out = "";
  let err = "";
  const delays: number[] = [];
  const code = await main([...args, "--services", ws.servicesDir, "--stacks", ws.stacksDir], {
    env: options.env ?? {
      DATABRICKS_CLIENT_SECRET: SECRET,
      MLPLATFORM_ALLOW_HTTP_HOSTS: "127.0.0.1",
    },
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    isTTY: options.isTTY ?? false,
    confirm: options.confirm ?? (async () => false),
    registryImages: options.registry ?? new FakeRegistry(),
    http: {
      maxAttempts: options.maxAttempts ?? 4,
      baseDelayMs: 10,
      timeoutMs: 5000,
      sleep: async (ms) => void delays.push(ms),
    },
  });
  return { code, out, err, delays };
}
