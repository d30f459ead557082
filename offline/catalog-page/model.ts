/**
 * What the catalog page shows: every service, its template, schedules, owners and, per stack,
 * what runs where. Without a stack's outputs everything is what the offline plan declares: names
 * as text, marked planned, never a link built from the plan's placeholder ids. With them, links
 * carry the real ids the deployment exported.
 */
import cronstrue from "cronstrue";
import { ServiceEntry } from "../../catalog/types";
import { PlanDocument, PlanService } from "../plan/types";
import { DeployedService, ECR_REPOSITORY_URL, StackOutputs } from "./outputs";

export interface StackView {
  stack: string;
  environment: string;
  githubOrganization: string;
  awsRegion: string;
  databricksHost: string;
  plan: PlanDocument;
  /** The stack's real outputs, when given. */
  outputs?: StackOutputs;
}

/** One resource of a deployment: a link to it once deployed, its planned name otherwise. */
export interface Item {
  label: string;
  text: string;
  /** null while only planned (or when its id is not among the outputs). */
  href: string | null;
}

export interface Deployment {
  stack: string;
  environment: string;
  /** deployed: the stack's outputs list the service; planned: only the offline plan does. */
  status: "deployed" | "planned";
  /** The champion's version, when the outputs export it. */
  champion: Item | null;
  items: Item[];
}

export interface Schedule {
  job: string;
  cron: string;
  /** The cron in words (cronstrue). */
  words: string;
  timezone: string;
}

export interface ServiceRow {
  name: string;
  displayName: string;
  description: string;
  team: string;
  owners: string[];
  template: string;
  decommissioned: boolean;
  environments: string[];
  schedules: Schedule[];
  repository: Item | null;
  deployments: Deployment[];
}

export interface TeamSummary {
  team: string;
  services: number;
  owners: string[];
  /** Services per environment, e.g. { dev: 3, prod: 2 }. */
  perEnvironment: Record<string, number>;
}

const enc = encodeURIComponent;

/**
 * A cron in words. cronstrue.toString(expression, options) (bradymholt/cRonstrue README, "Usage"
 * and "Options"): 24-hour clock; day-of-week 0 is Sunday by default (dayOfWeekStartIndexZero), as
 * in the five-field crons of the catalog; a parse error throws (throwExceptionOnParseError).
 */
export function cronInWords(cron: string): string {
  return cronstrue.toString(cron, { use24HourTimeFormat: true, throwExceptionOnParseError: true });
}

export function schedulesOf(entry: ServiceEntry, file: string): Schedule[] {
  const jobs: [string, string, { schedule?: string; timezone: string } | undefined][] = [
    ["training", "training", entry.training],
    ["batch prediction", "batchPrediction", entry.batchPrediction],
  ];
  const schedules: Schedule[] = [];
  for (const [job, field, spec] of jobs) {
    if (!spec?.schedule) continue;
    let words: string;
    try {
      words = cronInWords(spec.schedule);
    } catch (e) {
      throw new Error(
        `${file}: ${field}.schedule: "${spec.schedule}" cannot be read: ${String(e)}`,
      );
    }
    schedules.push({ job, cron: spec.schedule, words, timezone: spec.timezone });
  }
  return schedules;
}

/** The planned names of a service's resources in one stack, from the plan's declared inputs. */
function plannedNames(service: PlanService): Record<string, string | undefined> {
  const named = (type: string, suffix: string): string | undefined => {
    const r = service.resources.find((x) => x.type === type && x.name.endsWith(suffix));
    return typeof r?.inputs.name === "string" ? r.inputs.name : undefined;
  };
  const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  const ecr = text(service.outputs.ecrRepositoryUrl);
  return {
    ecrRepository: ecr ? ecr.slice(ecr.indexOf("/") + 1) : undefined,
    artifactsBucket: text(service.outputs.artifactsBucket),
    predictionsBucket: text(service.outputs.predictionsBucket),
    trainingJob: named("databricks:index/job:Job", "-training"),
    batchPredictionJob: named("databricks:index/job:Job", "-batch-prediction"),
    experiment: named("databricks:index/mlflowExperiment:MlflowExperiment", "-experiment"),
    registeredModel: text(service.outputs.registeredModel),
    repository: text(service.outputs.repositoryUrl)?.replace(/^https:\/\/[^/]+\//, ""),
  };
}

/** Links are only ever https (every href the page carries passes here). */
function https(href: string): string {
  if (!/^https:\/\/[^\s"'<>]+$/.test(href)) throw new Error(`not an https link: ${href}`);
  return href;
}

/**
 * One deployment's items. URL forms: Databricks jobs `<host>/jobs/<id>`, experiments
 * `<host>/ml/experiments/<id>`, Unity Catalog models `<host>/explore/data/models/<c>/<s>/<m>` and
 * their versions `.../version/<n>` (mlflow/mlflow mlflow/utils/databricks_utils.py:
 * _print_databricks_deployment_job_url, _construct_databricks_logged_model_url,
 * _construct_databricks_uc_registered_model_url); the AWS consoles' ECR repository and S3 bucket
 * pages (`<region>.console.aws.amazon.com/ecr/repositories/private/<account>/<repo>`,
 * `s3.console.aws.amazon.com/s3/buckets/<bucket>`).
 */
export function deploymentOf(
  view: StackView,
  service: PlanService,
  deployed: DeployedService | undefined,
): Deployment {
  const planned = plannedNames(service);
  const host = (view.outputs?.databricksHost ?? view.databricksHost).replace(/\/$/, "");
  const items: Item[] = [];
  const add = (label: string, text: string | undefined, href: string | null) => {
    if (text) items.push({ label, text, href: href === null ? null : https(href) });
  };
  const ecr = deployed?.ecrRepositoryUrl
    ? ECR_REPOSITORY_URL.exec(deployed.ecrRepositoryUrl)
    : null;
  if (ecr) {
    const [, account, region, repo] = ecr;
    add(
      "ECR repository",
      repo,
      `https://${region}.console.aws.amazon.com/ecr/repositories/private/${account}/${repo.split("/").map(enc).join("/")}?region=${enc(region)}`,
    );
  } else add("ECR repository", planned.ecrRepository, null);
  for (const [key, label] of [
    ["artifactsBucket", "artifacts bucket"],
    ["predictionsBucket", "predictions bucket"],
  ] as const) {
    const bucket = deployed?.[key];
    if (bucket) {
      add(
        label,
        bucket,
        `https://s3.console.aws.amazon.com/s3/buckets/${enc(bucket)}?region=${enc(view.awsRegion)}`,
      );
    } else add(label, planned[key], null);
  }
  for (const [key, name, label] of [
    ["trainingJobId", "trainingJob", "training job"],
    ["batchPredictionJobId", "batchPredictionJob", "batch prediction job"],
  ] as const) {
    const id = deployed?.[key];
    if (id) add(label, planned[name] ?? `job ${id}`, `${host}/jobs/${enc(id)}`);
    else add(label, planned[name], null);
  }
  const experimentId = deployed?.experimentId;
  if (experimentId) {
    add(
      "MLflow experiment",
      planned.experiment ?? `experiment ${experimentId}`,
      `${host}/ml/experiments/${enc(experimentId)}`,
    );
  } else add("MLflow experiment", planned.experiment, null);
  const model = deployed?.registeredModel;
  const modelPath = model?.split(".").map(enc).join("/");
  if (model) add("model", model, `${host}/explore/data/models/${modelPath}`);
  else add("model", planned.registeredModel, null);
  const version = deployed?.championVersion;
  const champion: Item | null = version
    ? {
        label: "champion",
        text: `v${version}`,
        href: modelPath
          ? https(`${host}/explore/data/models/${modelPath}/version/${enc(version)}`)
          : null,
      }
    : null;
  return {
    stack: view.stack,
    environment: view.environment,
    status: deployed ? "deployed" : "planned",
    champion,
    items,
  };
}

/** The repository: linked once a stack's outputs give its URL, its planned name otherwise. */
function repositoryOf(service: PlanService, deployed: DeployedService | undefined): Item | null {
  if (deployed?.repositoryUrl) {
    return {
      label: "repository",
      text: deployed.repositoryUrl.replace(/^https:\/\/[^/]+\//, ""),
      href: https(deployed.repositoryUrl),
    };
  }
  const name = plannedNames(service).repository;
  return name ? { label: "repository", text: name, href: null } : null;
}

export function buildRows(
  views: StackView[],
  entries: ReadonlyMap<string, { entry: ServiceEntry; file: string }>,
): ServiceRow[] {
  const rows = new Map<string, ServiceRow>();
  for (const view of views) {
    for (const service of view.plan.services) {
      const deployed = view.outputs?.services[service.name];
      let row = rows.get(service.name);
      if (!row) {
        const source = entries.get(service.name);
        row = {
          name: service.name,
          displayName: service.displayName,
          description: service.description,
          team: service.team,
          owners: service.owners,
          template: service.template,
          decommissioned: service.decommissioned,
          environments: service.environments,
          schedules: source ? schedulesOf(source.entry, source.file) : [],
          repository: null,
          deployments: [],
        };
        rows.set(service.name, row);
      }
      const repository = repositoryOf(service, deployed);
      // A deployed repository wins over a planned name from another stack.
      if (repository && (!row.repository || (repository.href && !row.repository.href))) {
        row.repository = repository;
      }
      row.deployments.push(deploymentOf(view, service, deployed));
    }
  }
  return [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function summarizeTeams(rows: ServiceRow[]): TeamSummary[] {
  const teams = new Map<string, TeamSummary>();
  for (const row of rows) {
    const t = teams.get(row.team) ?? {
      team: row.team,
      services: 0,
      owners: [],
      perEnvironment: {},
    };
    t.services++;
    t.owners = [...new Set([...t.owners, ...row.owners])].sort();
    for (const d of row.deployments) {
      t.perEnvironment[d.environment] = (t.perEnvironment[d.environment] ?? 0) + 1;
    }
    teams.set(row.team, t);
  }
  return [...teams.values()].sort((a, b) => a.team.localeCompare(b.team));
}
