/**
 * The platform's dynamic resources, and what the Pulumi state keeps of their provider.
 *
 * A dynamic resource's `__provider` input is the text of a CommonJS module whose `handler()`
 * returns the provider: the provider host evaluates it with `require-from-string` and calls the
 * methods of what `handler()` returns (@pulumi/pulumi cmd/dynamic-provider/index.js getProvider:
 * `requireFromString(providerString).handler()`), and keeps it twice, in the inputs and in the
 * outputs (resultIncludingProvider). `pulumi.dynamic.Resource` only sets that input to the closure
 * serializer's text of the provider object and registers a CustomResource of type
 * `pulumi-nodejs:dynamic/<module>:<type>` (@pulumi/pulumi dynamic/index.js Resource,
 * serializeProvider). The serializer wraps every method in about 350 bytes, so even a stub that
 * only `require`s the package is 2 KB per copy; here the resources register that same type with a
 * one-line module instead (`providerText`), about 100 bytes, which `require`s the installed
 * package @mlplatform/dynamic-providers (the implementations, compiled to JavaScript in
 * packages/dynamic-providers/lib) and returns its implementation. `require-from-string` gives the
 * module no file name, so `require` resolves from the host's working directory, the project
 * (require-from-string index.js: `Module._nodeModulePaths(path.dirname(filename))` with
 * `filename` defaulting to ""; pulumi-resource-pulumi-nodejs resolves @pulumi/pulumi from there too).
 */
import * as pulumi from "@pulumi/pulumi";

/** The package the provider texts load; packages/dynamic-providers, a `file:` dependency of the project. */
export const PROVIDER_PACKAGE = "@mlplatform/dynamic-providers";

/**
 * The dynamic resource type each provider serves (`pulumi-nodejs:dynamic/<module>:<type>`, the
 * token pulumi.dynamic.Resource gives: @pulumi/pulumi dynamic/index.js Resource).
 */
export const PROVIDER_TYPES = {
  droneRepository: "pulumi-nodejs:dynamic/drone:Repository",
  droneSecret: "pulumi-nodejs:dynamic/drone:Secret",
  droneSecretSet: "pulumi-nodejs:dynamic/drone:RepositorySecrets",
  gitCommit: "pulumi-nodejs:dynamic/github:Commit",
} as const;

export type ProviderKind = keyof typeof PROVIDER_TYPES;

/** The input the provider host reads the provider from (cmd/dynamic-provider/index.js providerKey). */
export const PROVIDER_KEY = "__provider";

/**
 * The `__provider` text of `kind`: a module whose `handler()` returns the package's
 * implementation of `kind`, built with `policy` (the implementation's default limits when
 * undefined) once per provider host process.
 */
export function providerText(kind: ProviderKind, policy?: Record<string, unknown>): string {
  const args = [kind, ...(policy === undefined ? [] : [policy])].map((a) => JSON.stringify(a));
  return `exports.handler = () => require(${JSON.stringify(PROVIDER_PACKAGE)}).provider(${args.join(", ")});\n`;
}

/**
 * A resource of one of the platform's dynamic providers: what `pulumi.dynamic.Resource` would
 * register (same type token, same inputs), with `providerText(kind)` as its `__provider`.
 */
export class PackagedDynamicResource extends pulumi.CustomResource {
  constructor(
    kind: ProviderKind,
    name: string,
    props: pulumi.Inputs,
    opts?: pulumi.CustomResourceOptions,
  ) {
    if (PROVIDER_KEY in props) {
      // As pulumi.dynamic.Resource refuses it: the key is the host's.
      throw new Error(`A dynamic resource must not define the ${PROVIDER_KEY} key`);
    }
    super(PROVIDER_TYPES[kind], name, { ...props, [PROVIDER_KEY]: providerText(kind) }, opts);
  }
}
