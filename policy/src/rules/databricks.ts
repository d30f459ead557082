/**
 * Databricks jobs: valid single-node clusters, explicit permissions, credentials only as secret
 * references.
 */
import { ResourceRule, StackRule } from "../framework";
import { TYPES } from "../shared";
import { list, record, text } from "../view";
import { SECRET_NAME, SECRET_REFERENCE } from "./secrets";

export const databricksSingleNodeShape: ResourceRule = {
  scope: "resource",
  id: "databricks-single-node-shape",
  description:
    "A job cluster with no workers (numWorkers 0, no autoscale) is a complete single-node cluster: spark.databricks.cluster.profile singleNode, spark.master local[...], custom tag ResourceClass SingleNode.",
  why: 'The Databricks provider refuses anything else ("NumWorkers could be 0 only for SingleNode clusters": terraform-provider-databricks clusters/clusters_api.go, Cluster.Validate).',
  severity: "mandatory",
  types: [TYPES.databricksJob],
  check(r) {
    const out: string[] = [];
    list(r.inputs.tasks).forEach((task, i) => {
      const cluster = record(record(task)?.newCluster);
      if (!cluster || cluster.numWorkers !== 0 || cluster.autoscale !== undefined) return;
      const conf = record(cluster.sparkConf) ?? {};
      const tags = record(cluster.customTags) ?? {};
      const complete =
        conf["spark.databricks.cluster.profile"] === "singleNode" &&
        (text(conf["spark.master"]) ?? "").startsWith("local") &&
        tags.ResourceClass === "SingleNode";
      if (!complete)
        out.push(
          `tasks[${i}].newCluster has numWorkers 0 without the single-node profile, local master and ResourceClass tag`,
        );
    });
    return out;
  },
};

export const databricksJobPermissions: StackRule = {
  scope: "stack",
  id: "databricks-job-permissions",
  description: "Every Databricks job has a Permissions resource whose jobId is the job's id.",
  why: "Without explicit permissions only the creator manages the job; the team could not run or fix it.",
  severity: "mandatory",
  types: [TYPES.databricksJob],
  check(r, stack) {
    const permissions = stack.referencing(TYPES.databricksPermissions, "jobId", [r.id]);
    return permissions.length ? [] : ["job has no Permissions resource with its jobId"];
  },
};

/** A credential-named value that is not a {{secrets/<scope>/<key>}} reference. */
function plainCredential(name: string, value: unknown): boolean {
  return (
    SECRET_NAME.test(name) &&
    value !== "" &&
    !(typeof value === "string" && SECRET_REFERENCE.test(value))
  );
}

/** Positional task parameters: "--token x", "--token=x", "TOKEN=x". */
function positionalViolations(path: string, parameters: unknown[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < parameters.length; i++) {
    const p = parameters[i];
    if (typeof p !== "string") continue;
    const assigned = /^(?:--?)?([A-Za-z_][\w.-]*)=(.*)$/s.exec(p);
    if (assigned) {
      if (plainCredential(assigned[1], assigned[2])) out.push(`${path}[${i}] (${assigned[1]})`);
      continue;
    }
    const flag = /^--?([A-Za-z_][\w.-]*)$/.exec(p);
    const next = parameters[i + 1];
    if (
      flag &&
      typeof next === "string" &&
      !next.startsWith("-") &&
      plainCredential(flag[1], next)
    ) {
      out.push(`${path}[${i + 1}] (${flag[1]})`);
    }
  }
  return out;
}

function namedViolations(path: string, values: unknown): string[] {
  return Object.entries(record(values) ?? {})
    .filter(([k, v]) => plainCredential(k, v))
    .map(([k]) => `${path}.${k}`);
}

function clusterViolations(path: string, cluster: unknown): string[] {
  return namedViolations(`${path}.sparkEnvVars`, record(cluster)?.sparkEnvVars);
}

export const databricksNoPlainSecrets: ResourceRule = {
  scope: "resource",
  id: "databricks-no-plain-secrets",
  description:
    "Databricks job parameters, task parameters and sparkEnvVars whose names look like credentials (TOKEN, PASSWORD, SECRET, API_KEY...) hold only {{secrets/<scope>/<key>}} references.",
  why: "Job settings are readable by everyone who can view the job, and are kept in run history.",
  severity: "mandatory",
  types: [TYPES.databricksJob, TYPES.databricksCluster],
  check(r) {
    const i = r.inputs;
    const where: string[] = [];
    if (r.type === TYPES.databricksCluster) where.push(...clusterViolations("cluster", i));
    list(i.parameters).forEach((p, n) => {
      const param = record(p);
      const name = text(param?.name);
      if (name && plainCredential(name, param?.default))
        where.push(`parameters[${n}].default (${name})`);
    });
    list(i.jobClusters).forEach((c, n) =>
      where.push(...clusterViolations(`jobClusters[${n}].newCluster`, record(c)?.newCluster)),
    );
    list(i.tasks).forEach((t, n) => {
      const task = record(t) ?? {};
      const at = `tasks[${n}]`;
      where.push(...clusterViolations(`${at}.newCluster`, task.newCluster));
      for (const kind of [
        "sparkPythonTask",
        "sparkJarTask",
        "pythonWheelTask",
        "sparkSubmitTask",
      ]) {
        where.push(
          ...positionalViolations(`${at}.${kind}.parameters`, list(record(task[kind])?.parameters)),
        );
      }
      where.push(
        ...namedViolations(
          `${at}.notebookTask.baseParameters`,
          record(task.notebookTask)?.baseParameters,
        ),
      );
      where.push(
        ...namedViolations(
          `${at}.pythonWheelTask.namedParameters`,
          record(task.pythonWheelTask)?.namedParameters,
        ),
      );
    });
    return where.map(
      (w) => `${w} holds a plain value; reference a secret as {{secrets/<scope>/<key>}}`,
    );
  },
};
