/** The examples' plan shared across test files and workers (tests/helpers/example-plans.ts). */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PlanDocument } from "../../offline/plan/types";
import {
  CACHE_DIR,
  cacheFile,
  examplePlan,
  PLAN_INPUT_DIRS,
  PLAN_INPUT_FILES,
  planInputsKey,
} from "./example-plans";

/** A plan document of one platform resource, as the shared file holds it. */
function sentinelDoc(stack: string): PlanDocument {
  return {
    project: "mlplatform",
    stack,
    environment: stack,
    platform: {
      resources: [
        {
          urn: `urn:pulumi:${stack}::mlplatform::aws:s3/bucket:Bucket::b`,
          type: "aws:s3/bucket:Bucket",
          name: "b",
          custom: true,
          inputs: { bucket: "b" },
          protect: false,
          retainOnDelete: false,
        },
      ],
    },
    services: [],
    summary: { services: 0, resources: 1 },
    imports: [],
    retained: {},
    findings: [],
  } as unknown as PlanDocument;
}

describe("the shared plan of the examples", () => {
  it("is named by the inputs' hash and the stack, in the per-user folder", () => {
    expect(planInputsKey()).toMatch(/^[0-9a-f]{32}$/);
    expect(planInputsKey()).toBe(planInputsKey());
    expect(cacheFile("dev")).toBe(path.join(CACHE_DIR, `${planInputsKey()}-dev.json`));
    expect(CACHE_DIR).toBe(path.join(os.tmpdir(), `mlplatform-example-plans-${os.userInfo().uid}`));
  });

  it("covers every folder and file the program reads", () => {
    expect(PLAN_INPUT_DIRS).toEqual([
      "catalog",
      "components",
      "lib",
      "offline",
      "packages/dynamic-providers",
      "policy",
      "program",
      "services",
      "stacks",
      "templates",
    ]);
    expect(PLAN_INPUT_FILES).toEqual(["index.ts", "package-lock.json", "Pulumi.yaml"]);
    const root = path.join(__dirname, "..", "..");
    for (const entry of [...PLAN_INPUT_DIRS, ...PLAN_INPUT_FILES]) {
      expect([entry, fs.existsSync(path.join(root, entry))]).toEqual([entry, true]);
    }
  });

  it("changes with any input's content or name, and not with a file outside them", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "plan-key-"));
    fs.mkdirSync(path.join(root, "services"));
    fs.mkdirSync(path.join(root, "docs"));
    fs.mkdirSync(path.join(root, "program", "node_modules"), { recursive: true });
    fs.writeFileSync(path.join(root, "services", "a.yaml"), "name: a\n");
    fs.writeFileSync(path.join(root, "index.ts"), "run();\n");
    const first = planInputsKey(root);
    expect(planInputsKey(root)).toBe(first);
    fs.writeFileSync(path.join(root, "docs", "x.md"), "notes\n");
    fs.writeFileSync(path.join(root, "program", "node_modules", "x.js"), "1\n");
    expect(planInputsKey(root)).toBe(first);
    fs.writeFileSync(path.join(root, "services", "a.yaml"), "name: b\n");
    const edited = planInputsKey(root);
    expect(edited).not.toBe(first);
    fs.renameSync(path.join(root, "services", "a.yaml"), path.join(root, "services", "c.yaml"));
    expect(planInputsKey(root)).not.toBe(edited);
    fs.writeFileSync(path.join(root, "index.ts"), "run(1);\n");
    const changed = planInputsKey(root);
    fs.writeFileSync(path.join(root, "index.ts"), "run();\n");
    expect(changed).not.toBe(planInputsKey(root));
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("is read from the shared file without planning, with the engine ids restored, a copy per call", async () => {
    // No stack of this name exists: planning it would fail, so the result comes from the file.
    const stack = `shared-${process.pid}`;
    const urn = `urn:pulumi:${stack}::mlplatform::aws:s3/bucket:Bucket::b`;
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    fs.writeFileSync(
      cacheFile(stack),
      JSON.stringify({ doc: sentinelDoc(stack), ids: { [urn]: "bucket-id-1" } }),
    );
    try {
      const first = await examplePlan(stack);
      expect(first).toEqual(sentinelDoc(stack));
      expect(first.platform.resources[0].id).toBe("bucket-id-1");
      // Not enumerable: the JSON of the plan stays what `npm run plan -- --json` writes.
      expect(JSON.stringify(first)).not.toContain("bucket-id-1");
      first.platform.resources[0].inputs.bucket = "edited";
      const second = await examplePlan(stack);
      expect(second.platform.resources[0].inputs.bucket).toBe("b");
      expect(second.platform.resources[0].id).toBe("bucket-id-1");
    } finally {
      fs.rmSync(cacheFile(stack), { force: true });
    }
  });
});
