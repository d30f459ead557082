/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week), as data scientists
 * write them, validated and converted to the Quartz syntax Databricks job schedules use.
 */

interface FieldSpec {
  label: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { label: "minute", min: 0, max: 59 },
  { label: "hour", min: 0, max: 23 },
  { label: "day-of-month", min: 1, max: 31 },
  {
    label: "month",
    min: 1,
    max: 12,
    names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
  },
  {
    label: "day-of-week",
    min: 0,
    max: 7,
    names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
  },
];

const MACROS: Record<string, string> = {
  "@hourly": "0 * * * *",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@weekly": "0 0 * * 0",
  "@monthly": "0 0 1 * *",
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
};

export const CRON_ALLOWED =
  "5 fields: minute hour day-of-month month day-of-week, each *, a number, a range a-b, a step */n or a-b/n, or a comma list; or @hourly, @daily, @weekly, @monthly, @yearly";

class CronError extends Error {}

function parseValue(text: string, spec: FieldSpec): number {
  const upper = text.toUpperCase();
  if (spec.names) {
    const index = spec.names.indexOf(upper);
    if (index >= 0) return spec.label === "month" ? index + 1 : index;
  }
  if (!/^\d{1,2}$/.test(text)) {
    throw new CronError(`${spec.label} "${text}" is not a number`);
  }
  const value = Number(text);
  if (value < spec.min || value > spec.max) {
    throw new CronError(`${spec.label} ${value} is out of range ${spec.min}-${spec.max}`);
  }
  return value;
}

/** Expands one field into the set of values it matches; throws a CronError naming the problem. */
function expandField(text: string, spec: FieldSpec): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(",")) {
    const match = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d{1,2}))?$/.exec(part);
    if (!match) throw new CronError(`${spec.label} "${part}" is not valid`);
    const [, range, stepText] = match;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) throw new CronError(`${spec.label} step must be at least 1`);
    if (step > spec.max - spec.min) {
      throw new CronError(
        `${spec.label} step ${step} is larger than the field's range ${spec.min}-${spec.max}: it would match only the first value; write that value instead`,
      );
    }
    let low: number;
    let high: number;
    if (range === "*") {
      low = spec.min;
      high = spec.max;
    } else if (range.includes("-")) {
      const [a, b] = range.split("-");
      low = parseValue(a, spec);
      high = parseValue(b, spec);
      if (low > high) throw new CronError(`${spec.label} range ${range} runs backwards`);
    } else {
      if (stepText !== undefined) {
        throw new CronError(`${spec.label} step needs a range or * before it ("${part}")`);
      }
      low = high = parseValue(range, spec);
    }
    for (let v = low; v <= high; v += step) values.add(v);
  }
  return values;
}

export interface ParsedCron {
  fields: string[];
  expanded: Set<number>[];
}

/** Parses a cron expression; returns an error text, or the parsed fields. */
export function parseCron(expression: string): ParsedCron | string {
  const text = MACROS[expression.trim().toLowerCase()] ?? expression.trim();
  const fields = text.split(/\s+/);
  if (fields.length !== 5) {
    return `has ${fields.length} field${fields.length === 1 ? "" : "s"}, expected 5`;
  }
  try {
    const expanded = fields.map((f, i) => expandField(f, FIELDS[i]));
    const domRestricted = fields[2] !== "*";
    const dowRestricted = fields[4] !== "*";
    if (domRestricted && dowRestricted) {
      return "restricts both day-of-month and day-of-week, which Databricks (Quartz) schedules cannot express; restrict one and leave the other *";
    }
    const never = neverFires(expanded[2], expanded[3], domRestricted);
    if (never) return never;
    return { fields, expanded };
  } catch (e) {
    if (e instanceof CronError) return e.message;
    throw e;
  }
}

/** Longest month lengths (February's 29 occurs in leap years: such a schedule does fire). */
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const MONTH_NAMES = FIELDS[3].names!;

/** Why a day-of-month restriction can never meet its months, or undefined when it can. */
function neverFires(
  days: Set<number>,
  months: Set<number>,
  restricted: boolean,
): string | undefined {
  if (!restricted) return undefined;
  const longest = Math.max(...[...months].map((m) => DAYS_IN_MONTH[m - 1]));
  if (Math.min(...days) <= longest) return undefined;
  const named = [...months].sort((a, b) => a - b).map((m) => MONTH_NAMES[m - 1]);
  return `day-of-month ${[...days].sort((a, b) => a - b).join(",")} never occurs in ${named.join(",")} (at most ${longest} days): the schedule would never fire`;
}

/** Converts a valid 5-field cron expression to a Databricks (Quartz) cron expression. */
export function toQuartz(expression: string): string {
  const parsed = parseCron(expression);
  if (typeof parsed === "string") throw new Error(`invalid cron "${expression}": ${parsed}`);
  const [minute, hour, dom, month, dow] = parsed.fields;
  const upperMonth = month.toUpperCase();
  if (dow === "*") return `0 ${minute} ${hour} ${dom} ${upperMonth} ?`;
  // Quartz numbers days 1 (Sunday) to 7; cron numbers them 0 (or 7) to 6.
  const days = [...parsed.expanded[4]].map((d) => (d % 7) + 1);
  const quartzDays = [...new Set(days)].sort((a, b) => a - b).join(",");
  return `0 ${minute} ${hour} ? ${upperMonth} ${quartzDays}`;
}
