/**
 * The GitCommit resource under the SDK's mock engine: what the engine receives (type token, secret
 * token, ignoreChanges), the outputs it exposes, and the error a bad argument gives when declared.
 */
import * as pulumi from "@pulumi/pulumi";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const registered: Registered[] = [];

pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs });
      return {
        id: `${args.name}-id`,
        state: { branch: args.inputs.branch, commitSha: "c".repeat(40), paths: ["a"] },
      };
    },
    call: (args) => {
      throw new Error(`unexpected invoke ${args.token}`);
    },
  },
  "mlplatform",
  "dev",
  false,
);

const ignored = new Map<string, string[]>();
interface RegisterRequest {
  getName(): string;
  getIgnorechangesList(): string[];
}
type Register = (req: RegisterRequest, callback: unknown) => unknown;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const monitor = require("@pulumi/pulumi/runtime/state").getStore().settings.monitor as {
  registerResource: Register;
};
const register = monitor.registerResource.bind(monitor);
monitor.registerResource = (req, callback) => {
  ignored.set(req.getName(), req.getIgnorechangesList());
  return register(req, callback);
};

// Imported after setMocks, as the program would be.
import { GitCommit } from "../../components/github";

const TOKEN = "ghp_resource1234567890abcd";
const args = {
  apiUrl: "https://api.github.com",
  token: TOKEN,
  owner: "acme-ml",
  repository: "churn-model",
  branch: "main",
  files: [{ path: "README.md", content: "# x\n" }],
  message: "Scaffold",
  authorName: "ML platform",
  authorEmail: "ml-platform@users.noreply.github.com",
};

const value = <T>(output: pulumi.Output<T>) =>
  new Promise<T>((resolve) => output.apply((v) => resolve(v)));

test("registers a dynamic github:Commit with a secret token and the files never re-applied", async () => {
  const commit = new GitCommit("svc-scaffold", args);
  expect(await value(commit.commitSha)).toBe("c".repeat(40));
  expect(await value(commit.branch)).toBe("main");
  const [r] = registered.filter((x) => x.name === "svc-scaffold");
  expect(r.type).toBe("pulumi-nodejs:dynamic/github:Commit");
  expect(r.inputs.token).toEqual({
    [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
    value: TOKEN,
  });
  expect(r.inputs).toMatchObject({
    owner: "acme-ml",
    repository: "churn-model",
    branch: "main",
    files: args.files,
  });
  expect(typeof r.inputs.__provider).toBe("string");
  expect(ignored.get("svc-scaffold")).toEqual(["files", "message", "authorName", "authorEmail"]);
});

test("a bad plain argument is refused when declared, naming the resource and the field", () => {
  let message = "";
  try {
    new GitCommit("bad", { ...args, files: [{ path: "../x", content: "" }], branch: "a..b" });
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message).toBe(
    [
      "GitCommit bad: invalid arguments:",
      '  branch: "a..b" is not a valid branch name',
      '  files: path "../x" must be relative and normalised (no leading /, no empty, . or .. segment)',
    ].join("\n"),
  );
  expect(registered.some((r) => r.name === "bad")).toBe(false);
});
