/** Helpers for tests that assert on the offline plan of the real program. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PlanDocument, PlanResource, PlanService } from "../../offline/plan/types";

export const REPO = path.join(__dirname, "..", "..");
export const EXAMPLES = path.join(REPO, "services");

export function service(doc: PlanDocument, name: string): PlanService {
  const found = doc.services.find((s) => s.name === name);
  if (!found) throw new Error(`no service ${name} in the plan of ${doc.stack}`);
  return found;
}

/** Cloud resources (not components) of a service, optionally of one type. */
export function resources(
  s: PlanService | { resources: PlanResource[] },
  type?: string,
): PlanResource[] {
  return s.resources.filter((r) => r.custom && (!type || r.type === type));
}

export function one(s: PlanService, type: string, nameSuffix = ""): PlanResource {
  const list = resources(s, type).filter((r) => r.name.endsWith(nameSuffix));
  if (list.length !== 1)
    throw new Error(`expected one ${type} *${nameSuffix} in ${s.name}, found ${list.length}`);
  return list[0];
}

export interface Statement {
  Sid: string;
  Effect: string;
  Action: string[];
  Resource?: string | string[];
  Principal?: Record<string, string | string[]>;
  Condition?: Record<string, Record<string, unknown>>;
}

export function statements(policyJson: unknown): Statement[] {
  return (JSON.parse(String(policyJson)) as { Statement: Statement[] }).Statement;
}

/** A temporary copy of the example catalog the test may edit. */
export function copyOfExamples(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "catalog-"));
  for (const file of fs.readdirSync(EXAMPLES))
    fs.copyFileSync(path.join(EXAMPLES, file), path.join(dir, file));
  return dir;
}

export const STACKS = path.join(REPO, "stacks");

/**
 * A temporary copy of the stack files, with `mlplatform:` settings overridden per stack (e.g.
 * `{ prod: { legacyWorkspaceModels: true } }`).
 */
export function copyOfStacks(overrides: Record<string, Record<string, unknown>> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stacks-"));
  for (const file of fs.readdirSync(STACKS)) {
    let text = fs.readFileSync(path.join(STACKS, file), "utf8");
    const stack = /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1];
    for (const [key, value] of Object.entries((stack && overrides[stack]) ?? {})) {
      const line = `  mlplatform:${key}: ${JSON.stringify(value)}`;
      const existing = new RegExp(`^  mlplatform:${key}:.*$`, "m");
      text = existing.test(text) ? text.replace(existing, line) : `${text.trimEnd()}\n${line}\n`;
    }
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

/** Counts resources by type token. */
export function countByType(list: PlanResource[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of list) counts[r.type] = (counts[r.type] ?? 0) + 1;
  return counts;
}
