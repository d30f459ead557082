/** policy/index.ts hands the adapter's policies to a PolicyPack named mlplatform (not served here). */
import { packPolicies } from "../../policy/src/pack";

const constructed: unknown[][] = [];
jest.mock("@pulumi/policy", () => ({
  PolicyPack: jest.fn().mockImplementation((...args: unknown[]) => constructed.push(args)),
}));

test("the pack entry point declares the mlplatform pack with every rule's policy", () => {
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("../../policy/index");
  });
  expect(constructed).toHaveLength(1);
  const [name, args] = constructed[0] as [string, { policies: { name: string }[] }];
  expect(name).toBe("mlplatform");
  expect(args.policies.map((p) => p.name)).toEqual(packPolicies().map((p) => p.name));
});
