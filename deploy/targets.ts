/** `--service`: the exact URNs of one service's resources, from the offline plan of the stack. */
import { PlanDocument } from "../offline/plan/types";
import { DeployError } from "./errors";

export interface CatalogService {
  name: string;
  environments: string[];
}

/**
 * Every URN the service's MlService component and its children get in this stack. Exact URNs:
 * a name that prefixes another service's name (`churn` and `churn-eu`) cannot match the other.
 */
export function serviceTargets(
  plan: PlanDocument,
  service: string,
  catalog: CatalogService[],
): string[] {
  const found = plan.services.find((s) => s.name === service);
  if (found) return found.resources.map((r) => r.urn);
  const known = plan.services.map((s) => s.name);
  const entry = catalog.find((s) => s.name === service);
  if (entry) {
    throw new DeployError([
      `--service ${service}: the service is not deployed by stack "${plan.stack}" (environment ${plan.environment}); ` +
        `its entry lists environments: ${entry.environments.join(", ")}.`,
      `Services of stack "${plan.stack}": ${known.join(", ") || "none"}.`,
    ]);
  }
  throw new DeployError([
    `--service ${service}: no such service in the catalog.`,
    `Services of stack "${plan.stack}": ${known.join(", ") || "none"}.`,
  ]);
}
