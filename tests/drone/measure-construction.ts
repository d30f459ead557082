/**
 * Measures what declaring DroneSecrets costs under the SDK's mock engine (the provider text is
 * one line, components/dynamic-providers.ts providerText; nothing is serialized).
 * Run: npx ts-node --transpile-only tests/drone/measure-construction.ts [count] [--offline-tuning]
 * (--offline-tuning applies the offline plan's SDK settings, offline/plan/sdk-tuning.ts.)
 * Not a test: timings depend on the machine.
 */
import * as pulumi from "@pulumi/pulumi";

const count = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 100);
const tuned = process.argv.includes("--offline-tuning");
let registrations = 0;
let providerBytes = 0;
pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      registrations++;
      const provider = args.inputs.__provider as unknown;
      const text =
        typeof provider === "string" ? provider : String((provider as { value?: unknown }).value);
      providerBytes = text.length;
      return { id: args.name, state: args.inputs };
    },
    call: (args) => {
      throw new Error(`unexpected invoke ${args.token}`);
    },
  },
  "mlplatform",
  "bench",
  false,
);

type Drone = typeof import("../../components/drone");

function declare(drone: Drone, i: number) {
  return new drone.DroneSecret(`secret-${i}`, {
    server: "https://drone.example.com",
    token: pulumi.secret("token"),
    repository: `acme-ml/service-${i}`,
    name: "databricks_client_secret",
    value: pulumi.secret(`value-${i}`),
  });
}

function settled(r: pulumi.Resource): Promise<string> {
  return new Promise((resolve) => r.urn.apply(resolve));
}

async function main(): Promise<void> {
  if (tuned) (await import("../../offline/plan/sdk-tuning")).tuneSdkForOfflinePlan();
  // Loaded after setMocks, as the program would be.
  const drone: Drone = await import("../../components/drone");
  const t0 = process.hrtime.bigint();
  await settled(declare(drone, 0));
  const t1 = process.hrtime.bigint();
  const rest = [];
  for (let i = 1; i < count; i++) rest.push(declare(drone, i));
  await Promise.all(rest.map(settled));
  const t2 = process.hrtime.bigint();
  const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;
  console.log(
    JSON.stringify({
      declared: count,
      offlineTuning: tuned,
      registrations,
      firstMs: Math.round(ms(t0, t1)),
      restMs: Math.round(ms(t1, t2)),
      perResourceAfterFirstMs: +(ms(t1, t2) / Math.max(1, count - 1)).toFixed(2),
      totalMs: Math.round(ms(t0, t2)),
      providerBytesPerResource: providerBytes,
      heapMB: Math.round(process.memoryUsage().heapUsed / 1e6),
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
