/**
 * AirflowDag from a purpose-built Args value: one object in the bucket and key given, with the
 * content given (an Output until the jobs exist); not data (no retain, no protect).
 */
import * as pulumi from "@pulumi/pulumi";
import { one, recordDeclarations, tree } from "./harness";

const mocks = recordDeclarations();

// Imported after setMocks, as a program would.
import { AirflowDag } from "../../components/airflow-dag";

const OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2";

beforeEach(() => mocks.reset());

describe("AirflowDag", () => {
  test("the DAG object: bucket, key, content and type as given, parented in the component", async () => {
    const jobId = pulumi.output("987");
    const dag = new AirflowDag("fraud-dag", {
      bucket: "acme-airflow-qa",
      key: "dags/fraud_qa.py",
      content: jobId.apply((id) => `# job ${id}\n`),
      contentType: "text/x-python",
    });
    await mocks.settle();
    expect(tree(mocks.declared)).toEqual([
      [OBJECT, "fraud-dag", "fraud-dag"],
      ["mlplatform:airflow:AirflowDag", "fraud-dag", ""],
    ]);
    const object = one(mocks.declared, OBJECT, "fraud-dag");
    expect(object.inputs).toEqual({
      bucket: "acme-airflow-qa",
      key: "dags/fraud_qa.py",
      content: "# job 987\n",
      contentType: "text/x-python",
    });
    // Not data: removing the service deletes its DAG, so Airflow stops scheduling it.
    expect([object.protect, object.retainOnDelete]).toEqual([false, false]);
    // S3 allows 10 tags per object: none are set.
    expect(object.inputs.tags).toBeUndefined();
    expect([dag.bucket, dag.key]).toEqual(["acme-airflow-qa", "dags/fraud_qa.py"]);
  });
});
