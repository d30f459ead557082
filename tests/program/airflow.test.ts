/**
 * Airflow stacks deploy each active service's DAG file to the environment's DAG bucket: checked on
 * the offline plan of the real program (prod: orchestrator airflow; dev: databricks), on plan diffs
 * (a schedule change, a decommission, a removal), on the pure renderer, and with Debian's Python
 * (py_compile, then `ast`: Airflow itself is not installed here).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { loadCatalog } from "../../catalog/load";
import { servicesForStack } from "../../catalog/resolve";
import { ResolvedService } from "../../catalog/types";
import { diffPlans } from "../../offline/plan/diff";
import { mockOutputs } from "../../offline/plan/mock-engine";
import { runPlan } from "../../offline/plan/run";
import { PlanDocument, PlanResource } from "../../offline/plan/types";
import { airflowDagKeys, renderAirflowDag, RenderError } from "../../program/render";
import { parseSettings, SettingsError, StackSettings } from "../../catalog/settings";
import { readStacks } from "../../catalog/stacks";
import { examplePlan } from "../helpers/example-plans";
import { copyOfExamples, copyOfStacks, EXAMPLES, one, resources, service } from "../helpers/plan";

const DAG_TYPE = "aws:s3/bucketObjectv2:BucketObjectv2";
const JOB_TYPE = "databricks:index/job:Job";
const PYTHON = "/usr/bin/python3";

let dev: PlanDocument;
let prod: PlanDocument;
let prodSettings: StackSettings;
let devSettings: StackSettings;
let prodServices: ResolvedService[];

beforeAll(async () => {
  dev = await examplePlan("dev");
  prod = await examplePlan("prod");
  const stacks = readStacks();
  prodSettings = stacks.find((s) => s.stack === "prod")!.settings;
  devSettings = stacks.find((s) => s.stack === "dev")!.settings;
  prodServices = servicesForStack(loadCatalog(EXAMPLES, stacks), prodSettings);
});

/** Every DAG object of a plan, platform included. */
function dagObjects(doc: PlanDocument): PlanResource[] {
  return [...doc.platform.resources, ...doc.services.flatMap((s) => s.resources)].filter(
    (r) => r.custom && r.type === DAG_TYPE,
  );
}

/** The ids the mock engine gives a service's jobs (what `pulumi up` would get from Databricks). */
function mockJobIds(doc: PlanDocument, name: string): string[] {
  return resources(service(doc, name), JOB_TYPE)
    .sort((a, b) => (a.name.endsWith("-training") ? -1 : b.name.endsWith("-training") ? 1 : 0))
    .map(
      (job) =>
        mockOutputs(JOB_TYPE, job.name, job.inputs, { region: "x", githubOrganization: "x" }).id,
    );
}

function edit(dir: string, file: string, change: (text: string) => string): void {
  const full = path.join(dir, file);
  fs.writeFileSync(full, change(fs.readFileSync(full, "utf8")));
}

describe("an airflow stack (prod)", () => {
  it("declares exactly one DAG object per active service, and nothing else", () => {
    const active = prodServices.filter((s) => !s.decommissioned).map((s) => s.name);
    expect(active.length).toBeGreaterThan(0);
    expect(dagObjects(prod)).toHaveLength(active.length);
    for (const name of active) expect(resources(service(prod, name), DAG_TYPE)).toHaveLength(1);
    expect(prod.platform.resources.filter((r) => r.type === DAG_TYPE)).toEqual([]);
  });

  it("puts each DAG at <prefix><package>_<env>.py in the DAG bucket, as Python, not retained", () => {
    for (const s of prodServices) {
      const dag = one(service(prod, s.name), DAG_TYPE);
      expect(dag.name).toBe(`${s.name}-dag`);
      expect(dag.parent).toMatch(/mlplatform:airflow:AirflowDag::/);
      expect(dag.inputs).toEqual({
        bucket: "mlp-airflow-prod",
        key: `dags/${s.name.replace(/-/g, "_")}_prod.py`,
        content: expect.any(String),
        contentType: "text/x-python",
      });
      // Not data: removing the service removes its DAG. No etag or sourceHash (see the component).
      expect(dag.retainOnDelete).toBe(false);
      expect(dag.protect).toBe(false);
    }
  });

  it("names exactly that service's job ids from the same plan, and its schedules and time zones", () => {
    const allIds = prodServices.flatMap((s) => mockJobIds(prod, s.name));
    expect(new Set(allIds).size).toBe(allIds.length);
    for (const s of prodServices) {
      const outputs = service(prod, s.name).outputs;
      const ids = [outputs.trainingJobId, outputs.batchPredictionJobId].filter(Boolean);
      // The stack outputs and the mock engine agree: these are the ids of this plan's jobs.
      expect(ids).toEqual(mockJobIds(prod, s.name));
      const content = String(one(service(prod, s.name), DAG_TYPE).inputs.content);
      expect([...content.matchAll(/job_id="(\d+)"/g)].map((m) => m[1])).toEqual(ids);
      expect([...content.matchAll(/databricks_conn_id=(\w+)/g)].map((m) => m[1])).toEqual(
        ids.map(() => "DATABRICKS_CONN_ID"),
      );
      expect(content).toContain('DATABRICKS_CONN_ID = "databricks_default"');
      expect(content).not.toContain("job_name=");
      const schedules = [s.training.schedule, s.batchPrediction?.schedule].filter(
        (x) => x !== undefined,
      );
      expect([...content.matchAll(/schedule="([^"]*)"/g)].map((m) => m[1])).toEqual(schedules);
      const zones = [
        s.training.timezone,
        ...(s.batchPrediction ? [s.batchPrediction.timezone] : []),
      ];
      expect([...content.matchAll(/tz="([^"]*)"/g)].map((m) => m[1])).toEqual(zones);
    }
    expect(String(one(service(prod, "product-recommender"), DAG_TYPE).inputs.content)).toContain(
      'tz="Europe/Berlin"',
    );
  });

  it("keeps the Databricks jobs unscheduled: Airflow triggers them", () => {
    for (const s of prodServices) {
      for (const job of resources(service(prod, s.name), JOB_TYPE)) {
        expect(job.inputs.schedule).toBeUndefined();
      }
    }
  });

  it("shows a schedule change as a change of the DAG's content only, updated in place", async () => {
    const dir = copyOfExamples();
    edit(dir, "product-recommender.yaml", (t) =>
      t.replace('schedule: "0 3 * * 1"', 'schedule: "0 6 * * 2"'),
    );
    const changed = await runPlan({ stack: "prod", servicesDir: dir });
    const group = diffPlans(prod, changed).groups.find((g) => g.name === "product-recommender")!;
    expect(group.added).toEqual([]);
    expect(group.removed).toEqual([]);
    expect(group.changed.map((c) => [c.type, c.paths])).toEqual([[DAG_TYPE, ["content"]]]);
    expect(String(one(service(changed, "product-recommender"), DAG_TYPE).inputs.content)).toContain(
      'schedule="0 6 * * 2"',
    );
  });

  it("deletes (does not retain) the DAG of a decommissioned service, and of a removed one", async () => {
    const decommissioned = copyOfExamples();
    edit(decommissioned, "demand-forecast.yaml", (t) => `${t}decommissioned: true\n`);
    const after = await runPlan({ stack: "prod", servicesDir: decommissioned });
    expect(resources(service(after, "demand-forecast"), DAG_TYPE)).toEqual([]);
    const off = diffPlans(prod, after).groups.find((g) => g.name === "demand-forecast")!;
    expect(off.deleted.filter((r) => r.type === DAG_TYPE).map((r) => r.name)).toEqual([
      "demand-forecast-dag",
    ]);
    expect(off.retained.filter((r) => r.type === DAG_TYPE)).toEqual([]);

    const removed = copyOfExamples();
    fs.unlinkSync(path.join(removed, "demand-forecast.yaml"));
    const without = await runPlan({ stack: "prod", servicesDir: removed });
    expect(dagObjects(without).map((r) => r.name)).toEqual(["product-recommender-dag"]);
    const diff = diffPlans(prod, without);
    const gone = diff.groups.find((g) => g.name === "demand-forecast")!;
    expect(gone.status).toBe("removed");
    expect(gone.deleted.filter((r) => r.type === DAG_TYPE).map((r) => r.name)).toEqual([
      "demand-forecast-dag",
    ]);
    expect(gone.retained.filter((r) => r.type === DAG_TYPE)).toEqual([]);
    // The other service's DAG is untouched.
    expect(diff.groups.find((g) => g.name === "product-recommender")!.status).toBe("unchanged");
  });
});

describe("a databricks stack (dev)", () => {
  it("uploads no DAG and keeps the jobs' Databricks schedules", () => {
    expect(dagObjects(dev)).toEqual([]);
    const training = one(service(dev, "product-recommender"), JOB_TYPE, "-training");
    expect(training.inputs.schedule).toMatchObject({
      timezoneId: "Europe/Berlin",
      pauseStatus: "UNPAUSED",
    });
  });
});

describe("stack settings", () => {
  const valid = {
    environment: "prod",
    awsAccountId: "222222222222",
    deployRoleArn: "arn:aws:iam::222222222222:role/deploy",
    awsRegion: "eu-west-1",
    namePrefix: "mlp",
    githubOrganization: "acme",
    droneServer: "https://drone.example.com",
    droneRunnerRoleArn: "arn:aws:iam::222222222222:role/runner",
    databricksHost: "https://dbc.cloud.databricks.com",
    databricksClientId: "abc-123",
    databricksCrossAccountRoleArn: "arn:aws:iam::222222222222:role/xacct",
    modelCatalog: "ml_prod",
    modelSchema: "models",
  };

  /** The problems parseSettings reports (none: []), for the keys of this feature. */
  function problems(values: Record<string, unknown>): string[] {
    try {
      parseSettings("prod", { ...valid, ...values }, "stacks/Pulumi.prod.yaml");
      return [];
    } catch (e) {
      if (!(e instanceof SettingsError)) throw e;
      return e.problems.filter((p) => /airflow|orchestrator/.test(p));
    }
  }

  it("default the prefix and the connection, and need no bucket with databricks", () => {
    expect(devSettings).toMatchObject({
      orchestrator: "databricks",
      airflowDagBucket: "",
      airflowDagPrefix: "dags/",
      airflowConnectionId: "databricks_default",
    });
  });

  it("require the DAG bucket with orchestrator airflow, naming the stack file and both keys", () => {
    expect(problems({ orchestrator: "airflow" })).toEqual([
      "stacks/Pulumi.prod.yaml: mlplatform:airflowDagBucket: missing, and required because mlplatform:orchestrator is airflow (the S3 bucket of the environment's Airflow DAG folder, where each service's DAG file is uploaded; or set mlplatform:orchestrator to databricks)",
    ]);
    expect(problems({ orchestrator: "airflow", airflowDagBucket: "mlp-airflow-prod" })).toEqual([]);
  });

  it("refuse a bucket, prefix or connection id that S3 or Airflow would not take", () => {
    expect(
      problems({
        orchestrator: "airflow",
        airflowDagBucket: "Not_A_Bucket",
        airflowDagPrefix: "/dags",
        airflowConnectionId: "has space",
      }),
    ).toEqual([
      expect.stringMatching(
        /^stacks\/Pulumi\.prod\.yaml: mlplatform:airflowDagBucket: invalid value/,
      ),
      expect.stringMatching(
        /^stacks\/Pulumi\.prod\.yaml: mlplatform:airflowDagPrefix: invalid value/,
      ),
      expect.stringMatching(
        /^stacks\/Pulumi\.prod\.yaml: mlplatform:airflowConnectionId: invalid value/,
      ),
    ]);
    for (const prefix of ["", "dags/", "airflow/dags/"]) {
      expect(problems({ airflowDagPrefix: prefix })).toEqual([]);
    }
    for (const prefix of ["dags", "dags//", "/"]) {
      expect(problems({ airflowDagPrefix: prefix })).toHaveLength(1);
    }
  });
});

describe("renderAirflowDag (pure)", () => {
  const recommender = () => prodServices.find((s) => s.name === "product-recommender")!;
  const search = () => ({ ...recommender(), name: "search-ranking", batchPrediction: undefined });

  it("is deterministic and follows the stack's prefix and connection", () => {
    const ids = { training: "11", batchPrediction: "22" };
    const first = renderAirflowDag(recommender(), prodSettings, ids);
    expect(renderAirflowDag(structuredClone(recommender()), prodSettings, ids)).toEqual(first);
    expect(first.dagIds).toEqual([
      "product_recommender_prod_training",
      "product_recommender_prod_batch_prediction",
    ]);
    const other = renderAirflowDag(
      recommender(),
      { ...prodSettings, airflowDagPrefix: "airflow/dags/", airflowConnectionId: "dbx_prod" },
      ids,
    );
    expect(other.key).toBe("airflow/dags/product_recommender_prod.py");
    expect(other.content).toContain('DATABRICKS_CONN_ID = "dbx_prod"');
  });

  it("has one DAG for a service without batch prediction, manual when it has no schedule", () => {
    const service = { ...search(), training: { ...search().training, schedule: undefined } };
    const file = renderAirflowDag(service, prodSettings, { training: "7" });
    expect(file.dagIds).toEqual(["search_ranking_prod_training"]);
    expect(file.content).toContain("schedule=None,");
    expect(() =>
      renderAirflowDag(service, prodSettings, { training: "7", batchPrediction: "8" }),
    ).toThrow("batchPrediction: the entry has none");
  });

  it("refuses non-numeric job ids and non-airflow stacks", () => {
    expect(() =>
      renderAirflowDag(recommender(), prodSettings, { training: 'x"y', batchPrediction: "2" }),
    ).toThrow(RenderError);
    expect(() => renderAirflowDag(recommender(), prodSettings, { training: "1" })).toThrow(
      "the batch-prediction job's id undefined is not a Databricks job id",
    );
    expect(() =>
      renderAirflowDag(recommender(), devSettings, { training: "1", batchPrediction: "2" }),
    ).toThrow("stacks/Pulumi.dev.yaml: mlplatform:orchestrator: is databricks");
  });

  it("never lets two services write the same DAG key: throws naming both", () => {
    const keys = airflowDagKeys(["product-recommender", "demand-forecast"], prodSettings);
    expect(new Set(keys.values()).size).toBe(2);
    // Names that validate cannot collide (no underscores); these two would, if one got through.
    expect(() => airflowDagKeys(["a-b", "a_b"], prodSettings)).toThrow(
      "services/a-b.yaml and services/a_b.yaml: both would write the Airflow DAG file s3://mlp-airflow-prod/dags/a_b_prod.py of stack prod",
    );
    const clash = { ...recommender(), name: "product_recommender" };
    expect(() =>
      renderAirflowDag(clash, prodSettings, { training: "1", batchPrediction: "2" }, [
        "product-recommender",
      ]),
    ).toThrow("services/product-recommender.yaml and services/product_recommender.yaml");
  });
});

describe("the deployed DAG files, read by Python", () => {
  /** What `ast` finds in a DAG file: the operator calls, the DAGs and their default_args. */
  const INSPECT = `
import ast, json, sys

def value(node, names):
    if isinstance(node, ast.Name) and node.id in names:
        return names[node.id]
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ast.unparse(node)

tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())
names = {}
imports = []
for stmt in tree.body:
    if isinstance(stmt, ast.ImportFrom):
        imports += [stmt.module + "." + a.name for a in stmt.names]
    if isinstance(stmt, ast.Import):
        imports += [a.name for a in stmt.names]
    if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
        target = stmt.targets[0].id
        if isinstance(stmt.value, ast.Dict):
            names[target] = {value(k, names): value(v, names) for k, v in zip(stmt.value.keys, stmt.value.values)}
        else:
            names[target] = value(stmt.value, names)
dags = []
for stmt in tree.body:
    if not isinstance(stmt, ast.With):
        continue
    call = stmt.items[0].context_expr
    dag = {k.arg: value(k.value, names) for k in call.keywords}
    dag["class"] = call.func.id
    start = next(k.value for k in call.keywords if k.arg == "start_date")
    dag["tz"] = [value(k.value, names) for k in start.keywords if k.arg == "tz"]
    dag["operators"] = []
    for inner in stmt.body:
        op = inner.value
        dag["operators"].append(dict({k.arg: value(k.value, names) for k in op.keywords}, **{"class": op.func.id}))
    dags.append(dag)
print(json.dumps({"imports": imports, "dags": dags}))
`;

  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "airflow-dags-"));
    fs.writeFileSync(path.join(dir, "inspect_dag.py"), INSPECT);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function python(args: string[]) {
    const result = spawnSync(PYTHON, args, {
      encoding: "utf8",
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    });
    if (result.error) throw result.error;
    if (result.status !== 0) throw new Error(`${result.stdout}${result.stderr}`);
    return result.stdout;
  }

  it("keep a hostile description one intact Python string", () => {
    const hostile =
      'He said "hi": {{ x }} {% raw %} it\'s a \\ backslash\\n """ triple\nnew line # not a comment 🚀 naïve \u2028';
    const service = prodServices.find((s) => s.name === "product-recommender")!;
    const file = path.join(dir, "hostile_prod.py");
    fs.writeFileSync(
      file,
      renderAirflowDag({ ...service, description: hostile }, prodSettings, {
        training: "1",
        batchPrediction: "2",
      }).content,
    );
    python(["-m", "py_compile", file]);
    const found = JSON.parse(python([path.join(dir, "inspect_dag.py"), file])) as {
      dags: { description: string }[];
    };
    expect(found.dags.map((d) => d.description)).toEqual([hostile, hostile]);
  });

  it("compile, and start exactly the service's jobs with its schedules, retries and e-mails", () => {
    const files: string[] = [];
    for (const s of prodServices) {
      const file = path.join(
        dir,
        path.basename(String(one(service(prod, s.name), DAG_TYPE).inputs.key)),
      );
      fs.writeFileSync(file, String(one(service(prod, s.name), DAG_TYPE).inputs.content));
      files.push(file);
    }
    python(["-m", "py_compile", ...files]);

    for (const s of prodServices) {
      const outputs = service(prod, s.name).outputs;
      const pkg = s.name.replace(/-/g, "_");
      const file = path.join(dir, `${pkg}_prod.py`);
      const found = JSON.parse(python([path.join(dir, "inspect_dag.py"), file])) as {
        imports: string[];
        dags: Record<string, unknown>[];
      };
      expect(found.imports).toEqual([
        "pendulum",
        "airflow.DAG",
        "airflow.providers.databricks.operators.databricks.DatabricksRunNowOperator",
      ]);
      const jobs = [
        { suffix: "training", job: s.training, id: outputs.trainingJobId },
        ...(s.batchPrediction
          ? [
              {
                suffix: "batch_prediction",
                job: s.batchPrediction,
                id: outputs.batchPredictionJobId,
              },
            ]
          : []),
      ];
      expect(found.dags).toEqual(
        jobs.map(({ suffix, job, id }) => ({
          class: "DAG",
          dag_id: `${pkg}_prod_${suffix}`,
          description: s.description,
          schedule: job.schedule ?? null,
          start_date: expect.stringMatching(/^pendulum\.datetime\(2024, 1, 1, tz=/),
          tz: [job.timezone],
          catchup: false,
          max_active_runs: 1,
          default_args: {
            owner: s.team,
            email: s.notifications.emails,
            email_on_failure: true,
            email_on_retry: false,
            retry_delay: "pendulum.duration(minutes=5)",
          },
          tags: ["ml-service", s.team, "prod"],
          operators: [
            {
              class: "DatabricksRunNowOperator",
              task_id: suffix,
              databricks_conn_id: "databricks_default",
              job_id: id,
              retries: job.retries,
            },
          ],
        })),
      );
    }
  });
});

describe("the Airflow connection's principal", () => {
  const permissionsOf = (doc: PlanDocument) =>
    resources(service(doc, "product-recommender"), "databricks:index/permissions:Permissions")
      .filter((r) => r.inputs.jobId !== undefined)
      .map(
        (r) =>
          r.inputs.accessControls as { servicePrincipalName?: string; permissionLevel: string }[],
      );

  it("may run every job the DAGs start when it is not the platform's own principal", async () => {
    const stacksDir = copyOfStacks({
      prod: { airflowPrincipal: "3f1c2d4e-aaaa-bbbb-cccc-0123456789ab" },
    });
    const doc = await runPlan({ stack: "prod", stacksDir });
    const acls = permissionsOf(doc);
    expect(acls).toHaveLength(2);
    for (const acl of acls) {
      expect(acl).toContainEqual({
        servicePrincipalName: "3f1c2d4e-aaaa-bbbb-cccc-0123456789ab",
        permissionLevel: "CAN_MANAGE_RUN",
      });
    }
  });

  it("gets nothing extra by default (the platform's principal owns the jobs it creates)", async () => {
    const doc = await examplePlan("prod");
    for (const acl of permissionsOf(doc)) {
      expect(acl.map((a) => a.permissionLevel)).toEqual(["CAN_MANAGE_RUN", "CAN_MANAGE"]);
    }
  });
});
