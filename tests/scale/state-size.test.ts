/**
 * The benchmark's state measurement: a GitCommit counted as the first and the later `up`s store
 * it, each dynamic resource's provider text, and the example catalog's state against the target.
 */
import {
  jsonBytes,
  resourceStateBytes,
  serializedProviders,
  stateSize,
} from "../../bench/state-size";
import { PROVIDER_TYPES, ProviderKind, providerText } from "../../components/dynamic-providers";
import { gitBlobSha } from "../../components/github/commit-provider";
import { SERIALIZED_PROVIDER } from "../../offline/plan/mock-engine";
import type { PlanDocument, PlanResource } from "../../offline/plan/types";
import { stacksOrThrow } from "../../catalog/stacks";
import { examplePlan } from "../helpers/example-plans";

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

describe("the example catalog's state, stack dev", () => {
  const texts = serializedProviders();
  const engine = (doc: PlanDocument) => {
    const settings = stacksOrThrow().find((s) => s.stack === doc.stack)!.settings;
    return {
      region: settings.awsRegion,
      accountId: settings.awsAccountId,
      githubOrganization: settings.githubOrganization,
    };
  };

  test("each dynamic resource counts its one-line provider text twice", async () => {
    const providerTexts = await texts;
    expect(providerTexts).toEqual(
      new Map(
        (Object.keys(PROVIDER_TYPES) as ProviderKind[]).map((k) => [
          PROVIDER_TYPES[k],
          providerText(k),
        ]),
      ),
    );
    const doc = await examplePlan("dev");
    const dynamic = doc.services.flatMap((s) =>
      s.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/")),
    );
    // Repository activation, the pipeline's secrets and the content commit of each service.
    expect(dynamic).toHaveLength(3 * doc.services.length);
    for (const r of dynamic) {
      const text = providerTexts.get(r.type)!;
      const withMarker = resourceStateBytes(
        r,
        new Map([[r.type, SERIALIZED_PROVIDER]]),
        engine(doc),
      );
      expect(resourceStateBytes(r, providerTexts, engine(doc)) - withMarker).toBe(
        2 * (jsonBytes(text) - jsonBytes(SERIALIZED_PROVIDER)),
      );
      expect(Buffer.byteLength(text)).toBeLessThan(120);
    }
  });

  test("at most 40 KB per service from the second up on", async () => {
    const doc = await examplePlan("dev");
    const size = stateSize(doc, await texts, engine(doc));
    expect(doc.services.length).toBeGreaterThan(0);
    expect(size.perServiceBytes).toBeLessThanOrEqual(40 * 1024);
    // The first up still stores the template's contents.
    expect(size.firstUpPerServiceBytes).toBeGreaterThan(size.perServiceBytes + 40 * 1024);
  });
});
