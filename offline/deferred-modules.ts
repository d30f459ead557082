/**
 * Modules the Pulumi SDK loads at start and the offline tools never call, loaded on first use
 * instead. `@pulumi/pulumi`'s index loads its runtime, whose function serializer (runtime/closure)
 * requires the TypeScript compiler (closure/parseFunction.js, through typescript-shim.js) and npm's
 * Arborist (closure/codePaths.js) at the top of their modules: together about half of the SDK's
 * start-up (docs/scale.md, "Start-up"), in every command, plan worker and test file. They are used
 * only to serialize a function (a dynamic provider written as a closure, `computeCodePaths`); this
 * project's dynamic providers are packaged (components/dynamic-providers.ts), so an offline run
 * never needs them, and if something does, the module loads at that moment, unchanged.
 *
 * Installed by offline/start.ts, which every command (cli/*.ts) and the plan worker
 * (offline/plan/plan-worker.ts) import first, before anything loads `@pulumi/pulumi`. jest has its own module registry, where
 * tests/helpers/deferred-modules-setup.js installs the same stand-ins with `jest.mock`. Not used
 * by the program `pulumi up` runs (index.ts), which the Pulumi CLI's language host loads.
 */
import Module from "module";
import * as path from "path";

/**
 * The deferred modules, as `@pulumi/pulumi` requires them (pulumi/pulumi sdk/nodejs
 * runtime/closure/codePaths.ts `import * as arborist from "@npmcli/arborist"`, used only as
 * `new arborist.Arborist(...)` in computeCodePaths; typescript-shim.ts `require("typescript")`,
 * used as `ts.<function>` by closure/parseFunction.ts, rewriteSuper.ts and utils.ts).
 */
export const DEFERRED_MODULES: readonly string[] = ["typescript", "@npmcli/arborist"];

/** Where the SDK resolves them from: its own folder. */
export function sdkDirectory(): string {
  return path.dirname(require.resolve("@pulumi/pulumi/package.json"));
}

/** The file a deferred module resolves to from the SDK, or undefined when it is not installed. */
export function deferredModuleFile(
  request: string,
  from: string = sdkDirectory(),
): string | undefined {
  try {
    return require.resolve(request, { paths: [from] });
  } catch {
    return undefined;
  }
}

/**
 * A stand-in for a module's exports that loads the module on first use and from then on answers
 * as it. It answers `__esModule` as true without loading, and `default` as the module itself when
 * the module has no own `default`: exactly what TypeScript's `__importStar` / `__importDefault`
 * make of a CommonJS module, so `import * as x`, `import x` and `require` all see the real exports.
 */
export function lazyExports(load: () => object): object {
  let real: Record<PropertyKey, unknown> | undefined;
  const target = (): Record<PropertyKey, unknown> =>
    (real ??= load() as Record<PropertyKey, unknown>);
  return new Proxy(
    {},
    {
      get: (_, key) => {
        if (key === "__esModule") return true;
        const exports = target();
        if (key === "default" && !Object.prototype.hasOwnProperty.call(exports, "default")) {
          return exports;
        }
        return exports[key];
      },
      has: (_, key) => key === "__esModule" || key in target(),
      ownKeys: () => Reflect.ownKeys(target()),
      getOwnPropertyDescriptor: (_, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(target(), key);
        // A proxy may not report a property of its (empty) target as non-configurable.
        return descriptor && { ...descriptor, configurable: true };
      },
      set: (_, key, value) => Reflect.set(target(), key, value),
    },
  );
}

/** Node's CommonJS loader internals this uses (https://nodejs.org/api/modules.html#requirecache). */
interface ModuleStatics {
  _nodeModulePaths(from: string): string[];
}

/**
 * Installs the stand-ins in Node's module cache (`require.cache`, which `require` consults before
 * loading a file: https://nodejs.org/api/modules.html#requirecache). On first use a stand-in
 * removes itself from the cache and requires the real file, which then takes its place for every
 * later `require`. A module already loaded is left as it is. Returns the files deferred.
 */
export function deferModules(
  requests: readonly string[] = DEFERRED_MODULES,
  from?: string,
): string[] {
  const deferred: string[] = [];
  let base: string;
  try {
    base = from ?? sdkDirectory();
  } catch {
    return deferred; // no SDK installed: nothing to defer
  }
  for (const request of requests) {
    const file = deferredModuleFile(request, base);
    if (file === undefined || require.cache[file]) continue;
    const stand = new Module(file);
    stand.filename = file;
    stand.paths = (Module as unknown as ModuleStatics)._nodeModulePaths(path.dirname(file));
    stand.loaded = true;
    stand.exports = lazyExports(() => {
      if (require.cache[file] === stand) delete require.cache[file];
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(file) as object;
    });
    require.cache[file] = stand;
    deferred.push(file);
  }
  return deferred;
}
