/**
 * Escaping filters of the service templates. Templates render with autoescape off, so every value
 * that comes from a catalog entry goes through the filter of the target language: the result is
 * always one well-formed literal of that language, whatever the text holds (quotes, colons,
 * newlines, `{{ }}`, backslashes, emoji, invisible characters).
 */

/** Characters shown as escapes rather than written as they are: controls, format, separators,
 * private use, unassigned and non-characters (YAML and Python readers reject or hide some). */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]/u;

/** Lone UTF-16 surrogates cannot be encoded as UTF-8: they become U+FFFD. */
function wellFormed(text: string): string {
  return text.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    "\uFFFD",
  );
}

function hex(codePoint: number, width: number): string {
  return codePoint.toString(16).padStart(width, "0");
}

/** `\U` and eight hex digits beyond the BMP, `\u` and four within it (YAML, TOML, Python). */
function unicodeEscape(codePoint: number): string {
  return codePoint > 0xffff ? `\\U${hex(codePoint, 8)}` : `\\u${hex(codePoint, 4)}`;
}

/** Backslash, newline and tab: escaped alike by every target language. */
const COMMON_ESCAPES = { "\\": "\\\\", "\n": "\\n", "\t": "\\t" };

/**
 * `text` in double quotes: each character of `escapes` written as its escape, each unsafe one
 * (UNSAFE, U+FFFE, U+FFFF) as `codeEscape` of its code point, the rest as they are.
 */
function quoted(
  text: string,
  escapes: Readonly<Record<string, string>>,
  codeEscape: (codePoint: number) => string = unicodeEscape,
): string {
  let out = '"';
  for (const char of text) {
    const cp = char.codePointAt(0)!;
    const escape = Object.hasOwn(escapes, char) ? escapes[char] : undefined;
    if (escape !== undefined) out += escape;
    else if (UNSAFE.test(char) || cp === 0xfffe || cp === 0xffff) out += codeEscape(cp);
    else out += char;
  }
  return `${out}"`;
}

export class FilterError extends Error {}

function requireString(filter: string, value: unknown): string {
  if (typeof value !== "string") {
    throw new FilterError(`filter ${filter} expects a string, got ${describe(value)}`);
  }
  return wellFormed(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "a mapping" : `a ${typeof value}`;
}

/** A YAML double-quoted scalar (JSON-compatible escapes), or a plain number/boolean/null. */
export function yamlScalar(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new FilterError(`filter yaml: ${value} is not finite`);
    return String(value);
  }
  return quoted(requireString("yaml", value), {
    ...COMMON_ESCAPES,
    '"': '\\"',
    "\r": "\\r",
  });
}

/**
 * A Python string literal in double quotes. Quote characters are written as \x22 / \x27 so that
 * black never rewrites the literal (it swaps quote styles to save escaped quotes).
 */
export function pythonString(value: unknown): string {
  return quoted(
    requireString("py", value),
    { ...COMMON_ESCAPES, '"': "\\x22", "'": "\\x27", "\r": "\\r" },
    (cp) => (cp <= 0xff ? `\\x${hex(cp, 2)}` : unicodeEscape(cp)),
  );
}

/** A Python literal for a string, finite number, boolean or null (None). */
export function pythonValue(value: unknown): string {
  if (value === null) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return pythonNumber(value);
  return pythonString(value);
}

/** A Python float literal (integers get ".0"), or None for null. */
export function pythonNumber(value: unknown): string {
  if (value === null) return "None";
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new FilterError(
      `filter py_number expects a finite number or null, got ${describe(value)}`,
    );
  }
  const text = String(value);
  return /^-?\d+$/.test(text) ? `${text}.0` : text;
}

/** A Python string literal, or None for null. */
export function pythonOptional(value: unknown): string {
  return value === null ? "None" : pythonString(value);
}

/**
 * A Python list of strings at module level, one item per line with a trailing comma (black keeps
 * that layout whatever the length of the items).
 */
export function pythonList(value: unknown): string {
  if (!Array.isArray(value)) {
    throw new FilterError(`filter py_list expects a list, got ${describe(value)}`);
  }
  if (value.length === 0) return "[]";
  return `[\n${value.map((item) => `    ${pythonString(item)},\n`).join("")}]`;
}

/** A TOML basic string. */
export function tomlString(value: unknown): string {
  return quoted(requireString("toml", value), { ...COMMON_ESCAPES, '"': '\\"' });
}

/**
 * Markdown inline text: one line (whitespace runs become one space), HTML and emphasis/link
 * characters escaped, and no block syntax (heading, list, quote) at its start.
 */
export function markdownText(value: unknown): string {
  const text = requireString("md", value)
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  const escaped = text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\\`*_[\]|~#{}]/g, (c) => `\\${c}`);
  return escaped.replace(/^([-+=]|\d+(?=[.)]))/, (m) => (/^\d/.test(m) ? `${m}\\` : `\\${m}`));
}

const GITHUB_NAME =
  /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$|^[a-z0-9][a-z0-9_-]{0,99}$/;

/** A GitHub user, organisation or team slug, checked (CODEOWNERS has no quoting). */
export function githubName(value: unknown): string {
  const text = requireString("github_name", value);
  if (!GITHUB_NAME.test(text)) {
    throw new FilterError(`filter github_name: ${JSON.stringify(text)} is not a GitHub name`);
  }
  return text;
}

/** The filters templates may use, by name. */
export const FILTERS: Record<string, (value: unknown) => string> = {
  yaml: yamlScalar,
  py: pythonValue,
  py_number: pythonNumber,
  py_optional: pythonOptional,
  py_list: pythonList,
  toml: tomlString,
  md: markdownText,
  github_name: githubName,
};
