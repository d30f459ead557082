import { droneError } from "./client";
import { DroneArgsProblem, describeProblems } from "./validation";

/**
 * Refuses a resource whose plain arguments are wrong when it is declared, so the mistake names the
 * resource before anything runs: `DroneSecret svc-x: [name] ...`.
 */
export function refuseWhenDeclared(what: string, problems: readonly DroneArgsProblem[]): void {
  if (problems.length === 0) return;
  throw droneError(describeProblems(what, [...problems]), { transient: false, attempts: 0 });
}
