/** docs/policy.md lists every rule with its severity and scope, and names the exceptions list. */
import * as fs from "fs";
import * as path from "path";
import { RULES, UNSCOPED_ACTIONS } from "../../policy/src/rules";

const doc = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "policy.md"), "utf8");
const rows = doc.split("\n").filter((line) => line.startsWith("| `"));

test("the rules table has one row per rule, in order, with its severity and scope", () => {
  expect(rows.map((row) => row.split(" | ").slice(0, 3).join(" | "))).toEqual(
    RULES.map((r) => `| \`${r.id}\` | ${r.severity} | ${r.scope}`),
  );
});

test("the unscopable actions listed are the rule's exceptions", () => {
  const row = rows.find((r) => r.startsWith("| `iam-no-wildcard-resource`"));
  expect(row).toContain(`unscopable exceptions: ${UNSCOPED_ACTIONS.join(", ")}.`);
});
