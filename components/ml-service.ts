import * as pulumi from "@pulumi/pulumi";
import { ResolvedService } from "../lib/catalog/types";
import { physicalNames } from "../lib/names";
import { StackSettings } from "../lib/settings";
import { ArtifactStore } from "./artifact-store";
import { ContainerRegistry } from "./container-registry";
import { MlflowTracking } from "./mlflow-tracking";
import { ServiceIdentities } from "./service-identities";
import { SourceRepository } from "./source-repository";
import { serviceTags } from "./tags";
import { TrainingJobs } from "./training-jobs";
import { DroneServicePipeline } from "./drone";
import { RepositoryContent } from "./repository-content";
import { renderServiceRepository } from "../lib/render";

export interface MlServiceArgs {
  /** The validated catalog entry, with this stack's defaults resolved. */
  service: ResolvedService;
  settings: StackSettings;
  /** AWS account id of the stack (from its one getCallerIdentity call). */
  accountId: string;
  /** Image reference of the platform base image that service Dockerfiles build on. */
  baseImageRef: string;
  /** Drone token of the platform (a secret), used to activate the repository and set its secrets. */
  droneToken: pulumi.Input<string>;
  /** GitHub token of the platform (a secret): the template's files are committed with it. */
  githubToken: pulumi.Input<string>;
  /** Managed template files (path -> digest) as deployed last time; undefined on the first deployment. */
  previousManagedFiles?: Record<string, string>;
}

/** Identifiers of one service, exported per service as stack outputs. */
export interface MlServiceOutputs {
  repositoryUrl?: pulumi.Output<string>;
  ecrRepositoryUrl: pulumi.Output<string>;
  artifactsBucket: pulumi.Output<string>;
  predictionsBucket: pulumi.Output<string>;
  trainingJobId?: pulumi.Output<string>;
  batchPredictionJobId?: pulumi.Output<string>;
  experimentId: pulumi.Output<string>;
  registeredModel: pulumi.Output<string>;
  /** Managed template files (path -> digest), fed back as previousManagedFiles next time. */
  managedFiles?: Record<string, string>;
}

/**
 * Everything one ML service needs in one environment, wired by outputs. MlService only composes:
 * each piece is its own component. A decommissioned service keeps only its data-bearing pieces
 * (retained, unprotected) so that removing its entry afterwards deletes nothing that holds data.
 */
export class MlService extends pulumi.ComponentResource {
  public readonly outputs: MlServiceOutputs;

  constructor(name: string, args: MlServiceArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("mlplatform:service:MlService", name, {}, opts);
    const { service, settings } = args;
    const env = settings.environment;
    const names = physicalNames(service.name, env, settings.namePrefix);
    const tags = serviceTags({
      service: service.name,
      team: service.team,
      environment: env,
      accountTags: settings.accountTags,
    });
    const child = { parent: this };
    const active = !service.decommissioned;
    const protect = settings.protectData && active;
    const ownsSource = env === service.sourceEnvironment;

    const registry = new ContainerRegistry(
      `${name}-images`,
      { repositoryName: names.ecrRepository, tags, protect },
      child,
    );
    const store = new ArtifactStore(
      `${name}-store`,
      {
        artifactsBucketName: names.artifactsBucket,
        predictionsBucketName: names.predictionsBucket,
        retentionDays: service.artifacts.retentionDays,
        tags,
        protect,
      },
      child,
    );
    const repository = ownsSource
      ? new SourceRepository(
          `${name}-repo`,
          {
            repositoryName: names.repository,
            description: service.description,
            visibility: service.repository.visibility,
            topics: [
              ...new Set([
                "ml-service",
                service.team,
                service.template,
                ...service.repository.topics,
              ]),
            ],
            teamSlug: service.team,
            secretScanning: settings.githubPlan === "enterprise",
            protect,
          },
          child,
        )
      : undefined;

    let identities: ServiceIdentities | undefined;
    let jobs: TrainingJobs | undefined;
    if (active) {
      identities = new ServiceIdentities(
        `${name}-identities`,
        {
          ciRoleName: names.ciRole,
          clusterRoleName: names.clusterRole,
          servicePrincipalName: names.servicePrincipal,
          droneRunnerRoleArn: settings.droneRunnerRoleArn,
          ecrRepositoryArn: registry.arn,
          artifactsBucketArn: store.artifacts.arn,
          predictionsBucketArn: store.predictions.arn,
          tags,
        },
        child,
      );
      registry.grantAccess(identities.clusterRole.arn, identities.ciRole.arn);
    }
    const tracking = new MlflowTracking(
      `${name}-tracking`,
      {
        experimentPath: names.experimentPath,
        registeredModelName: names.registeredModel,
        artifactsBucketName: store.artifacts.bucketName,
        teamGroup: service.team,
        servicePrincipalClientId: identities?.servicePrincipalClientId,
        description: service.description,
        tags,
        protect,
      },
      child,
    );
    if (identities) {
      jobs = new TrainingJobs(
        `${name}-jobs`,
        {
          pythonPackage: names.pythonPackage,
          training: { ...service.training, jobName: names.trainingJob },
          batchPrediction: service.batchPrediction && {
            ...service.batchPrediction,
            jobName: names.batchPredictionJob,
          },
          scheduleInDatabricks: settings.orchestrator === "databricks",
          sparkVersion: settings.sparkVersion,
          imageRepositoryUrl: registry.repositoryUrl,
          instanceProfileArn: identities.databricksInstanceProfile.id,
          secretScopeName: names.secretScope,
          servicePrincipalClientId: identities.servicePrincipalClientId,
          servicePrincipalSecret: identities.servicePrincipalSecret,
          teamGroup: service.team,
          notificationEmails: service.notifications.emails,
          environment: {
            MLFLOW_TRACKING_URI: "databricks",
            MLFLOW_EXPERIMENT_ID: tracking.experimentId,
            MLFLOW_REGISTERED_MODEL: tracking.registeredModelName,
            ARTIFACTS_BUCKET: store.artifacts.bucketName,
            PREDICTIONS_BUCKET: store.predictions.bucketName,
            SERVICE_NAME: service.name,
            SERVICE_ENVIRONMENT: env,
          },
          tags,
        },
        child,
      );
    }
    let content: RepositoryContent | undefined;
    if (repository && active && identities && jobs) {
      content = new RepositoryContent(
        `${name}-content`,
        {
          apiUrl: settings.githubApiUrl,
          token: args.githubToken,
          owner: settings.githubOrganization,
          repository: repository.repositoryName,
          branch: repository.defaultBranch,
          files: renderServiceRepository(service, settings, {
            baseImage: args.baseImageRef,
            accountId: args.accountId,
            defaultBranch: repository.defaultBranch,
          }),
          previousManagedFiles: args.previousManagedFiles,
        },
        { parent: this, dependsOn: [repository.repository] },
      );
      // Protection goes on after the initial commit, so creation needs no pull request.
      repository.protectDefaultBranch([content]);
      new DroneServicePipeline(
        `${name}-ci`,
        {
          server: settings.droneServer,
          token: args.droneToken,
          owner: settings.githubOrganization,
          repositoryName: repository.repositoryName,
          secrets: {
            ciRoleArn: identities.ciRole.arn,
            ecrRepositoryUrl: registry.repositoryUrl,
            databricksHost: settings.databricksHost,
            databricksClientId: identities.servicePrincipalClientId,
            databricksClientSecret: identities.servicePrincipalSecret,
            trainingJobId: jobs.trainingJobId,
            mlflowTrackingUri: "databricks",
            mlflowExperimentId: tracking.experimentId,
          },
        },
        { parent: this, dependsOn: [content] },
      );
    }

    this.outputs = {
      repositoryUrl: repository?.htmlUrl,
      ecrRepositoryUrl: registry.repositoryUrl,
      artifactsBucket: store.artifacts.bucketName,
      predictionsBucket: store.predictions.bucketName,
      trainingJobId: jobs?.trainingJobId,
      batchPredictionJobId: jobs?.batchPredictionJobId,
      experimentId: tracking.experimentId,
      registeredModel: tracking.registeredModelName,
      managedFiles: content?.managedFiles,
    };
    this.registerOutputs({ ...this.outputs });
  }
}
