/**
 * `node -r ./tests/helpers/ts-register.js x.ts`: runs a TypeScript command in a test's child
 * process like `-r ts-node/register/transpile-only` does (each file on its own through
 * `ts.transpileModule` with tsconfig.json's compiler options, no type-check), but keeps each
 * transpiled file on disk keyed by a hash of its text and of those options, so that the tests'
 * many child processes load TypeScript and transpile the program only once between them.
 * Plain JavaScript: it runs before anything can compile TypeScript.
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");

const ROOT = path.join(__dirname, "..", "..");
const TSCONFIG = path.join(ROOT, "tsconfig.json");
const TS_VERSION = require("typescript/package.json").version;
const CACHE_DIR =
  process.env.MLPLATFORM_TS_CACHE_DIR ||
  path.join(os.tmpdir(), `mlplatform-ts-cache-${os.userInfo().uid}`);
const SALT = crypto
  .createHash("sha256")
  .update(`${TS_VERSION}\0${fs.readFileSync(TSCONFIG, "utf8")}\0${process.version}`)
  .digest("hex");

let compiler; // { ts, options }, loaded on the first cache miss only
function transpile(source, filename) {
  if (!compiler) {
    const ts = require("typescript");
    const read = ts.readConfigFile(TSCONFIG, ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT);
    // The options ts-node's transpile-only mode passes (node_modules/ts-node/dist/index.js).
    const options = { ...parsed.options, module: ts.ModuleKind.CommonJS, noEmit: false };
    delete options.outDir;
    compiler = { ts, options };
  }
  const result = compiler.ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: compiler.options,
    reportDiagnostics: true,
  });
  // Syntax errors stop the command, as with ts-node (nothing is cached then).
  if (result.diagnostics && result.diagnostics.length > 0) {
    const host = {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => ROOT,
      getNewLine: () => "\n",
    };
    throw new Error(compiler.ts.formatDiagnostics(result.diagnostics, host));
  }
  return result.outputText;
}

/** Whether the cache folder is ours alone (code read from it runs): else nothing is cached. */
let cacheUsable;
function ownCacheDir() {
  if (cacheUsable === undefined) {
    fs.mkdirSync(CACHE_DIR, { recursive: true, mode: 0o700 });
    const st = fs.statSync(CACHE_DIR);
    cacheUsable = st.uid === process.getuid() && (st.mode & 0o022) === 0;
  }
  return cacheUsable;
}

require.extensions[".ts"] = function loadTs(module, filename) {
  const source = fs.readFileSync(filename, "utf8");
  if (!ownCacheDir()) return module._compile(transpile(source, filename), filename);
  const key = crypto.createHash("sha256").update(`${SALT}\0${filename}\0${source}`).digest("hex");
  const cached = path.join(CACHE_DIR, `${key}.js`);
  let output;
  try {
    output = fs.readFileSync(cached, "utf8");
  } catch {
    output = transpile(source, filename);
    // Write then rename: a concurrent reader sees the whole file or none.
    const partial = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(partial, output);
    fs.renameSync(partial, cached);
  }
  module._compile(output, filename);
};
