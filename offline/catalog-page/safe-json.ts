/**
 * JSON for a `<script type="application/json">` element. JSON.stringify alone is not enough: the
 * HTML tokenizer ends a script element at `</script` and treats `<!--` specially inside it, long
 * before any JSON parser sees the text (HTML Standard, "Restrictions for contents of script
 * elements": https://html.spec.whatwg.org/multipage/scripting.html#restrictions-for-contents-of-script-elements).
 * Escaping every `<`, `>` and `&` as \u003c, \u003e, \u0026 leaves no markup at all; U+2028 and
 * U+2029 are escaped too because they end a JavaScript string literal in engines before ES2019
 * (tc39/proposal-json-superset), should the blob ever be read as code. The same set as
 * zertosh/htmlescape htmlescape.js (Go's encoding/json HTMLEscape).
 */

const UNSAFE = /[<>&\u2028\u2029]/g;

function escapeCharacter(character: string): string {
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** The value as JSON text with no character that HTML or an old JavaScript engine could act on. */
export function jsonForScript(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError("jsonForScript: the value has no JSON form");
  return json.replace(UNSAFE, escapeCharacter);
}
