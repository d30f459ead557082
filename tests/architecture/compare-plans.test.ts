/**
 * bench/compare-plans.ts: the check that a restructuring leaves every offline plan byte-identical.
 * The worktree and plan runs are the bench's (tests/scale/bench.test.ts covers prepareBaseline);
 * here, the comparison itself must catch any byte.
 */
import { compareOutputs, firstDifference } from "../../bench/compare-plans";

describe("firstDifference", () => {
  test("equal texts have none", () => {
    expect(firstDifference("a\nb\n", "a\nb\n")).toBeUndefined();
  });

  test("names the first differing line, 1-based, with both sides", () => {
    expect(firstDifference('a\n  "x": 1,\nc', 'a\n  "x": 1\nc')).toEqual({
      line: 2,
      before: '  "x": 1,',
      after: '  "x": 1',
    });
  });

  test("a missing trailing line and a line-ending change are differences too", () => {
    expect(firstDifference("a\nb", "a")).toEqual({ line: 2, before: "b", after: "(end)" });
    expect(firstDifference("a\n", "a\r\n")).toEqual({ line: 1, before: "a", after: "a\r" });
  });
});

describe("compareOutputs", () => {
  const base = { console: "plan\n", "plan.json": "{}\n", "plan.md": "# plan\n" };

  test("identical outputs pass, with their sizes", () => {
    expect(compareOutputs("dev", base, { ...base }, "main")).toEqual({
      identical: true,
      lines: [
        "identical  dev console (5 bytes)",
        "identical  dev plan.json (3 bytes)",
        "identical  dev plan.md (7 bytes)",
      ],
    });
  });

  test("one changed byte fails and shows both lines", () => {
    const result = compareOutputs("prod", base, { ...base, "plan.md": "# plan \n" }, "main");
    expect(result.identical).toBe(false);
    expect(result.lines).toEqual([
      "identical  prod console (5 bytes)",
      "identical  prod plan.json (3 bytes)",
      "DIFFERS    prod plan.md at line 1:",
      "  main: # plan",
      "  working tree: # plan ",
    ]);
  });

  test("an output missing on the working tree's side fails", () => {
    const { "plan.md": _dropped, ...partial } = base;
    void _dropped;
    expect(compareOutputs("dev", base, partial, "main").identical).toBe(false);
  });
});
