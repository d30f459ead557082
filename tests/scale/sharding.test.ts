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
import { CatalogError } from "../../catalog/errors";
import { PlanDocument, PlanResource, runPlan } from "../../offline/plan/run";

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
      {
        stack: "prod-b",
        from: "prod",
        ownsPlatformResources: false,
        shardTeams: ["gamma", "delta", "epsilon"],
      },
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

    // The shared pieces: declared once, by the owning shard, exactly as the unsharded stack does.
    const shared = (doc: PlanDocument) =>
      doc.platform.resources
        .filter((r) => !r.type.startsWith("pulumi:providers:"))
        .map((r) => normalised(r, doc.stack))
        .sort();
    expect(shared(whole).length).toBeGreaterThan(0);
    expect(shared(whole).some((r) => r.includes('"aws:ecr/repository:Repository"'))).toBe(true);
    expect(shared(a)).toEqual(shared(whole));
    expect(shared(b)).toEqual([]);
    // Providers are per stack: every shard has its own three.
    const providers = (doc: PlanDocument) =>
      doc.platform.resources
        .filter((r) => r.type.startsWith("pulumi:providers:"))
        .map((r) => r.name);
    expect(providers(b)).toEqual(providers(whole));
  });

  it("refuses an environment whose shards all declare the shared pieces, or none does", async () => {
    const both = stacks("two-owners", [
      { stack: "prod-a", from: "prod", shardTeams: ["alpha", "beta"] },
      { stack: "prod-b", from: "prod", shardTeams: ["gamma", "delta", "epsilon"] },
    ]);
    const two = await runPlan({ stack: "prod-b", servicesDir, stacksDir: both }).catch(
      (e: unknown) => e,
    );
    expect(two).toBeInstanceOf(CatalogError);
    expect((two as CatalogError).problems).toEqual(
      ["prod-a", "prod-b"].map(
        (stack) =>
          `${path.join(both, `Pulumi.${stack}.yaml`)}: mlplatform:ownsPlatformResources: 2 stacks of environment "prod" in eu-west-1 declare the shared platform pieces (prod-a, prod-b); exactly one may: set it false on the others`,
      ),
    );
    const none = stacks("no-owner", [
      {
        stack: "prod-a",
        from: "prod",
        ownsPlatformResources: false,
        shardTeams: ["alpha", "beta"],
      },
      {
        stack: "prod-b",
        from: "prod",
        ownsPlatformResources: false,
        shardTeams: ["gamma", "delta", "epsilon"],
      },
    ]);
    const zero = await runPlan({ stack: "prod-a", servicesDir, stacksDir: none }).catch(
      (e: unknown) => e,
    );
    expect(zero).toBeInstanceOf(CatalogError);
    expect((zero as CatalogError).problems).toEqual([
      `${path.join(none, "Pulumi.prod-a.yaml")}: mlplatform:ownsPlatformResources: no stack of environment "prod" in eu-west-1 declares the shared platform pieces (stacks: prod-a, prod-b); set it true on exactly one`,
    ]);
  });

  it("splits by service list as well as by team", async () => {
    const listed = [generatedName(0), generatedName(10)];
    const dir = stacks("by-list", [
      { stack: "prod-a", from: "prod", shardServices: listed },
      {
        stack: "prod-b",
        from: "prod",
        ownsPlatformResources: false,
        shardTeams: ["beta", "gamma", "delta", "epsilon"],
      },
      // alpha services other than the listed ones, by team and list together.
      {
        stack: "prod-c",
        from: "prod",
        ownsPlatformResources: false,
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
      {
        stack: "prod-b",
        from: "prod",
        ownsPlatformResources: false,
        shardTeams: ["beta", "gamma", "delta", "epsilon"],
      },
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
      { stack: "prod-b", from: "prod", ownsPlatformResources: false, shardTeams: ["delta"] },
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
