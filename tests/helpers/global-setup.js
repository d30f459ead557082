/**
 * Runs once before any test file: compiles dist/ and builds the provider package
 * (packages/dynamic-providers/lib) when a source is newer than their last build
 * (cli/build-if-stale.js, what every `npm run <command>` does first), so the test files that run
 * the compiled commands or load the package find them fresh and never start two builds at once.
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
      `cli/build-if-stale.js could not build dist/ and packages/dynamic-providers/lib:\n${result.stdout}${result.stderr}`,
    );
  }
};
