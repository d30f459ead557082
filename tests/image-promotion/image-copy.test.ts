import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { recordRegistrations, settled } from "../helpers/registrations";

const COMMAND = "command:local:Command";
const STDOUT = "copied <source> to <target>";
const recorder = recordRegistrations((args) =>
  args.type === COMMAND ? { ...args.inputs, stdout: STDOUT, stderr: "" } : args.inputs,
);
const { registered } = recorder;

// Imported after setMocks, as the SDK requires.
import type * as ImageCopyModule from "../../components/image-promotion/image-copy";
const imageCopyModule =
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require("../../components/image-promotion/image-copy") as typeof ImageCopyModule;
const { COPY_IMAGE_SCRIPT_PATH, ImageCopy, validateImagePin } = imageCopyModule;
/** The program passes the script by its path in the project, and the project's folder. */
const PROJECT_ROOT = path.join(__dirname, "..", "..");
const COPY_IMAGE_SCRIPT = path.join(PROJECT_ROOT, COPY_IMAGE_SCRIPT_PATH);
const SCRIPT = { scriptPath: COPY_IMAGE_SCRIPT_PATH, projectRoot: PROJECT_ROOT };

const SHA = "0123456789abcdef0123456789abcdef01234567";
const DIGEST = `sha256:${"ab".repeat(32)}`;
const DEV = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/mlp/churn-dev";
const PROD = "444455556666.dkr.ecr.eu-west-1.amazonaws.com/mlp/churn-prod";
const ROLE = "arn:aws:iam::444455556666:role/mlp-churn-prod-promote";
const POLICY = JSON.stringify({ Version: "2012-10-17", Statement: [] });

async function settle(copy: InstanceType<typeof ImageCopy>): Promise<void> {
  await settled(copy.urn);
  await settled(copy.command.urn);
  await settled(copy.imageRef);
  await new Promise((resolve) => setImmediate(resolve));
}

beforeEach(() => recorder.reset());

describe("ImageCopy", () => {
  it("declares the component and exactly one command", async () => {
    const copy = new ImageCopy("churn-prod-image", {
      ...SCRIPT,
      sourceRepositoryUrl: DEV,
      targetRepositoryUrl: PROD,
      gitSha: SHA,
      digest: DIGEST,
      region: "eu-west-1",
    });
    await settle(copy);
    expect(registered.map((r) => [r.type, r.name])).toEqual([
      ["mlplatform:aws:ImageCopy", "churn-prod-image"],
      [COMMAND, "churn-prod-image"],
    ]);
  });

  it("runs copy-image.sh on create and on update, with the pin in its environment", async () => {
    const copy = new ImageCopy("churn-prod-image", {
      ...SCRIPT,
      sourceRepositoryUrl: pulumi.output(DEV),
      targetRepositoryUrl: pulumi.output(PROD),
      gitSha: SHA,
      digest: DIGEST,
      region: "eu-west-1",
    });
    await settle(copy);
    const cmd = registered.find((r) => r.type === COMMAND)!;
    const script = fs.readFileSync(COPY_IMAGE_SCRIPT, "utf8");
    expect(script.startsWith("#!/usr/bin/env bash\n")).toBe(true);
    // The project-relative path is the script's (the command runs in the project root).
    expect(path.resolve(__dirname, "..", "..", COPY_IMAGE_SCRIPT_PATH)).toBe(COPY_IMAGE_SCRIPT);
    const scriptHash = createHash("sha256").update(script).digest("hex").slice(0, 16);
    expect(cmd.inputs).toEqual({
      interpreter: ["bash", "-c"],
      create: `bash ${COPY_IMAGE_SCRIPT_PATH}`,
      update: `bash ${COPY_IMAGE_SCRIPT_PATH}`,
      environment: {
        SOURCE: DEV,
        TARGET: PROD,
        GIT_SHA: SHA,
        DIGEST: DIGEST,
        REGION: "eu-west-1",
      },
      triggers: [DEV, PROD, SHA, DIGEST, scriptHash],
      addPreviousOutputInEnv: false,
    });
    // Nothing runs on delete: a copied image is never deleted by the platform.
    expect(cmd.inputs.delete).toBeUndefined();
    expect(cmd.options.retainOnDelete).toBe(false);
    expect(cmd.options.deleteBeforeReplace).toBe(false);
  });

  it("passes the role and its session policy, and no secret", async () => {
    const copy = new ImageCopy("churn-prod-image", {
      ...SCRIPT,
      sourceRepositoryUrl: DEV,
      targetRepositoryUrl: PROD,
      gitSha: SHA,
      digest: DIGEST,
      roleArn: ROLE,
      sessionPolicy: POLICY,
      region: "eu-west-1",
    });
    await settle(copy);
    const cmd = registered.find((r) => r.type === COMMAND)!;
    expect(cmd.inputs.environment).toEqual({
      SOURCE: DEV,
      TARGET: PROD,
      GIT_SHA: SHA,
      DIGEST: DIGEST,
      REGION: "eu-west-1",
      ROLE_ARN: ROLE,
      SESSION_POLICY: POLICY,
    });
    expect(Object.keys(cmd.inputs.environment as object).sort()).not.toContain(
      "AWS_SECRET_ACCESS_KEY",
    );
  });

  it("changes its triggers with the pin, so a new pin copies again", async () => {
    const triggersFor = async (gitSha: string, digest: string) => {
      recorder.reset();
      await settle(
        new ImageCopy("churn-prod-image", {
          ...SCRIPT,
          sourceRepositoryUrl: DEV,
          targetRepositoryUrl: PROD,
          gitSha,
          digest,
          region: "eu-west-1",
        }),
      );
      return registered.find((r) => r.type === COMMAND)!.inputs.triggers;
    };
    const first = await triggersFor(SHA, DIGEST);
    const newSha = await triggersFor("f".repeat(40), DIGEST);
    const newDigest = await triggersFor(SHA, `sha256:${"cd".repeat(32)}`);
    expect(newSha).not.toEqual(first);
    expect(newDigest).not.toEqual(first);
    expect(newDigest).not.toEqual(newSha);
  });

  it("outputs <target>:<gitSha> and the digest once the command has run", async () => {
    const copy = new ImageCopy("churn-prod-image", {
      ...SCRIPT,
      sourceRepositoryUrl: DEV,
      targetRepositoryUrl: pulumi.output(PROD),
      gitSha: SHA,
      digest: DIGEST,
      region: "eu-west-1",
    });
    await settle(copy);
    expect(await settled(copy.imageRef)).toBe(`${PROD}:${SHA}`);
    expect(await settled(copy.digest)).toBe(DIGEST);
    // The outputs carry the command as a dependency (what the jobs wait for).
    const deps = await (copy.imageRef as unknown as { allResources(): Promise<Set<unknown>> })
      .allResources!();
    expect(deps.has(copy.command)).toBe(true);
  });

  it("refuses a bad pin or region at declaration, naming the field", () => {
    const args = {
      ...SCRIPT,
      sourceRepositoryUrl: DEV,
      targetRepositoryUrl: PROD,
      gitSha: SHA,
      digest: DIGEST,
      region: "eu-west-1",
    };
    expect(() => new ImageCopy("bad-sha", { ...args, gitSha: "main" })).toThrow(
      'ImageCopy bad-sha.gitSha: must be a full git commit sha, 40 lowercase hex characters, got "main"',
    );
    expect(() => new ImageCopy("bad-digest", { ...args, digest: "latest" })).toThrow(
      'ImageCopy bad-digest.digest: must be an image digest, sha256: followed by 64 lowercase hex characters, got "latest"',
    );
    expect(() => new ImageCopy("bad-region", { ...args, region: "Ireland" })).toThrow(
      'ImageCopy bad-region.region: must be an AWS region such as eu-west-1, got "Ireland"',
    );
  });
});

describe("validateImagePin", () => {
  const where = "services/churn.yaml: images.prod";

  it("returns a valid pin as it is", () => {
    expect(validateImagePin({ gitSha: SHA, digest: DIGEST }, where)).toEqual({
      gitSha: SHA,
      digest: DIGEST,
    });
  });

  const shaForm = "must be a full git commit sha, 40 lowercase hex characters, got";
  const digestForm =
    "must be an image digest, sha256: followed by 64 lowercase hex characters, got";
  const cases: [string, unknown, string][] = [
    [
      "not a mapping",
      "sha256:abc",
      `${where}: must be a mapping with gitSha (40 lowercase hex characters) and digest (sha256: followed by 64 lowercase hex characters), got "sha256:abc"`,
    ],
    [
      "a list",
      [SHA, DIGEST],
      `${where}: must be a mapping with gitSha (40 lowercase hex characters) and digest (sha256: followed by 64 lowercase hex characters), got a list`,
    ],
    [
      "nothing",
      undefined,
      `${where}: must be a mapping with gitSha (40 lowercase hex characters) and digest (sha256: followed by 64 lowercase hex characters), got nothing`,
    ],
    [
      "an unknown field",
      { gitSha: SHA, digest: DIGEST, tag: "latest" },
      `${where}.tag: unknown field (allowed: gitSha, digest)`,
    ],
    ["no gitSha", { digest: DIGEST }, `${where}.gitSha: ${shaForm} nothing`],
    ["a short sha", { gitSha: "0123456", digest: DIGEST }, `${where}.gitSha: ${shaForm} "0123456"`],
    [
      "an uppercase sha",
      { gitSha: SHA.toUpperCase(), digest: DIGEST },
      `${where}.gitSha: ${shaForm} "${SHA.toUpperCase()}"`,
    ],
    ["a numeric sha", { gitSha: 1234, digest: DIGEST }, `${where}.gitSha: ${shaForm} a number`],
    ["no digest", { gitSha: SHA }, `${where}.digest: ${digestForm} nothing`],
    [
      "a digest without algorithm",
      { gitSha: SHA, digest: "ab".repeat(32) },
      `${where}.digest: ${digestForm} "${"ab".repeat(32)}"`,
    ],
    [
      "another algorithm",
      { gitSha: SHA, digest: `sha512:${"ab".repeat(64)}` },
      `${where}.digest: ${digestForm} "sha512:${"ab".repeat(64).slice(0, 70)}..."`,
    ],
    ["a tag", { gitSha: SHA, digest: "v1.2.3" }, `${where}.digest: ${digestForm} "v1.2.3"`],
  ];
  it.each(cases)("refuses %s", (_label, pin, message) => {
    expect(() => validateImagePin(pin, where)).toThrow(new Error(message));
  });
});
