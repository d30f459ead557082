/** The Drone CI integration: dynamic providers over Drone's REST API. */
export { DroneRepository } from "./drone-repository";
export type { DroneConnectionArgs, DroneRepositoryArgs } from "./drone-repository";
export { DroneSecret } from "./drone-secret";
export { DroneRepositorySecrets } from "./drone-repository-secrets";
export type { DroneRepositorySecretsArgs, DroneSecretEntryArgs } from "./drone-repository-secrets";
export type { DroneSecretArgs } from "./drone-secret";
export { DroneServicePipeline, SERVICE_REPOSITORY_SETTINGS } from "./service-pipeline";
export type { DroneServicePipelineArgs, DroneServiceRepositorySettings } from "./service-pipeline";
export { DEFAULT_RETRY_POLICY } from "./client";
export type { DroneRetryPolicy } from "./client";
export { DRONE_REPOSITORY_DEFAULTS } from "./validation";
export type { DroneRepositorySettings, DroneVisibility } from "./validation";
