/** The pin edit of `npm run rollback -- --write-pin` (deploy/rollback/pin.ts). */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { editPin, lineDiff, pinSnippet } from "../../deploy/rollback/pin";
import { digest, ROOT, sha } from "./helpers";

const PIN = { gitSha: sha("7"), digest: digest("7") };
const read = (name: string) => fs.readFileSync(path.join(ROOT, "services", name), "utf8");

test("an existing pin: only its two lines change, comments and layout stay", () => {
  const original = read("product-recommender.yaml");
  const edit = editPin(original, "prod", PIN);
  expect(edit.changed).toBe(true);
  expect(edit.reformatted).toBe(false);
  expect(edit.before).toEqual(YAML.parse(original).images.prod);
  const a = original.split("\n");
  const b = edit.text.split("\n");
  expect(b).toHaveLength(a.length);
  const changed = b.filter((line, i) => line !== a[i]);
  expect(changed).toEqual([`    gitSha: ${PIN.gitSha}`, `    digest: ${PIN.digest}`]);
  expect(YAML.parse(edit.text).images).toEqual({
    dev: YAML.parse(original).images.dev,
    prod: PIN,
  });
});

test("an entry without images gets the block, the rest unchanged", () => {
  const original = read("search-ranking.yaml");
  const edit = editPin(original, "dev", PIN);
  expect(edit.before).toBeUndefined();
  expect(edit.text.startsWith(original)).toBe(true);
  expect(edit.text.slice(original.length)).toBe(pinSnippet("dev", PIN));
});

test("an entry with images but not for this environment gets it added beside the others", () => {
  const original =
    "name: x # the name\nimages:\n  # dev's pin\n  dev:\n    gitSha: a\n    digest: b\n";
  const edit = editPin(original, "prod", PIN);
  expect(edit.text).toBe(
    `${original}  prod:\n    gitSha: ${PIN.gitSha}\n    digest: ${PIN.digest}\n`,
  );
});

test("the same pin: no change", () => {
  const original = `images:\n  prod:\n    gitSha: ${PIN.gitSha}\n    digest: ${PIN.digest}\n`;
  const edit = editPin(original, "prod", PIN);
  expect(edit.changed).toBe(false);
  expect(edit.text).toBe(original);
});

test("a sha YAML would read as a number is quoted", () => {
  const edit = editPin("images: {}\n", "prod", { gitSha: "1".repeat(40), digest: PIN.digest });
  expect(YAML.parse(edit.text).images.prod.gitSha).toBe("1".repeat(40));
  const float = "12e4" + "5".repeat(36);
  expect(
    YAML.parse(editPin("name: x\n", "prod", { gitSha: float, digest: PIN.digest }).text).images.prod
      .gitSha,
  ).toBe(float);
});

test("invalid YAML and a non-mapping images are refused", () => {
  expect(() => editPin("a: [\n", "prod", PIN)).toThrow(/not valid YAML/);
  expect(() => editPin("images: [1]\n", "prod", PIN)).toThrow("images: is not a mapping");
});

test("lineDiff shows the changed lines with one line of context", () => {
  expect(lineDiff("a\nb\nc\nd\n", "a\nb\nX\nd\n")).toEqual([
    "@@ line 3 @@",
    "  b",
    "- c",
    "+ X",
    "  d",
  ]);
  expect(lineDiff("a\n", "a\n")).toEqual([]);
});
