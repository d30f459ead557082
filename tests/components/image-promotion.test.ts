/**
 * ImageCopy and ImagePromotionRole from purpose-built Args values: the copy runs the script it is
 * given (by its project-relative path, hashed from the project root given), with values only in
 * its environment and nothing on delete; the role is assumable by the deploy role alone, reads
 * the sources, writes the target, never the base image.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { one, policyOf, recordDeclarations, tree } from "./harness";

const COMMAND = "command:local:Command";
const mocks = recordDeclarations((a) =>
  a.type === COMMAND
    ? { ...a.inputs, stdout: "copied", stderr: "" }
    : { ...a.inputs, arn: `arn:mock:${a.name}` },
);

// Imported after setMocks, as a program would.
import { ImageCopy, ImageCopyArgs } from "../../components/image-promotion/image-copy";
import { ImagePromotionRole } from "../../components/image-promotion-role";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const DIGEST = `sha256:${"cd".repeat(32)}`;
const SOURCE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme/fraud-qa";
const TARGET = "210987654321.dkr.ecr.eu-west-1.amazonaws.com/acme/fraud-live";

/** A project of its own: the component reads the script only from the root it is given. */
const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "image-copy-"));
const SCRIPT = "tools/copy.sh";
const SCRIPT_TEXT = "#!/usr/bin/env bash\necho copy\n";
fs.mkdirSync(path.join(ROOT, "tools"));
fs.writeFileSync(path.join(ROOT, SCRIPT), SCRIPT_TEXT);
afterAll(() => fs.rmSync(ROOT, { recursive: true, force: true }));

const ARGS: ImageCopyArgs = {
  sourceRepositoryUrl: SOURCE,
  targetRepositoryUrl: TARGET,
  gitSha: SHA,
  digest: DIGEST,
  region: "eu-west-1",
  roleArn: "arn:aws:iam::210987654321:role/acme-live-image-promotion",
  sessionPolicy: '{"Version":"2012-10-17","Statement":[]}',
  scriptPath: SCRIPT,
  projectRoot: ROOT,
};

beforeEach(() => mocks.reset());

describe("ImageCopy", () => {
  test("one command running the given script, its hash a trigger, nothing on delete", async () => {
    const copy = new ImageCopy("fraud-image", ARGS);
    await mocks.settle();
    expect(tree(mocks.declared)).toEqual([
      [COMMAND, "fraud-image", "fraud-image"],
      ["mlplatform:aws:ImageCopy", "fraud-image", ""],
    ]);
    const hash = createHash("sha256").update(SCRIPT_TEXT).digest("hex").slice(0, 16);
    const cmd = one(mocks.declared, COMMAND, "fraud-image");
    expect(cmd.inputs).toEqual({
      interpreter: ["bash", "-c"],
      create: "bash tools/copy.sh",
      update: "bash tools/copy.sh",
      environment: {
        SOURCE,
        TARGET,
        GIT_SHA: SHA,
        DIGEST,
        REGION: "eu-west-1",
        ROLE_ARN: ARGS.roleArn,
        SESSION_POLICY: ARGS.sessionPolicy,
      },
      triggers: [SOURCE, TARGET, SHA, DIGEST, hash],
      addPreviousOutputInEnv: false,
    });
    expect(cmd.inputs.delete).toBeUndefined();
    expect(await new Promise((resolve) => copy.imageRef.apply(resolve))).toBe(`${TARGET}:${SHA}`);
  });

  test("verifying in the building environment: no role and no session policy in the environment", async () => {
    new ImageCopy("built", {
      ...ARGS,
      targetRepositoryUrl: SOURCE,
      roleArn: undefined,
      sessionPolicy: undefined,
    });
    await mocks.settle();
    const env = one(mocks.declared, COMMAND, "built").inputs.environment as Record<string, string>;
    expect(Object.keys(env).sort()).toEqual(["DIGEST", "GIT_SHA", "REGION", "SOURCE", "TARGET"]);
  });

  test.each([
    [
      { scriptPath: "/etc/copy.sh" },
      'ImageCopy bad.scriptPath: must be a path relative to projectRoot, inside it, got "/etc/copy.sh"',
    ],
    [
      { scriptPath: "../copy.sh" },
      'ImageCopy bad.scriptPath: must be a path relative to projectRoot, inside it, got "../copy.sh"',
    ],
    [
      { scriptPath: "tools/missing.sh" },
      `ImageCopy bad.scriptPath: no file ${path.join(ROOT, "tools/missing.sh")}`,
    ],
    [
      { projectRoot: "relative/root" },
      'ImageCopy bad.projectRoot: must be an absolute path, got "relative/root"',
    ],
    [{ gitSha: "main" }, "ImageCopy bad.gitSha: must be a full git commit sha"],
    [
      { region: "Ireland" },
      'ImageCopy bad.region: must be an AWS region such as eu-west-1, got "Ireland"',
    ],
  ])("refuses %j naming the field", (override, message) => {
    expect(() => new ImageCopy("bad", { ...ARGS, ...override })).toThrow(message);
  });
});

describe("ImagePromotionRole", () => {
  test("assumable only by the deploy role; reads sources, writes the target, denied the base image", async () => {
    new ImagePromotionRole("image-promotion", {
      roleName: "acme-live-image-promotion",
      deployRoleArn: "arn:aws:iam::210987654321:role/deploy",
      sourceRepositoryPatterns: ["arn:aws:ecr:eu-west-1:123456789012:repository/acme/*-qa"],
      targetRepositoryPattern: "arn:aws:ecr:eu-west-1:210987654321:repository/acme/*-live",
      baseImageRepositoryArn: "arn:aws:ecr:eu-west-1:210987654321:repository/acme/base-live",
      tags: { service: "platform" },
    });
    await mocks.settle();
    expect(tree(mocks.declared)).toEqual([
      ["aws:iam/role:Role", "image-promotion", "image-promotion"],
      ["aws:iam/rolePolicy:RolePolicy", "image-promotion", "image-promotion"],
      ["mlplatform:aws:ImagePromotionRole", "image-promotion", ""],
    ]);
    const role = one(mocks.declared, "aws:iam/role:Role", "image-promotion");
    expect([role.inputs.name, role.inputs.maxSessionDuration]).toEqual([
      "acme-live-image-promotion",
      3600,
    ]);
    expect(policyOf(role, "assumeRolePolicy").Statement).toEqual([
      {
        Sid: "DeployRoleOnly",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::210987654321:role/deploy" },
        Action: ["sts:AssumeRole"],
      },
    ]);
    const read = [
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
      "ecr:BatchCheckLayerAvailability",
      "ecr:DescribeImages",
    ];
    const push = [
      "ecr:InitiateLayerUpload",
      "ecr:UploadLayerPart",
      "ecr:CompleteLayerUpload",
      "ecr:PutImage",
    ];
    expect(
      policyOf(one(mocks.declared, "aws:iam/rolePolicy:RolePolicy", "image-promotion")).Statement,
    ).toEqual([
      { Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
      {
        Sid: "ReadSourceImages",
        Effect: "Allow",
        Action: read,
        Resource: ["arn:aws:ecr:eu-west-1:123456789012:repository/acme/*-qa"],
      },
      {
        Sid: "WriteTargetImages",
        Effect: "Allow",
        Action: [...read, ...push],
        Resource: "arn:aws:ecr:eu-west-1:210987654321:repository/acme/*-live",
      },
      {
        Sid: "NeverTheBaseImage",
        Effect: "Deny",
        Action: push,
        Resource: "arn:aws:ecr:eu-west-1:210987654321:repository/acme/base-live",
      },
    ]);
  });
});
