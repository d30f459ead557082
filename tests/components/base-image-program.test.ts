/**
 * The base image in the program: declared with the docker-build provider (explicit, as every
 * provider is under disable-default-providers), the @pulumi/docker provider gone, and what the
 * offline engine answers for a docker-build Image.
 */
import { baseImageTag } from "../../program/base-image-tag";
import { mockOutputs } from "../../offline/plan/mock-engine";
import { runPlan } from "../../offline/plan/run";
import { PlanDocument } from "../../offline/plan/types";

const OPTIONS = { region: "eu-west-1", githubOrganization: "acme-ml" };

describe("the program's base image", () => {
  let doc: PlanDocument;
  beforeAll(async () => {
    doc = await runPlan({ stack: "dev" });
  });

  test("one docker-build Image, pushing the content tag to the platform repository", () => {
    const platform = doc.platform.resources;
    const images = platform.filter((r) => r.type === "docker-build:index:Image");
    expect(images.map((r) => r.name)).toEqual(["base-image"]);
    const repository = platform.find(
      (r) => r.type === "aws:ecr/repository:Repository" && r.name === "base-image-registry",
    )!;
    const url = `111111111111.dkr.ecr.eu-west-1.amazonaws.com/${String(repository.inputs.name)}`;
    expect(repository.inputs.name).toBe("mlp/base-dev");
    expect(images[0].inputs.tags).toEqual([`${url}:${baseImageTag()}`]);
    // Offline no registry holds the tag: the plan shows the push a first `up` makes.
    expect(images[0].inputs.push).toBe(true);
    expect(images[0].inputs.platforms).toEqual(["linux/amd64"]);
    expect(images[0].inputs.context).toEqual({ location: "templates/base-image" });
    expect(images[0].inputs.registries).toBe("[secret]");
    expect(images[0].retainOnDelete).toBe(true);
    expect(platform.some((r) => r.type === "docker:index/image:Image")).toBe(false);
  });

  test("the docker-build provider is declared explicitly, the docker one no more", () => {
    const providers = doc.platform.resources
      .filter((r) => r.type.startsWith("pulumi:providers:"))
      .map((r) => r.type)
      .sort();
    expect(providers).toContain("pulumi:providers:docker-build");
    expect(providers).not.toContain("pulumi:providers:docker");
  });
});

describe("the offline engine's docker-build Image", () => {
  const tag = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/mlp/base-dev:base-0123456789ab";

  test("a pushed image: the digest is its id, ref is the tag with the digest", () => {
    const { id, state } = mockOutputs(
      "docker-build:index:Image",
      "base-image",
      { tags: [tag], push: true },
      OPTIONS,
    );
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(state.digest).toBe(id);
    expect(state.ref).toBe(`${tag}@${id}`);
  });

  test("an image built without a push: no digest, its name as id, ref is the tag", () => {
    const { id, state } = mockOutputs(
      "docker-build:index:Image",
      "base-image",
      { tags: [tag], push: false },
      OPTIONS,
    );
    expect(id).toBe("base-image");
    expect(state.digest).toBe("");
    expect(state.ref).toBe(tag);
  });
});
