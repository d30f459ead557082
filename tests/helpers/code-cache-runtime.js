/**
 * jest's module runtime with V8's code cache: jest-runtime compiles each module a test file loads
 * with `vm.compileFunction` and no cache, in every test file anew (each file has its own module
 * registry), so the ~1,400 modules of the program and its providers were parsed and compiled again
 * in each of the suite's files. This runtime compiles them through tests/helpers/v8-code-cache.js
 * (the stored compile of the same source, from an earlier file or run); the rest is jest-runtime's.
 * https://jestjs.io/docs/configuration#runtime-string (the option jest-runner reads:
 * jestjs/jest packages/jest-runner/src/testWorker.ts, `projectConfig.runtime`)
 * Plain JavaScript: jest requires the runtime before it can transform anything.
 */
"use strict";
const vm = require("vm");
const Runtime = require("jest-runtime").default;
const { handlePotentialSyntaxError } = require("@jest/transform");
const { compileWithCodeCache } = require("./v8-code-cache");

// jest-runtime's own check (node_modules/jest-runtime/build/index.js, runtimeSupportsVmModules).
const SUPPORTS_VM_MODULES = typeof vm.SyntheticModule === "function";

class CodeCacheRuntime extends Runtime {
  /** jest-runtime's createScriptFromCode (jest-runtime 30.2.0), compiled with the code cache. */
  createScriptFromCode(scriptSource, filename) {
    const vmContext = this._environment.getVmContext();
    if (vmContext == null) return null;
    try {
      const scriptFilename = this._resolver.isCoreModule(filename)
        ? `jest-nodejs-core-${filename}`
        : filename;
      return compileWithCodeCache(scriptSource, this.constructInjectedModuleParameters(), {
        filename: scriptFilename,
        importModuleDynamically: async (specifier) => {
          if (!SUPPORTS_VM_MODULES) {
            throw new Error(
              "You need to run with a version of node that supports ES Modules in the VM API. See https://jestjs.io/docs/ecmascript-modules",
            );
          }
          const module = await this.resolveModule(specifier, scriptFilename, vmContext);
          return this.linkAndEvaluateModule(module);
        },
        parsingContext: vmContext,
      }).fn;
    } catch (error) {
      throw handlePotentialSyntaxError(error);
    }
  }
}

module.exports = CodeCacheRuntime;
