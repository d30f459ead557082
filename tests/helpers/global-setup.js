/**
 * Runs once before any test file: compiles dist/ when a source is newer than the last build
 * (cli/build-if-stale.js, what every `npm run <command>` does first), so the test files that run
 * the compiled commands find it fresh and never start two builds at once on the same files.
 * https://jestjs.io/docs/configuration#globalsetup-string
 * Plain JavaScript: jest runs it before anything is transformed.
 */
"use strict";
const { spawnSync } = require("child_process");
const path = require("path");

const ROOT = path.join(__dirname, "..", "..");

module.exports = async function globalSetup() {
  const result = spawnSync(process.execPath, [path.join(ROOT, "cli", "build-if-stale.js")], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 600_000,
  });
  if (result.status !== 0) {
    throw new Error(
      `cli/build-if-stale.js could not build dist/:\n${result.stdout}${result.stderr}`,
    );
  }
};
