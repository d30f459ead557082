/** What the catalog page shows: every service, where each environment runs it, who owns it. */
import { PlanDocument } from "../plan/types";

export interface StackView {
  stack: string;
  environment: string;
  githubOrganization: string;
  awsRegion: string;
  databricksHost: string;
  plan: PlanDocument;
}

export interface Link {
  label: string;
  href: string;
}

export interface Deployment {
  stack: string;
  environment: string;
  links: Link[];
}

export interface ServiceRow {
  name: string;
  displayName: string;
  team: string;
  owners: string[];
  description: string;
  environments: string[];
  repository: Link;
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

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

/** Console links for one deployment, from the identifiers in the service's stack outputs. */
export function deploymentLinks(view: StackView, outputs: Record<string, unknown>): Link[] {
  const links: Link[] = [];
  const host = view.databricksHost.replace(/\/$/, "");
  const ecr = text(outputs.ecrRepositoryUrl);
  const ecrParts = ecr
    ? /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/(.+)$/.exec(ecr)
    : null;
  if (ecrParts) {
    const [, account, region, repo] = ecrParts;
    links.push({
      label: `ECR ${repo}`,
      href: `https://${region}.console.aws.amazon.com/ecr/repositories/private/${account}/${repo
        .split("/")
        .map(enc)
        .join("/")}?region=${enc(region)}`,
    });
  }
  for (const key of ["artifactsBucket", "predictionsBucket"]) {
    const bucket = text(outputs[key]);
    if (bucket) {
      links.push({
        label: `S3 ${bucket}`,
        href: `https://s3.console.aws.amazon.com/s3/buckets/${enc(bucket)}?region=${enc(view.awsRegion)}`,
      });
    }
  }
  const jobs: [string, string][] = [
    ["trainingJobId", "training job"],
    ["batchPredictionJobId", "batch prediction job"],
  ];
  for (const [key, label] of jobs) {
    const id = text(outputs[key]);
    if (id) links.push({ label: `Databricks ${label}`, href: `${host}/jobs/${enc(id)}` });
  }
  const experiment = text(outputs.experimentId);
  if (experiment) {
    links.push({ label: "MLflow experiment", href: `${host}/ml/experiments/${enc(experiment)}` });
  }
  const model = text(outputs.registeredModel);
  if (model) {
    // A Unity Catalog model's page in Catalog Explorer: /explore/data/models/<catalog>/<schema>/<name>.
    const parts = model.split(".");
    const href =
      parts.length === 3
        ? `${host}/explore/data/models/${parts.map(enc).join("/")}`
        : `${host}/ml/models/${enc(model)}`;
    links.push({ label: `model ${model}`, href });
  }
  return links;
}

export function buildRows(views: StackView[]): ServiceRow[] {
  const rows = new Map<string, ServiceRow>();
  for (const view of views) {
    for (const service of view.plan.services) {
      let row = rows.get(service.name);
      if (!row) {
        row = {
          name: service.name,
          displayName: service.displayName,
          team: service.team,
          owners: service.owners,
          description: service.description,
          environments: service.environments,
          repository: {
            label: `${view.githubOrganization}/${service.name}`,
            href: `https://github.com/${enc(view.githubOrganization)}/${enc(service.name)}`,
          },
          deployments: [],
        };
        rows.set(service.name, row);
      }
      const repositoryUrl = text(service.outputs.repositoryUrl);
      if (repositoryUrl && /^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/.test(repositoryUrl)) {
        row.repository = {
          label: repositoryUrl.slice("https://github.com/".length),
          href: repositoryUrl,
        };
      }
      row.deployments.push({
        stack: view.stack,
        environment: view.environment,
        links: deploymentLinks(view, service.outputs),
      });
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
