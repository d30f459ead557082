/**
 * The Airflow DAG file of one service in one environment, deployed by its stack to the
 * environment's DAG bucket (an AirflowDag, program/service.ts) when the stack's orchestrator is airflow.
 * Pure and deterministic: the same entry, settings and job ids give byte-identical files. It is
 * rendered here, and not in the service repository, because it names the jobs by their ids, which
 * exist only once the stack has created the jobs.
 */
import { ResolvedService } from "../../catalog/types";
import { airflowDagKey, physicalNames } from "../../catalog/names";
import { CONFIG_NAMESPACE, StackSettings } from "../../catalog/settings";
import { RenderError } from "./context";
import { renderTemplateFile } from "./render";

/** The DAG template (relative to templates/); not part of any service repository. */
export const AIRFLOW_DAG_TEMPLATE = "airflow/dag.py.njk";

/** Content type of the uploaded DAG file. */
export const AIRFLOW_DAG_CONTENT_TYPE = "text/x-python";

/** Ids of the service's Databricks jobs in this environment (numbers, as Databricks gives them). */
export interface AirflowJobIds {
  training: string;
  /** Present exactly when the entry has batch prediction. */
  batchPrediction?: string;
}

export interface AirflowDagFile {
  bucket: string;
  /** Object key: `<airflowDagPrefix><package>_<environment>.py`. */
  key: string;
  content: string;
  /** The DAGs the file defines: training, then batch prediction when the entry has it. */
  dagIds: string[];
}

/** Object key of a service's DAG file in its environment's DAG bucket (catalog/names.ts). */
export { airflowDagKey };

/**
 * The DAG key of each service (by name). Keys derive from the unique, immutable service name, so
 * two services cannot share one; checked anyway, since a shared key would make two services
 * overwrite (and, on removal, delete) each other's DAGs. Throws a RenderError naming both.
 */
export function airflowDagKeys(
  serviceNames: readonly string[],
  settings: StackSettings,
): Map<string, string> {
  const byKey = new Map<string, string>();
  const keys = new Map<string, string>();
  for (const name of [...new Set(serviceNames)].sort()) {
    const key = airflowDagKey(name, settings);
    const other = byKey.get(key);
    if (other !== undefined) {
      throw new RenderError(
        `services/${other}.yaml and services/${name}.yaml: both would write the Airflow DAG file s3://${settings.airflowDagBucket}/${key} of stack ${settings.stack}; rename one of them (a new name is a new service)`,
      );
    }
    byKey.set(key, name);
    keys.set(name, key);
  }
  return keys;
}

const JOB_ID = /^\d{1,19}$/;

function checkJobId(service: string, job: string, id: string | undefined): string {
  if (id === undefined || !JOB_ID.test(id)) {
    throw new RenderError(
      `services/${service}.yaml: the ${job} job's id ${JSON.stringify(id)} is not a Databricks job id (a number)`,
    );
  }
  return id;
}

/**
 * The DAG file of one service: one DAG per Databricks job (training; batch prediction when the
 * entry has it), each with the entry's schedule (cron, as written; none: manual runs only) and
 * time zone, its retries and failure e-mails, no catch-up and one active run at a time.
 * `stackServices` (the other services of the stack, optional) are checked for a shared DAG key.
 */
export function renderAirflowDag(
  service: ResolvedService,
  settings: StackSettings,
  jobIds: AirflowJobIds,
  stackServices: readonly string[] = [],
): AirflowDagFile {
  const stackFile = `stacks/Pulumi.${settings.stack}.yaml`;
  if (settings.orchestrator !== "airflow") {
    throw new RenderError(
      `${stackFile}: ${CONFIG_NAMESPACE}:orchestrator: is ${settings.orchestrator}; a DAG file is rendered for airflow stacks only`,
    );
  }
  if (!settings.airflowDagBucket) {
    throw new RenderError(
      `${stackFile}: ${CONFIG_NAMESPACE}:airflowDagBucket: missing, and required because ${CONFIG_NAMESPACE}:orchestrator is airflow`,
    );
  }
  const key = airflowDagKeys([service.name, ...stackServices], settings).get(service.name)!;
  const env = settings.environment;
  const names = physicalNames(service.name, env, settings.namePrefix);
  const training = checkJobId(service.name, "training", jobIds.training);
  if (!service.batchPrediction && jobIds.batchPrediction !== undefined) {
    throw new RenderError(
      `services/${service.name}.yaml: batchPrediction: the entry has none, but a batch-prediction job id was given`,
    );
  }
  const dags = [
    {
      dagId: `${names.pythonPackage}_${env}_training`,
      variable: "training_dag",
      taskId: "training",
      jobId: training,
      jobName: names.trainingJob,
      schedule: service.training.schedule ?? null,
      timezone: service.training.timezone,
      retries: service.training.retries,
    },
  ];
  if (service.batchPrediction) {
    dags.push({
      dagId: `${names.pythonPackage}_${env}_batch_prediction`,
      variable: "batch_prediction_dag",
      taskId: "batch_prediction",
      jobId: checkJobId(service.name, "batch-prediction", jobIds.batchPrediction),
      jobName: names.batchPredictionJob,
      schedule: service.batchPrediction.schedule,
      timezone: service.batchPrediction.timezone,
      retries: service.batchPrediction.retries,
    });
  }
  for (const dag of dags) {
    if (!Number.isInteger(dag.retries) || dag.retries < 0) {
      throw new RenderError(
        `services/${service.name}.yaml: ${dag.taskId === "training" ? "training" : "batchPrediction"}.retries: ${dag.retries} is not a non-negative integer`,
      );
    }
  }
  const content = renderTemplateFile(AIRFLOW_DAG_TEMPLATE, {
    file: `s3://${settings.airflowDagBucket}/${key}`,
    environment: env,
    connectionId: settings.airflowConnectionId,
    service: {
      name: service.name,
      description: service.description,
      team: service.team,
      emails: service.notifications.emails,
    },
    tags: [...new Set(["ml-service", service.team, env])],
    dags,
  });
  return { bucket: settings.airflowDagBucket, key, content, dagIds: dags.map((d) => d.dagId) };
}
