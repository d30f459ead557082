/**
 * V8's code cache for `vm.compileFunction`, kept on disk: the compiled form of a source that
 * another process or an earlier run already compiled, handed back to V8 so it does not parse and
 * compile it again. V8 checks the data against the source and its own version and flags and falls
 * back to a normal compile when it does not match (`cachedDataRejected`).
 * https://nodejs.org/api/vm.html#vmcompilefunctioncode-params-options (cachedData: "produced by a
 * prior call to vm.compileFunction() with the same code and params", so both are in the key;
 * produceCachedData; cachedDataRejected on the function: nodejs/node pull 46320)
 * Used by tests/helpers/code-cache-runtime.js; plain JavaScript, loaded before jest transforms.
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");
const vm = require("vm");

const CACHE_DIR =
  process.env.MLPLATFORM_V8_CACHE_DIR ||
  path.join(os.tmpdir(), `mlplatform-jest-v8-cache-${os.userInfo().uid}`);
// What else the compiled code depends on: V8 rejects data of another version or flag set anyway;
// keying on them too keeps one entry per source instead of rewriting it back and forth.
const SALT = `${process.version}\0${process.arch}\0${process.execArgv.join(" ")}\0`;

/** Whether a cache folder is ours alone (V8 deserializes what it holds): else nothing is cached. */
const usable = new Map();
function ownCacheDir(dir) {
  if (!usable.has(dir)) {
    let ok = false;
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const st = fs.statSync(dir);
      ok = st.uid === process.getuid() && (st.mode & 0o022) === 0;
    } catch {
      ok = false;
    }
    usable.set(dir, ok);
  }
  return usable.get(dir);
}

function readEntry(file) {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

function writeEntry(file, data) {
  // Write then rename: a concurrent reader (the other worker) sees the whole entry or none.
  const partial = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(partial, data);
    fs.renameSync(partial, file);
  } catch {
    fs.rmSync(partial, { force: true });
  }
}

/**
 * `vm.compileFunction(source, params, options)` with the code cache kept in `dir`. Returns the
 * function and what the cache did: "hit" (V8 took the stored data), "stored" (a miss, now stored),
 * "rejected" (stored data V8 refused, removed), or "off" (the folder is not ours alone).
 */
function compileWithCodeCache(source, params, options, dir = CACHE_DIR) {
  if (!ownCacheDir(dir)) return { fn: vm.compileFunction(source, params, options), cache: "off" };
  const key = crypto
    .createHash("sha256")
    .update(`${SALT}${params.join(",")}\0${source}`)
    .digest("hex");
  const entry = path.join(dir, `${key}.v8`);
  const cachedData = readEntry(entry);
  const fn = vm.compileFunction(source, params, {
    ...options,
    cachedData,
    produceCachedData: cachedData === undefined,
  });
  if (cachedData === undefined) {
    if (fn.cachedDataProduced) writeEntry(entry, fn.cachedData);
    return { fn, cache: "stored" };
  }
  if (fn.cachedDataRejected) {
    fs.rmSync(entry, { force: true });
    return { fn, cache: "rejected" };
  }
  return { fn, cache: "hit" };
}

module.exports = { CACHE_DIR, compileWithCodeCache };
