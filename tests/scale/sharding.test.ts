/**
 * Sharding proof: the shards of an environment together declare exactly what the unsharded stack
 * declares, and a service selected by two shards, or by none, is refused.
 */
import * as fs from "fs";
import * as path from "path";
import {
  generatedEntry,
  generatedName,
  generatedTeam,
  tempDir,
  writeCatalog,
  writeStacks,
} from "../../bench/catalog-generator";
import { CatalogError } from "../../lib/catalog/errors";
import { PlanDocument, PlanResource, runPlan } from "../../lib/plan/run";

const COUNT = 30;

/** A resource with the stack name taken out of its URNs, comparable across stacks. */
function normalised(r: PlanResource, stack: string): string {
  return JSON.stringify(r).split(`urn:pulumi:${stack}::`).join("urn:pulumi:STACK::");
}

function serviceResources(doc: PlanDocument): string[] {
  return doc.services.flatMap((s) => s.resources.map((r) => normalised(r, doc.stack))).sort();
}

/** Line of the i-th item of `environments` in a generated entry (1-based). */
function environmentLine(index: number, item: number): number {
  const lines = generatedEntry(index).split("\n");
  return lines.indexOf("environments:") + 2 + item;
}

describe("sharding an environment", () => {
  let root: string;
  let servicesDir: string;

  beforeAll(() => {
    root = tempDir("sharding");
    servicesDir = path.join(root, "services");
    writeCatalog(servicesDir, COUNT);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  function stacks(name: string, shards: Parameters<typeof writeStacks>[2]): string {
    const dir = path.join(root, name);
    writeStacks(dir, ["dev"], shards);
    return dir;
  }

  it("declares, across the shards, exactly the resources of the unsharded stack", async () => {
    const unshardedDir = path.join(root, "unsharded");
    writeStacks(unshardedDir, ["dev", "prod"]);
    const shardedDir = stacks("sharded", [
      { stack: "prod-a", from: "prod", shardTeams: ["alpha", "beta"] },
      { stack: "prod-b", from: "prod", shardTeams: ["gamma", "delta", "epsilon"] },
    ]);
    const whole = await runPlan({ stack: "prod", servicesDir, stacksDir: unshardedDir });
    const a = await runPlan({ stack: "prod-a", servicesDir, stacksDir: shardedDir });
    const b = await runPlan({ stack: "prod-b", servicesDir, stacksDir: shardedDir });

    const prodServices = Array.from({ length: COUNT }, (_, i) => i)
      .filter((i) => i % 3 !== 2)
      .map(generatedName);
    expect(whole.services.map((s) => s.name)).toEqual(prodServices);
    expect(a.services.map((s) => s.name)).toEqual(
      prodServices.filter((n) => ["alpha", "beta"].includes(generatedTeam(Number(n.slice(4))))),
    );
    // Disjoint, and together the whole list.
    const names = [...a.services, ...b.services].map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(prodServices);

    // Same URNs (modulo the stack name), same inputs, parents and options.
    const together = [...serviceResources(a), ...serviceResources(b)].sort();
    expect(together).toEqual(serviceResources(whole));
    expect(together.length).toBe(whole.services.reduce((n, s) => n + s.resources.length, 0));
    // Same outputs per service.
    const outputs = (doc: PlanDocument) => doc.services.map((s) => [s.name, s.outputs]);
    expect(Object.fromEntries([...outputs(a), ...outputs(b)])).toEqual(
      Object.fromEntries(outputs(whole)),
    );
    expect(a.summary.services + b.summary.services).toBe(whole.summary.services);
  });

  it("splits by service list as well as by team", async () => {
    const listed = [generatedName(0), generatedName(10)];
    const dir = stacks("by-list", [
      { stack: "prod-a", from: "prod", shardServices: listed },
      { stack: "prod-b", from: "prod", shardTeams: ["beta", "gamma", "delta", "epsilon"] },
      // alpha services other than the listed ones, by team and list together.
      {
        stack: "prod-c",
        from: "prod",
        shardTeams: ["alpha"],
        shardServices: Array.from({ length: COUNT }, (_, i) => i)
          .filter((i) => generatedTeam(i) === "alpha" && i !== 0 && i !== 10)
          .map(generatedName),
      },
    ]);
    const a = await runPlan({ stack: "prod-a", servicesDir, stacksDir: dir });
    expect(a.services.map((s) => s.name)).toEqual(listed);
  });

  it("refuses a service that two shards of one environment select", async () => {
    const dir = stacks("overlap", [
      { stack: "prod-a", from: "prod", shardTeams: ["alpha", "beta"] },
      { stack: "prod-b", from: "prod", shardTeams: ["beta", "gamma", "delta", "epsilon"] },
    ]);
    const error = await runPlan({ stack: "prod-a", servicesDir, stacksDir: dir }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CatalogError);
    const problems = (error as CatalogError).problems;
    // beta services deployed to prod: 1, 6, 16, 21, 26 (11 is dev only).
    const beta = [1, 6, 11, 16, 21, 26].filter((i) => i % 3 !== 2);
    expect(problems).toEqual(
      beta.map(
        (i) =>
          `${path.join(servicesDir, `${generatedName(i)}.yaml`)}:${environmentLine(i, 1)}: environments[1]: environment "prod" is sharded and 2 stacks (prod-a, prod-b) select this service (exactly one stack of an environment must; fix shardTeams/shardServices in stacks/)`,
      ),
    );
  });

  it("refuses a service that no shard of its environment selects", async () => {
    const dir = stacks("gap", [
      { stack: "prod-a", from: "prod", shardTeams: ["alpha", "beta", "gamma"] },
      { stack: "prod-b", from: "prod", shardTeams: ["delta"] },
    ]);
    const error = await runPlan({ stack: "prod-b", servicesDir, stacksDir: dir }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CatalogError);
    const epsilon = Array.from({ length: COUNT }, (_, i) => i).filter(
      (i) => generatedTeam(i) === "epsilon" && i % 3 !== 2,
    );
    expect(epsilon.length).toBeGreaterThan(0);
    expect((error as CatalogError).problems).toEqual(
      epsilon.map(
        (i) =>
          `${path.join(servicesDir, `${generatedName(i)}.yaml`)}:${environmentLine(i, 1)}: environments[1]: environment "prod" is sharded and no stack select this service (exactly one stack of an environment must; fix shardTeams/shardServices in stacks/)`,
      ),
    );
  });
});
