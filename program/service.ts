/**
 * The composition of one service: the program's mapping from a resolved catalog entry and the
 * stack's settings to each component's Args (physical names, tags, Quartz schedules, rendered
 * files and DAG, pipeline secrets, the image's delivery). The components under components/ take
 * only those Args; everything they are given is computed here.
 */
import * as pulumi from "@pulumi/pulumi";
import { AirflowDag, AirflowDagArgs } from "../components/airflow-dag";
import { ArtifactStore } from "../components/artifact-store";
import { ContainerRegistry } from "../components/container-registry";
import { DroneServicePipeline } from "../components/drone";
import { COPY_IMAGE_SCRIPT_PATH, ImageCopy } from "../components/image-promotion/image-copy";
import { MlflowTracking } from "../components/mlflow-tracking";
import { RepositoryContent } from "../components/repository-content";
import { ServiceIdentities } from "../components/service-identities";
import { SourceRepository } from "../components/source-repository";
import { serviceTags } from "../components/tags";
import { JobImage, JobSpec, TrainingJobs } from "../components/training-jobs";
import { toQuartz } from "../catalog/cron";
import { ResolvedService } from "../catalog/types";
import { copySessionPolicy, ecrRepositoryArn, ImageSource, promotionRoleArn } from "./delivery";
import { airflowDagKey, effectiveNames } from "../catalog/names";
import { PIPELINE_SECRETS, PipelineSecretKey } from "./pipeline-secrets";
import { PROJECT_ROOT } from "../lib/project-root";
import { AIRFLOW_DAG_CONTENT_TYPE, renderAirflowDag, renderServiceRepository } from "./render";
import { StackSettings } from "../catalog/settings";

export interface MlServiceArgs {
  /** The validated catalog entry, with this stack's defaults resolved. */
  service: ResolvedService;
  settings: StackSettings;
  /** AWS account id of the stack (from its one getCallerIdentity call). */
  accountId: string;
  /** Image reference of the platform base image that service Dockerfiles build on. */
  baseImageRef: string;
  /** Tag of the base image (its content hash). */
  baseImageTag: string;
  /** ARN of the platform base image's repository. */
  baseImageRepositoryArn: string;
  /** Where this environment's image comes from (program/delivery.ts imageSource). */
  imageSource: ImageSource;
  /** Promotion roles of the service's other environments: they may read its source registry. */
  promotionReaders: string[];
  /** Production environments of every stack: the repository's Backstage lifecycle. Defaults to this stack's. */
  productionEnvironments?: readonly string[];
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
  /** The image the jobs run (the pinned one, or the platform's placeholder). */
  image?: pulumi.Output<string>;
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
    const adopt = service.adopt?.[env] ?? {};
    const names = effectiveNames(service.name, env, settings.namePrefix, adopt);
    const tags = serviceTags({
      service: service.name,
      team: service.team,
      environment: env,
      accountTags: settings.accountTags,
      production: settings.production,
    });
    const child = { parent: this };
    const active = !service.decommissioned;
    const protect = settings.protectData && active;
    const ownsSource = env === service.sourceEnvironment;

    const registry = new ContainerRegistry(
      `${name}-images`,
      { repositoryName: names.ecrRepository, tags, protect, importId: adopt.ecrRepository },
      child,
    );
    const store = new ArtifactStore(
      `${name}-store`,
      {
        artifactsBucketName: names.artifactsBucket,
        predictionsBucketName: names.predictionsBucket,
        artifactsImportId: adopt.artifactsBucket,
        predictionsImportId: adopt.predictionsBucket,
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
            importId: adopt.repository,
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
            organisation: {
              plan: settings.githubPlan,
              secretProtection: settings.githubSecretProtection,
            },
            defaultBranch: settings.githubDefaultBranch,
            // A decommissioned service's repository is archived: retained, and read-only.
            archived: service.decommissioned,
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
          // Only the environment that builds images has a CI identity (never a production one).
          ci: ownsSource
            ? { roleName: names.ciRole, droneRunnerRoleArn: settings.droneRunnerRoleArn }
            : undefined,
          clusterRoleName: names.clusterRole,
          servicePrincipalName: names.servicePrincipal,
          secretLifetimeDays: settings.servicePrincipalSecretDays,
          ecrRepositoryArn: registry.arn,
          baseImageRepositoryArn: args.baseImageRepositoryArn,
          artifactsBucketArn: store.artifacts.arn,
          predictionsBucketArn: store.predictions.arn,
          tags,
        },
        child,
      );
      const ciRole = identities.ciRole;
      registry.grantAccess({
        pull: [identities.clusterRole.arn, settings.deployRoleArn, ...args.promotionReaders],
        push: ciRole ? [ciRole.arn] : [promotionRoleArn(settings)],
      });
    }
    const tracking = new MlflowTracking(
      `${name}-tracking`,
      {
        experimentPath: names.experimentPath,
        model: adoptedModel(adopt.registeredModel) ?? {
          catalog: settings.modelCatalog,
          schema: settings.modelSchema,
          name: names.registeredModel,
        },
        importIds: { experiment: adopt.experiment, model: adopt.registeredModel },
        legacyWorkspaceModelName: settings.legacyWorkspaceModels ? names.workspaceModel : undefined,
        artifactsBucketName: store.artifacts.bucketName,
        teamGroup: service.team,
        servicePrincipalClientId: identities?.servicePrincipalClientId,
        retiredOwner: settings.databricksClientId,
        tags,
        protect,
      },
      child,
    );
    let image: JobImage | undefined;
    const scheduleInDatabricks = settings.orchestrator === "databricks";
    if (identities) {
      image = this.jobImage(name, args, registry);
      jobs = new TrainingJobs(
        `${name}-jobs`,
        {
          pythonPackage: names.pythonPackage,
          importIds: { training: adopt.trainingJob, batchPrediction: adopt.batchPredictionJob },
          training: jobSpec(service.training, names.trainingJob, scheduleInDatabricks),
          batchPrediction:
            service.batchPrediction &&
            jobSpec(service.batchPrediction, names.batchPredictionJob, scheduleInDatabricks),
          scheduleInDatabricks,
          runners:
            settings.orchestrator === "airflow" &&
            settings.airflowPrincipal !== "" &&
            settings.airflowPrincipal !== settings.databricksClientId
              ? [settings.airflowPrincipal]
              : [],
          sparkVersion: settings.sparkVersion,
          image,
          instanceProfileArn: identities.databricksInstanceProfile.id,
          secretScopeName: names.secretScope,
          servicePrincipalClientId: identities.servicePrincipalClientId,
          servicePrincipalSecret: identities.servicePrincipalSecret,
          teamGroup: service.team,
          notificationEmails: service.notifications.emails,
          environment: {
            MLFLOW_TRACKING_URI: "databricks",
            // Models live in Unity Catalog: aliases exist only there (MLflow's workspace
            // registry store refuses alias calls).
            MLFLOW_REGISTRY_URI: "databricks-uc",
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
    if (active && jobs && settings.orchestrator === "airflow") {
      // Airflow triggers the jobs here (they have no Databricks schedule): the service's DAG file,
      // naming the jobs by id, goes to the environment's DAG bucket.
      new AirflowDag(`${name}-dag`, airflowDagArgs(service, settings, jobs), child);
    }
    let content: RepositoryContent | undefined;
    const ciRole = identities?.ciRole;
    if (repository && active && identities && ciRole && jobs) {
      content = new RepositoryContent(
        `${name}-content`,
        {
          apiUrl: settings.githubApiUrl,
          token: args.githubToken,
          owner: settings.githubOrganization,
          repository: repository.repositoryName,
          branch: repository.defaultBranch,
          repositoryDefaultBranch: repository.githubDefaultBranch,
          files: renderServiceRepository(service, settings, {
            baseImage: args.baseImageRef,
            accountId: args.accountId,
            defaultBranch: repository.defaultBranch,
            productionEnvironments: args.productionEnvironments,
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
          secrets: pipelineSecrets({
            ciRoleArn: ciRole.arn,
            ecrRepositoryUrl: registry.repositoryUrl,
            databricksHost: settings.databricksHost,
            databricksClientId: identities.servicePrincipalClientId,
            databricksClientSecret: identities.servicePrincipalSecret,
            trainingJobId: jobs.trainingJobId,
            mlflowTrackingUri: "databricks",
            mlflowExperimentId: tracking.experimentId,
          }),
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
      image: image && pulumi.output(image.url),
      managedFiles: content?.managedFiles,
    };
    this.registerOutputs({ ...this.outputs });
  }

  /**
   * The image both jobs run in this environment. A pin is verified (where the image was built) or
   * copied by digest (elsewhere) before any job points at it; without a pin the jobs run the base
   * image's placeholder, which exists: no job ever points at an image that does not.
   */
  private jobImage(name: string, args: MlServiceArgs, registry: ContainerRegistry): JobImage {
    const source = args.imageSource;
    if (source.kind === "placeholder") {
      return {
        url: args.baseImageRef,
        gitSha: "unknown",
        tag: args.baseImageTag,
        digest: "unknown",
        placeholder: true,
      };
    }
    const { settings } = args;
    const promoted = source.kind === "promoted";
    const targetArn = ecrRepositoryArn(
      settings,
      effectiveNames(
        args.service.name,
        settings.environment,
        settings.namePrefix,
        args.service.adopt?.[settings.environment],
      ).ecrRepository,
    );
    const copy = new ImageCopy(
      `${name}-image`,
      {
        sourceRepositoryUrl: promoted ? source.sourceRepositoryUrl : registry.repositoryUrl,
        targetRepositoryUrl: registry.repositoryUrl,
        gitSha: source.pin.gitSha,
        digest: source.pin.digest,
        region: settings.awsRegion,
        roleArn: promoted ? promotionRoleArn(settings) : undefined,
        sessionPolicy: promoted
          ? copySessionPolicy(source.sourceRepositoryArn, targetArn)
          : undefined,
        scriptPath: COPY_IMAGE_SCRIPT_PATH,
        projectRoot: PROJECT_ROOT,
      },
      // The target repository's policy must let the promotion role push before the copy runs.
      { parent: this, dependsOn: [registry] },
    );
    return {
      url: copy.imageRef,
      gitSha: source.pin.gitSha,
      tag: source.pin.gitSha,
      digest: source.pin.digest,
      placeholder: false,
    };
  }
}

/** An adopted Unity Catalog model's parts (`<catalog>.<schema>.<model>`, validated by the schema). */
function adoptedModel(
  fullName: string | undefined,
): { catalog: string; schema: string; name: string } | undefined {
  if (!fullName) return undefined;
  const [catalog, schema, name] = fullName.split(".");
  return { catalog, schema, name };
}

/**
 * One job's settings as TrainingJobs takes them: the physical name, and the entry's cron converted
 * to the Quartz expression of a Databricks schedule (only where Databricks schedules the runs).
 */
export function jobSpec(
  entry: ResolvedService["training"],
  jobName: string,
  scheduleInDatabricks: boolean,
): JobSpec {
  return {
    jobName,
    entryPoint: entry.entryPoint,
    nodeType: entry.nodeType,
    workers: entry.workers,
    timeoutMinutes: entry.timeoutMinutes,
    retries: entry.retries,
    schedule:
      scheduleInDatabricks && entry.schedule
        ? { quartzCronExpression: toQuartz(entry.schedule), timezoneId: entry.timezone }
        : undefined,
  };
}

/**
 * The service's DAG file as AirflowDag takes it: rendered once with stand-in ids now, so a bad
 * entry or stack file fails at declaration, not in the middle of an update; the content itself
 * once the jobs have their ids.
 */
export function airflowDagArgs(
  service: ResolvedService,
  settings: StackSettings,
  jobs: { trainingJobId: pulumi.Input<string>; batchPredictionJobId?: pulumi.Input<string> },
): AirflowDagArgs {
  renderAirflowDag(service, settings, {
    training: "0",
    batchPrediction: service.batchPrediction ? "0" : undefined,
  });
  return {
    bucket: settings.airflowDagBucket,
    key: airflowDagKey(service.name, settings),
    content: pulumi
      .all([jobs.trainingJobId, jobs.batchPredictionJobId])
      .apply(
        ([training, batchPrediction]) =>
          renderAirflowDag(service, settings, { training, batchPrediction }).content,
      ),
    contentType: AIRFLOW_DAG_CONTENT_TYPE,
  };
}

/** The pipeline's secrets by their Drone names (program/pipeline-secrets.ts), in its order. */
export function pipelineSecrets(
  values: Record<PipelineSecretKey, pulumi.Input<string>>,
): Record<string, pulumi.Input<string>> {
  const keys = Object.keys(PIPELINE_SECRETS) as PipelineSecretKey[];
  return Object.fromEntries(keys.map((key) => [PIPELINE_SECRETS[key].name, values[key]]));
}
