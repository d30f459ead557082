/**
 * The plan of the bundled example catalog (services/) with the repository's stack files, made once
 * per test file and stack: several tests read the same plan, and each plan runs the whole program
 * under the mock engine. Import it only where a test plans the examples unchanged.
 */
import { runPlan } from "../../offline/plan/run";
import { engineIds, PlanDocument, restoreEngineIds } from "../../offline/plan/types";

const plans = new Map<string, Promise<PlanDocument>>();

/**
 * The examples' plan of `stack`; a copy on each call, so a test that edits it affects no other,
 * with the engine's ids of its resources as the plan itself has them (a structured clone drops
 * them: they are not enumerable).
 */
export async function examplePlan(stack: string): Promise<PlanDocument> {
  let plan = plans.get(stack);
  if (!plan) {
    plan = runPlan({ stack });
    plans.set(stack, plan);
  }
  const doc = await plan;
  return restoreEngineIds(structuredClone(doc), engineIds(doc));
}
