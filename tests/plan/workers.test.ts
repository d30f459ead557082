import * as os from "os";
import { parseWorkers } from "../../cli/plan";
import { UsageError } from "../../cli/command";
import { planParallel } from "../../lib/plan/parallel";
import { AUTO_SERVICES_PER_WORKER } from "../../lib/plan/workers";

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
    const doc = await planParallel({
      stack: "dev",
      workers: 2,
      minServicesPerWorker: AUTO_SERVICES_PER_WORKER,
      onWorkerStarted: (pid) => started.push(pid),
    });
    expect(started).toEqual([]);
    expect(doc.summary.services).toBe(3);
  });
});
