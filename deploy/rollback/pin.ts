/**
 * The catalog side of a rollback: the pin `images.<environment>: { gitSha, digest }` of one entry,
 * as a snippet to paste or as an edit of services/<service>.yaml made with the `yaml` package's
 * Document API, so that comments, key order, quoting and flow lists stay as they were.
 */
import * as YAML from "yaml";
import { ImagePin } from "../../catalog/types";

/** How entries are written back: no folding of long lines, `[a, b]` flow lists (prettier's style). */
const WRITE_OPTIONS: YAML.ToStringOptions = { lineWidth: 0, flowCollectionPadding: false };

export const GIT_SHA = /^[0-9a-f]{40}$/;
export const DIGEST = /^sha256:[0-9a-f]{64}$/;

export interface PinEdit {
  /** The entry's new text. */
  text: string;
  /** The pin before the edit, when there was one. */
  before: ImagePin | undefined;
  /** Whether the text changed (false: the entry already pins this image). */
  changed: boolean;
  /**
   * Whether the YAML writer changed more than the pin (an entry not in the layout it writes,
   * e.g. not formatted by prettier); the diff then shows it.
   */
  reformatted: boolean;
}

/** The YAML to put into the entry, for people applying it by hand. */
export function pinSnippet(environment: string, pin: ImagePin): string {
  return `images:\n  ${environment}:\n    gitSha: ${pin.gitSha}\n    digest: ${pin.digest}\n`;
}

/** Sets `images.<environment>` of an entry's text to `pin`, leaving everything else alone. */
export function editPin(original: string, environment: string, pin: ImagePin): PinEdit {
  const doc = YAML.parseDocument(original);
  if (doc.errors.length > 0) {
    throw new Error(`not valid YAML: ${doc.errors[0].message.split("\n")[0]}`);
  }
  const reformatted = doc.toString(WRITE_OPTIONS) !== original;
  const gitSha = doc.getIn(["images", environment, "gitSha"]);
  const digest = doc.getIn(["images", environment, "digest"]);
  const before =
    typeof gitSha === "string" && typeof digest === "string" ? { gitSha, digest } : undefined;
  if (before && before.gitSha === pin.gitSha && before.digest === pin.digest) {
    return { text: original, before, changed: false, reformatted: false };
  }
  const images = doc.get("images", true);
  if (images !== undefined && !YAML.isMap(images)) {
    throw new Error("images: is not a mapping");
  }
  const current = doc.getIn(["images", environment], true);
  if (current !== undefined && YAML.isMap(current)) {
    // Existing pin: replace the two values in place (comments on the keys stay).
    current.set("gitSha", pin.gitSha);
    current.set("digest", pin.digest);
  } else {
    doc.setIn(["images", environment], doc.createNode({ gitSha: pin.gitSha, digest: pin.digest }));
  }
  const text = doc.toString(WRITE_OPTIONS);
  return { text, before, changed: text !== original, reformatted };
}

/**
 * The changed lines of a text, as `-` / `+` lines with a line of context each side (the edit
 * touches one contiguous region, so common prefix and suffix are enough).
 */
export function lineDiff(before: string, after: string): string[] {
  const a = before.split("\n");
  const b = after.split("\n");
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  if (start === endA && start === endB) return [];
  const out: string[] = [`@@ line ${start + 1} @@`];
  if (start > 0) out.push(`  ${a[start - 1]}`);
  for (const line of a.slice(start, endA)) out.push(`- ${line}`);
  for (const line of b.slice(start, endB)) out.push(`+ ${line}`);
  if (endA < a.length && a[endA] !== "") out.push(`  ${a[endA]}`);
  return out;
}
