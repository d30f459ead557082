/**
 * The registry lookup (deploy/rollback/registry-images.ts) against a fake `aws` executable that
 * answers like the AWS CLI's `ecr describe-images` (output `{"imageDetails": [...]}`; a missing
 * image fails with ImageNotFoundException on stderr, exit 254).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { awsCliRegistryImages, describeImagesArgs } from "../../deploy/rollback/registry-images";
import { digest, sha } from "./helpers";

let dir: string;
const QUERY = {
  registryId: "222222222222",
  repository: "mlp/x-prod",
  digest: digest("3"),
  region: "eu-west-1",
};

/** A fake `aws`: logs its arguments, then behaves as `mode` says. */
function fakeAws(mode: "found" | "missing" | "no-repo" | "denied"): string {
  const log = path.join(dir, "args.log");
  const script = path.join(dir, "aws");
  const body = {
    found: `echo '{"imageDetails":[{"registryId":"222222222222","repositoryName":"mlp/x-prod","imageDigest":"${digest("3")}","imageTags":["${sha("3")}"]}]}'`,
    missing: `echo "An error occurred (ImageNotFoundException) when calling the DescribeImages operation: The image with imageId {imageDigest:'${digest("3")}'} does not exist within the repository with name 'mlp/x-prod'" >&2; exit 254`,
    "no-repo": `echo "An error occurred (RepositoryNotFoundException) when calling the DescribeImages operation: The repository with name 'mlp/x-prod' does not exist" >&2; exit 254`,
    denied: `echo "An error occurred (AccessDeniedException) when calling the DescribeImages operation: not authorized" >&2; exit 254`,
  }[mode];
  fs.writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$@" > '${log}'\n${body}\n`, { mode: 0o755 });
  return script;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-aws-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test("asks describe-images for the digest in the stack's registry and region", async () => {
  const lookup = await awsCliRegistryImages({ command: fakeAws("found") }).lookup(QUERY);
  expect(lookup).toEqual({ found: true, tags: [sha("3")] });
  expect(fs.readFileSync(path.join(dir, "args.log"), "utf8").trim().split("\n")).toEqual(
    describeImagesArgs(QUERY),
  );
  expect(describeImagesArgs(QUERY)).toEqual([
    "ecr",
    "describe-images",
    "--registry-id",
    "222222222222",
    "--repository-name",
    "mlp/x-prod",
    "--image-ids",
    `imageDigest=${digest("3")}`,
    "--region",
    "eu-west-1",
    "--output",
    "json",
  ]);
});

test("ImageNotFoundException and RepositoryNotFoundException: not found", async () => {
  expect(await awsCliRegistryImages({ command: fakeAws("missing") }).lookup(QUERY)).toEqual({
    found: false,
    reason: `no image ${digest("3")} in mlp/x-prod`,
  });
  expect(await awsCliRegistryImages({ command: fakeAws("no-repo") }).lookup(QUERY)).toEqual({
    found: false,
    reason: "no repository mlp/x-prod",
  });
});

test("any other failure rejects with the CLI's message; a missing CLI says so", async () => {
  await expect(awsCliRegistryImages({ command: fakeAws("denied") }).lookup(QUERY)).rejects.toThrow(
    "aws ecr describe-images failed: An error occurred (AccessDeniedException) when calling the DescribeImages operation: not authorized",
  );
  await expect(
    awsCliRegistryImages({ command: path.join(dir, "no-such-aws") }).lookup(QUERY),
  ).rejects.toThrow("is not installed or not on PATH");
});
