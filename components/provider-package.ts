/**
 * The entry point of the package @mlplatform/dynamic-providers (packages/dynamic-providers): the
 * dynamic providers' implementations, compiled to plain JavaScript into the package's lib/ by
 * packages/dynamic-providers/build.js. The one-line provider texts kept in the Pulumi state
 * (./dynamic-providers.ts providerText) return `provider(kind, policy)` to the engine's provider
 * host, which calls its methods.
 */
import { droneRepositoryProvider } from "./drone/repository-provider";
import { droneSecretProvider } from "./drone/secret-provider";
import { droneSecretSetProvider } from "./drone/secret-set-provider";
import { gitCommitProvider } from "./github/commit-provider";

type Factory = (policy?: never) => object;

const FACTORIES: Record<string, Factory> = {
  droneRepository: droneRepositoryProvider as Factory,
  droneSecret: droneSecretProvider as Factory,
  droneSecretSet: droneSecretSetProvider as Factory,
  gitCommit: gitCommitProvider as Factory,
};

const built = new Map<string, object>();

/**
 * The implementation of `kind` with `policy` (the implementation's default limits when undefined),
 * built once per process and policy.
 */
export function provider(kind: string, policy?: Record<string, unknown>): object {
  const factory = Object.prototype.hasOwnProperty.call(FACTORIES, kind)
    ? FACTORIES[kind]
    : undefined;
  if (factory === undefined) {
    const error = new Error(
      `@mlplatform/dynamic-providers: no provider "${kind}" (known: ${Object.keys(FACTORIES).join(", ")}); the installed package is older than the state that names it: run \`npm ci\` in the project, then run the command again.`,
    );
    error.stack = error.message;
    throw error;
  }
  const key = `${kind}\0${JSON.stringify(policy ?? null)}`;
  let made = built.get(key);
  if (made === undefined) {
    made = factory(policy as never);
    built.set(key, made);
  }
  return made;
}

/** The kinds this package serves. */
export const PROVIDER_KINDS = Object.keys(FACTORIES);
