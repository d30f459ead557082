/**
 * Points 1 and 2 of the Drone review, end to end: the DroneRepository a service pipeline declares
 * (as the engine receives it) is created by the provider in the fake Drone server, then a webhook
 * build of the service's real, rendered .drone.yml is triggered as Drone's trigger would
 * (drone/drone trigger/trigger.go): no build of a service may wait for approval. And the secrets:
 * which builds get them is Drone's rule (operator/manager/manager.go), whatever pull_request_push
 * says.
 */
import * as pulumi from "@pulumi/pulumi";
import { recordRegistrations, settled } from "../helpers/registrations";

const recorder = recordRegistrations();

// Imported after setMocks, as the program would be.
import { DroneServicePipeline, SERVICE_REPOSITORY_SETTINGS } from "../../components/drone";
import {
  DroneRepositoryInputs,
  droneRepositoryProvider,
} from "../../components/drone/repository-provider";
import {
  DroneSecretSetInputs,
  droneSecretSetProvider,
} from "../../components/drone/secret-set-provider";
import { PIPELINE_SECRETS } from "../../program/pipeline-secrets";
import { examples, render } from "../templates/fixtures";
import { FakeDroneServer, withSignature } from "./fake-drone-server";
import { CapturedOutput, FAST, TOKEN, VALUE, captureOutput } from "./helpers";

const SLUG = "acme-ml/churn-model";
const SETTINGS = [
  "configPath",
  "protected",
  "trusted",
  "visibility",
  "ignoreForks",
  "ignorePullRequests",
  "autoCancelPullRequests",
  "autoCancelPushes",
  "timeoutMinutes",
] as const;

let drone: FakeDroneServer;
let output: CapturedOutput;

/** The inputs of the service pipeline's DroneRepository and DroneRepositorySecrets, as registered. */
async function declared(): Promise<{
  repository: Record<string, unknown>;
  secrets: Record<string, unknown>;
}> {
  recorder.reset();
  const values = Object.fromEntries(
    Object.entries(PIPELINE_SECRETS).map(([k, spec]) => [spec.name, `${VALUE}-${k}`]),
  );
  const pipeline = new DroneServicePipeline("churn-model-dev-ci", {
    server: "https://drone.acme-ml.example",
    token: pulumi.secret(TOKEN),
    owner: "acme-ml",
    repositoryName: "churn-model",
    secrets: values,
  });
  await settled(pipeline.repository.urn);
  await settled(pipeline.secrets.urn);
  const find = (type: string) => recorder.registered.find((r) => r.type === type)!.inputs;
  return {
    repository: find("pulumi-nodejs:dynamic/drone:Repository"),
    secrets: find("pulumi-nodejs:dynamic/drone:RepositorySecrets"),
  };
}

/** The service's rendered .drone.yml (the first example service of a stack that builds it). */
function servicePipelineFile(): string {
  const example = examples().find(({ service }) => service.name.length > 0)!;
  const file = render(example.service, example.settings).find((f) => f.path === ".drone.yml");
  return file!.content;
}

beforeAll(() => {
  output = captureOutput();
});

beforeEach(async () => {
  drone = await FakeDroneServer.start(TOKEN);
});

afterEach(async () => {
  await drone.stop();
});

afterAll(() => {
  output.restore();
  expect(output.text()).not.toContain(TOKEN);
  expect(output.text()).not.toContain(VALUE);
});

describe("point 1: every service build ran without waiting for approval", () => {
  test("the plan shows every Drone setting of a service repository as an input", async () => {
    const { repository } = await declared();
    const shown = Object.fromEntries(SETTINGS.map((k) => [k, repository[k]]));
    expect(shown).toEqual({
      configPath: ".drone.yml",
      protected: false,
      trusted: false,
      visibility: "private",
      ignoreForks: true,
      ignorePullRequests: false,
      autoCancelPullRequests: true,
      autoCancelPushes: true,
      timeoutMinutes: 60,
    });
    expect(shown).toEqual({ ...SERVICE_REPOSITORY_SETTINGS });
  });

  test("a push and a pull-request build of the service's own .drone.yml are not blocked", async () => {
    const { repository } = await declared();
    const config = servicePipelineFile();
    // The platform signs no pipeline file.
    expect(config).not.toMatch(/^kind: signature$/m);
    drone.addRepository(SLUG, { trusted: true, visibility: "internal" });
    const provider = droneRepositoryProvider(FAST);
    const raw = {
      ...Object.fromEntries(SETTINGS.map((k) => [k, repository[k]])),
      server: drone.url,
      token: TOKEN,
      owner: repository.owner,
      name: repository.name,
    } as unknown as DroneRepositoryInputs;
    const { inputs, failures } = await provider.check!(raw, raw);
    expect(failures).toEqual([]);
    await provider.create(inputs!);
    expect(drone.hook(SLUG, { event: "push", config })).toBe("pending");
    expect(drone.hook(SLUG, { event: "pull_request", config })).toBe("pending");
    // Forks are not built at all.
    expect(drone.hook(SLUG, { event: "pull_request", config, fork: "someone/churn-model" })).toBe(
      "skipped",
    );
    // A server whose sync marks repositories trusted, or internal, is put back.
    expect(drone.repositories.get(SLUG)).toMatchObject({
      active: true,
      protected: false,
      trusted: false,
      visibility: "private",
    });
  });

  test("the fake blocks as Drone's trigger does: protected and unsigned blocks a hook build, signed does not, a cron never", async () => {
    const config = servicePipelineFile();
    const repo = drone.addRepository(SLUG);
    const provider = droneRepositoryProvider(FAST);
    const { inputs } = await provider.check!(
      {} as DroneRepositoryInputs,
      {
        server: drone.url,
        token: TOKEN,
        owner: "acme-ml",
        name: "churn-model",
        protected: true,
      } as DroneRepositoryInputs,
    );
    await provider.create(inputs!);
    expect(repo.protected).toBe(true);
    expect(drone.hook(SLUG, { event: "push", config })).toBe("blocked");
    expect(drone.hook(SLUG, { event: "cron", config, trigger: "@cron" })).toBe("pending");
    // `drone sign --save acme-ml/churn-model`: the server signs with the repository's key.
    const answer = await fetch(`${drone.url}/api/repos/acme-ml/churn-model/sign`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ data: config }),
    });
    const { data: hmac } = (await answer.json()) as { data: string };
    expect(hmac).toMatch(/^[0-9a-f]{64}$/);
    const signed = withSignature(config, hmac);
    expect(drone.hook(SLUG, { event: "push", config: signed })).toBe("pending");
    // Any change after signing voids the signature.
    const tampered = signed.replace("name: ci", "name: cj");
    expect(drone.hook(SLUG, { event: "push", config: tampered })).toBe("blocked");
  });
});

describe("point 2: which builds get a service's secrets", () => {
  test("push builds of any branch get every secret; pull-request builds none; pull_request_push changes nothing", async () => {
    const { secrets } = await declared();
    drone.addRepository(SLUG, { active: true });
    const exposure = secrets.exposure as DroneSecretSetInputs["exposure"];
    const names = Object.values(PIPELINE_SECRETS).map((p) => p.name);
    expect(Object.keys(exposure).sort()).toEqual([...names].sort());
    await droneSecretSetProvider(FAST).create({
      server: drone.url,
      token: TOKEN,
      repository: SLUG,
      exposure,
      values: Object.fromEntries(names.map((n) => [n, `${VALUE}-${n}`])),
    });
    expect(drone.secretsForBuild(SLUG, "push").sort()).toEqual([...names].sort());
    expect(drone.secretsForBuild(SLUG, "pull_request")).toEqual([]);
    // Drone never reads pull_request_push: turning it on or off changes no build's secrets.
    for (const secret of drone.secretsOf(SLUG).values()) secret.pull_request_push = true;
    expect(drone.secretsForBuild(SLUG, "pull_request")).toEqual([]);
    expect(drone.secretsForBuild(SLUG, "push").sort()).toEqual([...names].sort());
  });
});
