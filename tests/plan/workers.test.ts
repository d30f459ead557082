import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseWorkers } from "../../cli/plan";
import { UsageError } from "../../cli/command";
import { planParallel } from "../../offline/plan/parallel";
import {
  AUTO_SERVICES_PER_WORKER,
  expectedWorkers,
  startWorkers,
  WORKER_INDEX_ENV,
} from "../../offline/plan/workers";
import { compiledCommand, ROOT } from "../cli/compiled";

describe("--workers", () => {
  it("is one per CPU by default, each for at least AUTO_SERVICES_PER_WORKER services", () => {
    const auto = { workers: os.availableParallelism(), min: AUTO_SERVICES_PER_WORKER };
    expect(parseWorkers(undefined)).toEqual(auto);
    expect(parseWorkers("auto")).toEqual(auto);
    expect(AUTO_SERVICES_PER_WORKER).toBe(150);
  });

  it("takes an explicit count as it is", () => {
    expect(parseWorkers("1")).toEqual({ workers: 1, min: 1 });
    expect(parseWorkers("3")).toEqual({ workers: 3, min: 1 });
  });

  it.each(["0", "-1", "two", "1.5", "1000", ""])("refuses %j, naming the flag", (value) => {
    expect(() => parseWorkers(value)).toThrow(UsageError);
    expect(() => parseWorkers(value)).toThrow(
      `--workers ${value}: a whole number from 1 to 999, or auto`,
    );
  });

  it("starts no worker for a stack smaller than the per-worker minimum", async () => {
    const started: number[] = [];
    // Workers started ahead, as `npm run plan` starts them: stopped when the plan runs here.
    compiledCommand("plan");
    const worker = path.join(ROOT, "dist", "offline", "plan", "plan-worker.js");
    const ahead = startWorkers(2, worker, []);
    const doc = await planParallel({
      stack: "dev",
      workers: 2,
      minServicesPerWorker: AUTO_SERVICES_PER_WORKER,
      worker,
      started: ahead,
      onWorkerStarted: (pid) => started.push(pid),
    });
    expect(started).toEqual([]);
    expect(doc.summary.services).toBe(3);
    expect(ahead.children.map((c) => c.signalCode)).toEqual(["SIGKILL", "SIGKILL"]);
    expect(ahead.children.map((c) => c.spawnargs.at(-1))).toEqual([worker, worker]);
  });
});

describe("workers started ahead of the catalog", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "expected-workers-"));
    for (let i = 0; i < 400; i++) fs.writeFileSync(path.join(dir, `s${i}.yaml`), "");
    // Not entries: never counted.
    for (const f of ["schema.json", "README.md", "x.yml"]) fs.writeFileSync(path.join(dir, f), "");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("are as many as --workers allows for the folder's entry files", () => {
    expect(expectedWorkers(dir, 2, AUTO_SERVICES_PER_WORKER)).toBe(2);
    // 400 entries make two workers of at least 150 services, however many CPUs.
    expect(expectedWorkers(dir, 8, AUTO_SERVICES_PER_WORKER)).toBe(2);
    expect(expectedWorkers(dir, 1, AUTO_SERVICES_PER_WORKER)).toBe(1);
    expect(expectedWorkers(dir, 999, 1)).toBe(400);
    expect(expectedWorkers(dir, 3, 1)).toBe(3);
    expect(expectedWorkers(dir, 2, 401)).toBe(1);
    expect(expectedWorkers(path.join(dir, "missing"), 4, 1)).toBe(1);
  });

  it("are numbered for the plan's slices", () => {
    expect(WORKER_INDEX_ENV).toBe("MLPLATFORM_PLAN_WORKER");
    const script = path.join(dir, "index.js");
    fs.writeFileSync(
      script,
      `process.send(process.env.${WORKER_INDEX_ENV}, () => process.exit(0));\n`,
    );
    const started = startWorkers(3, script, []);
    return Promise.all(
      started.children.map((c) => new Promise((resolve) => c.once("message", resolve))),
    ).then((indices) => expect(indices).toEqual(["0", "1", "2"]));
  });
});
