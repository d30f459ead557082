/** The benchmark's state measurement: a GitCommit counted as the first and the later `up`s store it. */
import { jsonBytes, resourceStateBytes, stateSize } from "../../bench/state-size";
import { gitBlobSha } from "../../components/github/commit-provider";
import { SERIALIZED_PROVIDER } from "../../lib/plan/mock-engine";
import type { PlanDocument, PlanResource } from "../../lib/plan/types";

const TYPE = "pulumi-nodejs:dynamic/github:Commit";
const ENGINE = { region: "eu-west-1", githubOrganization: "acme-ml" };
const TEXTS = new Map([[TYPE, "p".repeat(100)]]);
const CONTENT = "kind: pipeline\n".repeat(200);

function commit(): PlanResource {
  return {
    urn: `urn:pulumi:dev::mlplatform::${TYPE}::churn-model-content-scaffold`,
    type: TYPE,
    name: "churn-model-content-scaffold",
    custom: true,
    inputs: {
      __provider: SERIALIZED_PROVIDER,
      apiUrl: "https://api.github.com",
      token: "[secret]",
      owner: "acme-ml",
      repository: "churn-model",
      branch: "main",
      files: [{ path: ".drone.yml", content: CONTENT }],
      message: "Scaffold",
      authorName: "ML platform",
      authorEmail: "ml-platform@users.noreply.github.com",
    },
    protect: false,
    retainOnDelete: false,
    ignoreChanges: ["files", "message", "authorName", "authorEmail"],
  };
}

test("later states count the blob sha in place of the content; the first counts the content", () => {
  const first = resourceStateBytes(commit(), TEXTS, ENGINE, "first");
  const later = resourceStateBytes(commit(), TEXTS, ENGINE);
  const contentFiles = jsonBytes(commit().inputs.files);
  const blobFiles = jsonBytes([{ path: ".drone.yml", blob: gitBlobSha(CONTENT) }]);
  expect(first - later).toBe(contentFiles - blobFiles);
  expect(contentFiles - blobFiles).toBeGreaterThan(CONTENT.length - 100);
  // The provider's text, once in the inputs and once in the outputs, in both.
  expect(later).toBeGreaterThan(2 * 100);
  expect(resourceStateBytes(commit(), TEXTS, ENGINE, "later")).toBe(later);
});

test("other resources count the same in both states", () => {
  const bucket: PlanResource = {
    ...commit(),
    type: "aws:s3/bucket:Bucket",
    inputs: { bucket: "acme-churn-model-dev-artifacts", files: [{ path: "x", content: "y" }] },
  };
  expect(resourceStateBytes(bucket, TEXTS, ENGINE, "first")).toBe(
    resourceStateBytes(bucket, TEXTS, ENGINE, "later"),
  );
});

test("stateSize reports both, per service", () => {
  const doc = {
    services: [{ resources: [commit()] }, { resources: [commit()] }],
    platform: { resources: [] },
  } as unknown as PlanDocument;
  const size = stateSize(doc, TEXTS, ENGINE);
  expect(size.perServiceBytes).toBe(resourceStateBytes(commit(), TEXTS, ENGINE));
  expect(size.firstUpPerServiceBytes).toBe(resourceStateBytes(commit(), TEXTS, ENGINE, "first"));
  expect(size.servicesBytes).toBe(2 * size.perServiceBytes);
});
