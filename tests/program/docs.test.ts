import * as fs from "fs";
import * as path from "path";
import { catalogTable, regenerate, settingsTable } from "../../offline/reference-docs";
import { SETTINGS } from "../../catalog/settings";
import { REPO } from "../helpers/plan";

describe("README reference tables", () => {
  const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");

  it("are up to date with catalog/settings.ts and services/schema.json (run npm run docs)", () => {
    expect(regenerate(readme)).toBe(readme);
  });

  it("document every setting and every catalog field", () => {
    for (const s of SETTINGS) expect(settingsTable()).toContain(`\`mlplatform:${s.key}\``);
    for (const field of [
      "name",
      "training.schedule",
      "batchPrediction.schedule",
      "evaluation.threshold",
      "decommissioned",
    ]) {
      expect(catalogTable()).toContain(`| \`${field}\` |`);
    }
  });

  it("fail loudly when a generated block is missing", () => {
    expect(() => regenerate("no markers")).toThrow(
      "README.md has no generated:stack-settings block",
    );
  });
});

describe("stack files", () => {
  it("hold no secret in plain text and set every required key", () => {
    for (const file of fs.readdirSync(path.join(REPO, "stacks"))) {
      const text = fs.readFileSync(path.join(REPO, "stacks", file), "utf8");
      for (const s of SETTINGS.filter((x) => x.secret))
        expect(text).not.toContain(`mlplatform:${s.key}`);
      for (const s of SETTINGS.filter((x) => !x.secret && x.default === undefined)) {
        expect(text).toContain(`mlplatform:${s.key}:`);
      }
    }
  });
});
