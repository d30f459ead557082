#!/usr/bin/env node
/**
 * Runs before every npm script that runs a compiled command (dist/cli/*.js): compiles the project
 * with `tsc -p tsconfig.build.json` when any source (the folders tsconfig.build.json includes,
 * index.ts, the tsconfigs, package.json) is newer than the last build, so that an edited .ts file never runs as
 * stale JavaScript. Then builds the package @mlplatform/dynamic-providers (packages/dynamic-providers/lib,
 * not committed) when one of its sources is newer than its last build, so that the provider host
 * never runs a stale provider. When fresh it only compares modification times (a few milliseconds).
 *
 *   node cli/build-if-stale.js           build when stale
 *   node cli/build-if-stale.js --stamp   record a build just made (npm run build)
 *
 * `npm ci` builds too: it runs the "prepare" script (docs.npmjs.com/cli/v11/using-npm/scripts,
 * "Life Cycle Operation Order": npm ci ... prepare).
 *
 * Plain JavaScript: it runs before anything is compiled. Type errors do not stop the commands
 * (jest is transpile-only too; `npm run typecheck` is the gate), but `npm run build` fails on them.
 */
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");
const providerPackage = require("../packages/dynamic-providers/build.js");

const ROOT = path.join(__dirname, "..");
const DIST = path.join(ROOT, "dist");
const STAMP = path.join(DIST, ".built");
// The folders the build compiles: the `include` globs of tsconfig.build.json that end in /**/*.ts.
const SOURCE_DIRS = JSON.parse(fs.readFileSync(path.join(ROOT, "tsconfig.build.json"), "utf8"))
  .include.filter((glob) => glob.endsWith("/**/*.ts"))
  .map((glob) => glob.slice(0, -"/**/*.ts".length));
const SOURCE_FILES = ["index.ts", "tsconfig.json", "tsconfig.build.json", "package.json"];

/** Newest modification time (ms) of the sources, and the .ts files without a compiled output. */
function scan(root = ROOT) {
  const dist = path.join(root, "dist");
  let newest = 0;
  const missing = [];
  const visit = (file) => {
    const stat = fs.statSync(file);
    if (stat.mtimeMs > newest) newest = stat.mtimeMs;
  };
  for (const file of SOURCE_FILES) {
    if (fs.existsSync(path.join(root, file))) visit(path.join(root, file));
  }
  const walk = (dir) => {
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, d.name);
      if (d.isDirectory()) walk(full);
      else if (d.name.endsWith(".ts") && !d.name.endsWith(".d.ts")) {
        visit(full);
        const out = path.join(dist, path.relative(root, full)).replace(/\.ts$/, ".js");
        if (!fs.existsSync(out)) missing.push(path.relative(root, full));
      }
    }
  };
  for (const dir of SOURCE_DIRS) {
    if (fs.existsSync(path.join(root, dir))) walk(path.join(root, dir));
  }
  return { newest, missing };
}

function stamp() {
  fs.mkdirSync(DIST, { recursive: true });
  fs.writeFileSync(STAMP, `${new Date().toISOString()}\n`);
}

/** Why dist/ of `root` must be rebuilt, or undefined when it is fresh. */
function staleness(root = ROOT) {
  const stampFile = path.join(root, "dist", ".built");
  if (!fs.existsSync(stampFile)) return "never built";
  const built = fs.statSync(stampFile).mtimeMs;
  const { newest, missing } = scan(root);
  if (missing.length > 0) return `not compiled yet: ${missing.slice(0, 3).join(", ")}`;
  if (newest > built) return "sources changed since the last build";
  return undefined;
}

const stale = () => staleness() !== undefined;

function build() {
  process.stderr.write(`${staleness()}: compiling (tsc -p tsconfig.build.json)...\n`);
  // Stamped before compiling: a source saved during the build makes the next run build again.
  const started = new Date();
  const tsc = spawnSync(
    process.execPath,
    [require.resolve("typescript/bin/tsc"), "-p", path.join(ROOT, "tsconfig.build.json")],
    { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" },
  );
  // tsc exit codes (microsoft/TypeScript src/compiler/types.ts ExitStatus): 0 Success,
  // 2 DiagnosticsPresent_OutputsGenerated (type errors, JavaScript written), others: nothing written.
  if (tsc.status === 2) {
    process.stderr.write(
      "warning: the sources have type errors (npm run typecheck lists them); running the compiled JavaScript anyway\n",
    );
  } else if (tsc.status !== 0) {
    process.stderr.write(`${tsc.stdout}error: the build failed (tsc exit ${tsc.status})\n`);
    fs.rmSync(path.join(DIST, ".lock"), { recursive: true, force: true });
    process.exit(1);
  }
  stamp();
  fs.utimesSync(STAMP, started, started);
}

/** Runs `work` holding dist/.lock, so that two commands started together build once. */
function locked(work) {
  const lock = path.join(DIST, ".lock");
  fs.mkdirSync(DIST, { recursive: true });
  const deadline = Date.now() + 10 * 60 * 1000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      // A lock older than any build is left over from a killed one.
      if (Date.now() - fs.statSync(lock).mtimeMs > 10 * 60 * 1000)
        fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline)
        throw new Error(`${lock}: another build holds it; remove it if none runs`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    work();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** Why the provider package must be built (an error in its sources, too), or undefined. */
function packageStaleness() {
  try {
    return providerPackage.staleness();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const packageStale = () => packageStaleness() !== undefined;

function buildPackage() {
  process.stderr.write(`${packageStaleness()}: building packages/dynamic-providers/lib...\n`);
  try {
    providerPackage.build();
  } catch (error) {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    fs.rmSync(path.join(DIST, ".lock"), { recursive: true, force: true });
    process.exit(1);
  }
}

module.exports = { staleness, SOURCE_DIRS, SOURCE_FILES };

if (require.main === module) {
  if (process.argv.includes("--stamp")) stamp();
  // Checked again under the lock: another process may have just built.
  else if (stale() || packageStale()) {
    locked(() => {
      if (stale()) build();
      if (packageStale()) buildPackage();
    });
  }
}
