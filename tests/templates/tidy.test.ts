/**
 * tidy (program/render/render.ts) removes what the regular expressions it replaces removed:
 * trailing spaces and tabs before every JavaScript line terminator and at the end, then every
 * trailing newline, and ends with exactly one newline.
 */
import fc from "fast-check";
import { tidy } from "../../program/render/render";

/** The definition tidy is measured against. */
function byRegExp(content: string): string {
  return `${content.replace(/[ \t]+$/gm, "").replace(/\n*$/, "")}\n`;
}

const PIECES = [" ", "\t", "\n", "\r", "\r\n", "\u2028", "\u2029", "a", "é", "  x", "\t\n", "\v", "\u00a0"];

describe("tidy", () => {
  test("exact cases", () => {
    expect(tidy("")).toBe("\n");
    expect(tidy("a  \nb\t\n\n\n")).toBe("a\nb\n");
    expect(tidy("a \r\nb \u2028c\t")).toBe("a\r\nb\u2028c\n");
    // Only spaces and tabs are blanks: a vertical tab or a no-break space stays.
    expect(tidy("a\v\nb\u00a0")).toBe("a\v\nb\u00a0\n");
    // A trailing carriage return is not a newline: it stays, blanks before it go.
    expect(tidy("a \r")).toBe("a\r\n");
  });

  test("the same as the regular expressions on generated text", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }), (pieces) => {
        const text = pieces.join("");
        expect(tidy(text)).toBe(byRegExp(text));
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => {
        expect(tidy(text)).toBe(byRegExp(text));
      }),
      { numRuns: 100 },
    );
  });
});
