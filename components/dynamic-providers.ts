/**
 * The provider objects the dynamic resources pass to `pulumi.dynamic.Resource`, and what the
 * Pulumi state keeps of them.
 *
 * The SDK serializes the provider object with its closure into the resource's `__provider` input
 * (@pulumi/pulumi dynamic/index.js serializeProvider: `serializeFunction(() => provider)`), and the
 * engine keeps it twice, in the inputs and in the outputs (cmd/dynamic-provider/index.js
 * resultIncludingProvider). The implementations are tens of KB of code, so the state holds only a
 * stub: each method `require`s the installed package @mlplatform/dynamic-providers (the same
 * implementations, compiled to JavaScript in packages/dynamic-providers/lib) and calls it. The
 * closure serializer leaves `require` calls as they are (runtime/closure/parseFunction.js
 * nodeModuleGlobals), and the provider host evaluates the text with `require-from-string` whose
 * module paths start at its working directory, the project (cmd/dynamic-provider/index.js
 * getProvider; pulumi-resource-pulumi-nodejs resolves @pulumi/pulumi from there too).
 */
import type * as pulumi from "@pulumi/pulumi";

/** The package the stubs load; packages/dynamic-providers, a `file:` dependency of the project. */
export const PROVIDER_PACKAGE = "@mlplatform/dynamic-providers";

/** The methods of each implementation: a stub defines exactly these (the host skips the others). */
export const PROVIDER_METHODS = {
  droneRepository: ["check", "diff", "create", "update", "read", "delete"],
  droneSecret: ["check", "diff", "create", "update", "read", "delete"],
  droneSecretSet: ["check", "diff", "create", "update", "read", "delete"],
  gitCommit: ["check", "diff", "create", "update", "delete"],
} as const;

export type ProviderKind = keyof typeof PROVIDER_METHODS;

/** The dynamic resource type each provider serves (`pulumi-nodejs:dynamic/<module>:<type>`). */
export const PROVIDER_TYPES: Record<ProviderKind, string> = {
  droneRepository: "pulumi-nodejs:dynamic/drone:Repository",
  droneSecret: "pulumi-nodejs:dynamic/drone:Secret",
  droneSecretSet: "pulumi-nodejs:dynamic/drone:RepositorySecrets",
  gitCommit: "pulumi-nodejs:dynamic/github:Commit",
};

/**
 * A provider whose serialized form is about 2 KB: every method loads the package's
 * implementation of `kind` (built once per provider host process, with `policy` or the
 * implementation's default limits) and hands it the engine's arguments.
 */
export function packagedProvider(
  kind: ProviderKind,
  policy?: Record<string, unknown>,
): pulumi.dynamic.ResourceProvider {
  const stub: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const m of PROVIDER_METHODS[kind]) {
    // Short: this text is what the state keeps, once per method. The package resolves from the
    // project's node_modules in the provider host (see the file comment).
    /* eslint-disable @typescript-eslint/no-require-imports */
    stub[m] = (...a) =>
      require("@mlplatform/dynamic-providers")
        .provider(kind, policy)
        [m](...a);
    /* eslint-enable @typescript-eslint/no-require-imports */
  }
  return stub as unknown as pulumi.dynamic.ResourceProvider;
}

/** Created once per process: the SDK serializes a provider object once (dynamic/index.js providerCache). */
export const DYNAMIC_PROVIDERS: Record<ProviderKind, pulumi.dynamic.ResourceProvider> = {
  droneRepository: packagedProvider("droneRepository"),
  droneSecret: packagedProvider("droneSecret"),
  droneSecretSet: packagedProvider("droneSecretSet"),
  gitCommit: packagedProvider("gitCommit"),
};
