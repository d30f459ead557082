/**
 * The mock engine's answer to a registration (offline/plan/mock-engine.ts): the state goes back to
 * the SDK without a protobuf round trip, an input the mock echoes is sent back as the SDK
 * serialized it, and only what the mock computed is serialized again.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  installMockEngine,
  registerResponse,
  serializeState,
} from "../../offline/plan/mock-engine";

const secretSig = { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig };

describe("serializeState", () => {
  it("reuses the serialized form of an echoed input and serializes the rest", async () => {
    const tags = { team: "alpha" };
    const inputs = { bucket: "b", tags };
    // A marker in place of the SDK's serialization: reused only for the very input object.
    const serializedInputs = { bucket: "b", tags: "serialized-by-the-sdk" };
    const state = await serializeState(
      {
        arn: "arn:aws:s3:::b",
        tags,
        copy: { team: "alpha" },
        secret: { ...secretSig, value: "s" },
        gone: undefined,
        bucket: "b",
      },
      inputs,
      serializedInputs,
    );
    expect(state).toEqual({
      arn: "arn:aws:s3:::b",
      tags: "serialized-by-the-sdk",
      copy: { team: "alpha" },
      secret: { ...secretSig, value: "s" },
      bucket: "b",
    });
    // The state's key order, undefined values left out (as rpc.js serializeProperties does).
    expect(Object.keys(state)).toEqual(["arn", "tags", "copy", "secret", "bucket"]);
    expect("gone" in state).toBe(false);
  });

  it("serializes a value the mock computed even when an input of that name exists", async () => {
    const state = await serializeState({ name: "new" }, { name: "old" }, { name: "old" });
    expect(state).toEqual({ name: "new" });
  });
});

describe("registerResponse", () => {
  it("answers with what the SDK reads of a RegisterResourceResponse", () => {
    const state = { arn: "x" };
    const response = registerResponse("urn:pulumi:dev::p::t::n", "id-1", state);
    expect(response.getUrn()).toBe("urn:pulumi:dev::p::t::n");
    expect(response.getId()).toBe("id-1");
    expect(response.getObject().toJavaScript()).toBe(state);
    expect(response.getPropertydependenciesMap()).toBeUndefined();
    // resproto.Result.SUCCESS: outputs are final, not unknown.
    expect(response.getResult()).toBe(0);
  });

  it("resolves a resource's computed outputs and echoed inputs through the SDK", async () => {
    const recorded = installMockEngine("mlplatform", "dev", {
      region: "eu-west-1",
      githubOrganization: "acme",
      maskRecordedInputs: true,
    });
    // A bare custom resource of the bucket's type (CustomResource itself is abstract).
    class Bucket extends pulumi.CustomResource {
      declare readonly arn: pulumi.Output<unknown>;
      declare readonly tags: pulumi.Output<unknown>;
    }
    const bucket = new Bucket("aws:s3/bucket:Bucket", "artifacts", {
      bucket: "acme-artifacts",
      tags: { team: "alpha" },
      arn: undefined,
    });
    const value = (o: pulumi.Output<unknown>) => new Promise((r) => o.apply(r));
    expect(await value(bucket.arn)).toBe("arn:aws:s3:::acme-artifacts");
    expect(await value(bucket.tags)).toEqual({ team: "alpha" });
    expect(await value(bucket.id)).toBe("acme-artifacts");
    expect(recorded).toHaveLength(1);
    // Recorded masked and with sorted keys, as the plan reports inputs.
    expect(recorded[0].inputs).toEqual({ bucket: "acme-artifacts", tags: { team: "alpha" } });
    expect(recorded[0].id).toBe("acme-artifacts");
  });
});
