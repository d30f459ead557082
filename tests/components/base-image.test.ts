/**
 * BaseImage on its own, under the SDK's mock engine with a purpose-built Args value: the registry,
 * the docker-build Image (context, platform, tag, push only a tag the immutable repository lacks,
 * ECR login with a secret password, retained on delete) and what it leaves out with the build off.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as BaseImageModule from "../../components/base-image";
import { isSecretWrapper, settled, unwrap } from "../helpers/registrations";
import { skipSdkStackCapture } from "../helpers/sdk-stacks";

const ACCOUNT = "123456789012";
const REPOSITORY = "mlp/base-dev";
const URL = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/${REPOSITORY}`;
const TAG = "base-0123456789ab";
const TOKEN = "ecr-login-token-value";
const DIGEST = `sha256:${"ab".repeat(32)}`;

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  retainOnDelete: boolean;
  ignoreChanges: string[];
  parent: string;
}
const registered: Registered[] = [];
const invokes: { token: string; inputs: Record<string, unknown> }[] = [];
/** The tags the mocked repository holds (what ECR ListImages answers). */
let existingTags: string[] = [];
const options = new Map<string, Omit<Registered, "type" | "name" | "inputs">>();

pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      registered.push({
        type: args.type,
        name: args.name,
        inputs: args.inputs,
        ...options.get(args.name)!,
      });
      if (args.type === "aws:ecr/repository:Repository") {
        return {
          id: String(args.inputs.name),
          state: {
            ...args.inputs,
            repositoryUrl: URL,
            registryId: ACCOUNT,
            arn: `arn:${REPOSITORY}`,
          },
        };
      }
      if (args.type === "docker-build:index:Image") {
        return {
          id: DIGEST,
          state: { ...args.inputs, digest: DIGEST, ref: `${URL}:${TAG}@${DIGEST}` },
        };
      }
      return { id: `${args.name}-id`, state: args.inputs };
    },
    call: (args) => {
      invokes.push({ token: args.token, inputs: args.inputs });
      if (args.token === "aws:ecr/getAuthorizationToken:getAuthorizationToken") {
        return {
          userName: "AWS",
          password: TOKEN,
          authorizationToken: TOKEN,
          proxyEndpoint: `https://${URL}`,
        };
      }
      if (args.token === "aws:ecr/getImages:getImages") {
        return {
          imageIds: [
            ...existingTags.map((imageTag) => ({ imageTag, imageDigest: DIGEST })),
            { imageDigest: DIGEST },
          ],
          repositoryName: args.inputs.repositoryName,
        };
      }
      throw new Error(`unexpected invoke ${args.token}`);
    },
  },
  "mlplatform",
  "dev",
  false,
);
skipSdkStackCapture();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const monitor = require("@pulumi/pulumi/runtime/state").getStore().settings.monitor as {
  registerResource: (req: RegisterRequest, callback: unknown) => unknown;
};
interface RegisterRequest {
  getName(): string;
  getRetainondelete(): boolean;
  getIgnorechangesList(): string[];
  getParent(): string;
}
const register = monitor.registerResource.bind(monitor);
monitor.registerResource = (req, callback) => {
  options.set(req.getName(), {
    retainOnDelete: req.getRetainondelete(),
    ignoreChanges: req.getIgnorechangesList(),
    parent: req.getParent(),
  });
  return register(req, callback);
};

// The component module loads once the mocks are in place, as a program's would.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const component: typeof BaseImageModule = require("../../components/base-image");
const { BaseImage, BASE_IMAGE_CONTEXT, shouldPush } = component;

const ARGS = {
  repositoryName: REPOSITORY,
  tag: TAG,
  build: true,
  pullRoles: [`arn:aws:iam::${ACCOUNT}:role/mlp-*-dev-ci`],
  pushRole: `arn:aws:iam::${ACCOUNT}:role/deploy`,
  tags: { service: "platform", team: "ml-platform", environment: "dev" },
};

/** Declares a BaseImage and waits until the engine answered every registration. */
async function declare(name: string, build = true): Promise<InstanceType<typeof BaseImage>> {
  const image = new BaseImage(name, { ...ARGS, build });
  await settled(image.imageRef);
  if (image.digest) await settled(image.digest);
  await settled(image.registry.repository.arn);
  await new Promise((resolve) => setTimeout(resolve, 50));
  return image;
}

function ofName(name: string): Registered[] {
  return registered.filter((r) => r.name === name || r.name.startsWith(`${name}-`));
}

beforeEach(() => {
  registered.length = 0;
  invokes.length = 0;
  existingTags = [];
});

describe("BaseImage with the build on", () => {
  test("registers the registry and one docker-build Image, child of the component", async () => {
    await declare("bi");
    const types = ofName("bi").map((r) => r.type);
    expect(types.filter((t) => t === "docker-build:index:Image")).toEqual([
      "docker-build:index:Image",
    ]);
    expect(types).toContain("mlplatform:platform:BaseImage");
    expect(types).toContain("aws:ecr/repository:Repository");
    // The former image type of @pulumi/docker is gone.
    expect(types).not.toContain("docker:index/image:Image");
    const image = ofName("bi").find((r) => r.type === "docker-build:index:Image")!;
    expect(image.name).toBe("bi");
    expect(image.parent).toBe("urn:pulumi:dev::mlplatform::mlplatform:platform:BaseImage::bi");
  });

  test("builds templates/base-image for linux/amd64, tagged with the content tag, and pushes a new tag", async () => {
    await declare("new-tag");
    const image = ofName("new-tag").find((r) => r.type === "docker-build:index:Image")!;
    const { registries, ...rest } = image.inputs;
    expect(rest).toEqual({
      context: { location: "templates/base-image" },
      dockerfile: { location: "templates/base-image/Dockerfile" },
      platforms: ["linux/amd64"],
      tags: [`${URL}:${TAG}`],
      push: true,
      buildOnPreview: false,
      // The SDK's default (image.js: network ?? "default").
      network: "default",
    });
    expect(BASE_IMAGE_CONTEXT).toBe("templates/base-image");
    // The old docker.Image's inputs are not carried over.
    expect(image.inputs.imageName).toBeUndefined();
    expect(image.inputs.registry).toBeUndefined();
    expect(image.inputs.build).toBeUndefined();
    // The secret password makes the whole list a secret as the engine receives it.
    expect(isSecretWrapper(registries)).toBe(true);
    expect(unwrap(registries)).toEqual([{ address: URL, username: "AWS", password: TOKEN }]);
  });

  test("no credential appears outside a secret in any registration", async () => {
    await declare("no-plain");
    const plain = (value: unknown): boolean => {
      if (isSecretWrapper(value)) return false;
      if (typeof value === "string") return value.includes(TOKEN);
      if (value && typeof value === "object") return Object.values(value).some(plain);
      return false;
    };
    expect(
      ofName("no-plain")
        .filter((r) => plain(r.inputs))
        .map((r) => r.name),
    ).toEqual([]);
    // The check itself sees a plain token.
    expect(plain({ registries: [{ password: TOKEN }] })).toBe(true);
  });

  test("does not push a tag the immutable repository already holds", async () => {
    existingTags = ["base-ffffffffffff", TAG];
    await declare("tag-exists");
    const image = ofName("tag-exists").find((r) => r.type === "docker-build:index:Image")!;
    expect(image.inputs.push).toBe(false);
    expect(image.inputs.tags).toEqual([`${URL}:${TAG}`]);
  });

  test("pushes when the repository holds only other tags", async () => {
    existingTags = ["base-ffffffffffff"];
    await declare("other-tags");
    const image = ofName("other-tags").find((r) => r.type === "docker-build:index:Image")!;
    expect(image.inputs.push).toBe(true);
  });

  test("asks ECR about this repository only: its tags and a login token for its registry", async () => {
    await declare("lookups");
    const images = invokes.filter((i) => i.token === "aws:ecr/getImages:getImages");
    expect(images.map((i) => i.inputs)).toEqual([
      { repositoryName: REPOSITORY, registryId: ACCOUNT },
    ]);
    const tokens = invokes.filter(
      (i) => i.token === "aws:ecr/getAuthorizationToken:getAuthorizationToken",
    );
    expect(tokens.map((i) => i.inputs)).toEqual([{ registryId: ACCOUNT }]);
  });

  test("is retained on delete (docker-build would delete the pushed tag), with no ignored changes", async () => {
    await declare("retained");
    const image = ofName("retained").find((r) => r.type === "docker-build:index:Image")!;
    expect(image.retainOnDelete).toBe(true);
    expect(image.ignoreChanges).toEqual([]);
  });

  test("outputs the image reference and the digest the provider answered", async () => {
    const image = await declare("outputs");
    expect(await settled(image.imageRef)).toBe(`${URL}:${TAG}`);
    expect(await settled(image.digest!)).toBe(DIGEST);
  });
});

describe("BaseImage with the build off", () => {
  test("declares the registry only: no image, no ECR look-up", async () => {
    const image = await declare("off", false);
    expect(ofName("off").map((r) => r.type)).not.toContain("docker-build:index:Image");
    expect(invokes).toEqual([]);
    expect(image.digest).toBeUndefined();
    expect(await settled(image.imageRef)).toBe(`${URL}:${TAG}`);
  });
});

describe("shouldPush", () => {
  test("true exactly when the tag is not among the repository's tags", () => {
    expect(shouldPush([], TAG)).toBe(true);
    expect(shouldPush([undefined, "base-1"], TAG)).toBe(true);
    expect(shouldPush(["base-1", TAG], TAG)).toBe(false);
    // A tag is matched whole, not by prefix.
    expect(shouldPush([`${TAG}0`], TAG)).toBe(true);
  });
});
