/**
 * Hostile and malformed catalogs: hundreds in-process (table-driven and property-based), a few
 * through the real commands. Every case must end in a CatalogError whose every line starts with
 * the offending file's path, with nothing declared, no other kind of error and no stack trace.
 */
import * as fs from "fs";
import * as path from "path";
import fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { CatalogError, printable } from "../../catalog/errors";
import { CATALOG_LIMITS, loadCatalog } from "../../catalog/load";
import { catalogSchema, SchemaNode } from "../../catalog/schema";
import { resolveService } from "../../catalog/resolve";
import { ServiceEntry } from "../../catalog/types";
import { physicalNames } from "../../catalog/names";
import { diffPlans } from "../../offline/plan/diff";
import { checkRemovals } from "../../offline/plan/removal-guard";
import { PlanDocument } from "../../offline/plan/types";
import { declarePlatform } from "../../program/program";
import { installMockEngine } from "../../offline/plan/mock-engine";
import { offlineConfig, PROJECT } from "../../offline/plan/run";
import { CompiledResult, runCompiled } from "../helpers/compiled-run";
import {
  problemLines,
  projectStacks,
  tempDir,
  VALID_ENTRY,
  withLine,
  writeCatalog,
} from "./fixtures";

const OFFENDER = "churn-model.yaml";
// The module object itself (the namespace import is a read-only view that jest cannot spy on).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeFs: typeof fs = require("fs");

const BYSTANDER = { "bystander.yaml": withLine(1, "name: bystander") };

/**
 * Writes the hostile file next to a valid entry and checks the rules every case must keep;
 * returns the problems (for case-specific assertions).
 */
function refused(content: string | Uint8Array, file = OFFENDER): string[] {
  const dir = writeCatalog({ ...BYSTANDER, [file]: content });
  return refusedDir(dir, path.join(dir, file));
}

function refusedDir(dir: string, offender: string): string[] {
  let error: unknown;
  try {
    loadCatalog(dir, projectStacks());
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(CatalogError);
  const problems = (error as CatalogError).problems;
  expect(problems.length).toBeGreaterThanOrEqual(1);
  for (const line of problems) {
    expect(line.startsWith(`${printable(offender)}:`)).toBe(true);
    expect(line).not.toMatch(/[\n\r\u2028\u2029\u001b\u202e\u200b]/);
    expect(line).not.toMatch(/^\s+at /m);
    expect(line.length).toBeLessThan(2000);
  }
  return problems;
}

/** Every field path of the schema with its node. */
function schemaFields(node: SchemaNode, at: string[] = []): [string[], SchemaNode][] {
  const out: [string[], SchemaNode][] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    if (key === "$schema") continue;
    out.push([[...at, key], child]);
    if (child.type === "object") out.push(...schemaFields(child, [...at, key]));
  }
  return out;
}

/** Values of every YAML type; wrongFor picks those a field of the given type must refuse. */
const SAMPLES: Record<string, unknown> = {
  string: "text",
  integer: 7,
  float: 1.5,
  boolean: true,
  null: null,
  list: ["a"],
  mapping: { a: 1 },
};
function wrongFor(node: SchemaNode): [string, unknown][] {
  const ok: Record<string, string[]> = {
    string: ["string"],
    integer: ["integer"],
    number: ["integer", "float"],
    boolean: ["boolean"],
    array: ["list"],
    object: ["mapping"],
  };
  return Object.entries(SAMPLES).filter(([kind]) => !ok[node.type!].includes(kind));
}

/** A valid entry as data, to set one field of it wrong. */
function validData(): Record<string, unknown> {
  return {
    ...(YAML.parse(VALID_ENTRY) as Record<string, unknown>),
    batchPrediction: { schedule: "0 4 * * *" },
    evaluation: { metric: "auc", threshold: 0.5 },
    artifacts: { retentionDays: 30 },
    repository: { topics: ["x"] },
  };
}

function setIn(data: Record<string, unknown>, at: string[], value: unknown): void {
  let node = data;
  for (const key of at.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[at[at.length - 1]] = value;
}

describe("the baseline", () => {
  it("the valid entry and its richer variant are accepted (so each case below fails for its own reason)", () => {
    const dir = writeCatalog({ ...BYSTANDER, [OFFENDER]: YAML.stringify(validData()) });
    expect(loadCatalog(dir, projectStacks()).map((f) => f.entry.name)).toEqual([
      "bystander",
      "churn-model",
    ]);
  });
});

describe("wrong types at every field", () => {
  const cases = schemaFields(catalogSchema()).flatMap(([at, node]) =>
    wrongFor(node).map(([kind, value]) => [at.join("."), kind, at, value] as const),
  );

  it("covers every field of the schema", () => {
    expect(new Set(cases.map((c) => c[0])).size).toBe(schemaFields(catalogSchema()).length);
    expect(cases.length).toBeGreaterThan(150);
  });

  it.each(cases)("%s = %s is refused, naming the field", (field, _kind, at, value) => {
    const data = validData();
    setIn(data, at, value);
    const problems = refused(YAML.stringify(data));
    expect(problems.some((p) => p.includes(`: ${field}: is `))).toBe(true);
  });
});

describe("hostile files", () => {
  const big = "x".repeat(CATALOG_LIMITS.maxFileBytes);
  const laughs = [
    "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]",
    ...["b", "c", "d", "e", "f", "g", "h", "i"].map(
      (k, i) =>
        `${k}: &${k} [${Array(9)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(", ")}]`,
    ),
  ].join("\n");
  const table: [string, string | Uint8Array, RegExp][] = [
    ["a 1 MB file", "#".repeat(1024 * 1024), /: file is 1048576 bytes \(at most 65536\)$/],
    [
      "a 100k-character description",
      withLine(2, `description: ${"d".repeat(100_000)}`),
      /: file is \d+ bytes \(at most 65536\)$/,
    ],
    [
      "a description one character over its limit",
      withLine(2, `description: ${"d".repeat(351)}`),
      /:2: description: is 351 characters long \(at most 350\)$/,
    ],
    ["a file exactly one byte over the limit", big + "x", /: file is 65537 bytes/],
    [
      "a billion-laughs document",
      laughs,
      /: Excessive alias count indicates a resource exhaustion attack \(at most 20 alias expansions per entry\)$/,
    ],
    [
      "an alias used where a string list is expected",
      withLine(4, "owners: *t", withLine(3, "team: &t growth")),
      /:4: owners: is a string \(expected a list\)$/,
    ],
    [
      "an alias to a mapping where a string is expected",
      withLine(5, "training: &tr", withLine(3, undefined)) + "team: *tr\n",
      /:9: team: is a mapping \(expected a string\)$/,
    ],
    ["an alias to a missing anchor", withLine(3, "team: *nope"), /Unresolved alias/],
    ["an alias to itself", withLine(4, "owners: &o [*o]"), /nested 65 levels deep \(at most 8\)$/],
    [
      "values nested 9 levels deep",
      // The entry itself is the first level.
      VALID_ENTRY + "extra: " + "[".repeat(8) + "]".repeat(8) + "\n",
      /:1: \(entry\): nested 9 levels deep \(at most 8\)$/,
    ],
    [
      "values nested 3000 levels deep (flow)",
      VALID_ENTRY + "extra: " + "[".repeat(3000) + "]".repeat(3000) + "\n",
      /: \(entry\): nested (too deeply to read|\d+ levels deep) \(at most 8( levels)?\)$/,
    ],
    [
      "values nested 3000 levels deep (mappings)",
      VALID_ENTRY + "extra: " + "{a: ".repeat(3000) + "1" + "}".repeat(3000) + "\n",
      /: \(entry\): nested (too deeply to read|\d+ levels deep) \(at most 8( levels)?\)$/,
    ],
    ["an empty file", "", /: is empty \(copy an example entry from services\/ to start\)$/],
    ["a whitespace-only file", " \n\t\n  \n", /: is empty/],
    ["a comments-only file", "# nothing yet\n", /: holds only comments/],
    ["invalid UTF-8", Uint8Array.from([0x6e, 0x61, 0xff, 0xfe, 0x0a]), /: is not UTF-8 text/],
    ["a UTF-16 file", Buffer.from(VALID_ENTRY, "utf16le"), /: contains NUL bytes|: is not UTF-8/],
    ["NUL bytes", VALID_ENTRY.replace("growth", "gro\u0000wth"), /: contains NUL bytes/],
    [
      "two YAML documents",
      VALID_ENTRY + "---\n" + VALID_ENTRY,
      /: holds 2 YAML documents \(one entry per file\)$/,
    ],
    [
      "a top-level list",
      "- name: churn-model\n",
      /:1: \(entry\): is a list \(expected a mapping\)$/,
    ],
    ["a top-level string", "churn-model\n", /:1: \(entry\): is a string \(expected a mapping\)$/],
    [
      "a __proto__ key",
      VALID_ENTRY + "__proto__: {polluted: true}\n",
      /:10: __proto__: unknown field "__proto__"/,
    ],
    [
      "a constructor key inside a section",
      withLine(7, '  constructor: "x"'),
      /:7: training.constructor: unknown field "constructor"/,
    ],
    [
      "a prototype key",
      VALID_ENTRY + "prototype: 1\n",
      /:10: prototype: unknown field "prototype"/,
    ],
    [
      "1e400",
      withLine(7, "  workers: 1e400"),
      /:7: training.workers: is Infinity \(not a finite number\) \(expected an integer from 0 to 64\)$/,
    ],
    ["NaN", withLine(7, "  retries: .nan"), /:7: training.retries: is NaN \(not a finite number\)/],
    [
      ".inf",
      VALID_ENTRY + "evaluation:\n  threshold: -.inf\n",
      /:11: evaluation.threshold: is -Infinity \(not a finite number\) \(expected a number from -1000000000 to 1000000000\)$/,
    ],
    [
      "a timestamp where a string is expected",
      withLine(2, "description: !!timestamp 2026-01-01"),
      /:2: description: is a timestamp \(quote it to make it a string\) \(expected a string\)$/,
    ],
    [
      "a YAML 1.1 implicit timestamp",
      "%YAML 1.1\n---\n" + withLine(2, "description: 2026-01-01"),
      /:4: description: is a timestamp/,
    ],
    [
      "!!binary where a string is expected",
      withLine(3, "team: !!binary Z3Jvd3Ro"),
      /:3: team: is binary data \(!!binary\) \(expected a string\)$/,
    ],
    [
      "!!set where a list is expected",
      withLine(4, "owners: !!set {ann-ml}"),
      /:4: owners: is a set \(!!set\) \(expected a list\)$/,
    ],
    [
      "!!omap where a mapping is expected",
      withLine(6, "training: !!omap [{workers: 1}]", withLine(7, undefined)),
      /:6: training: is an ordered map \(!!omap or !!pairs\) \(expected a mapping\)$/,
    ],
    [
      "!!timestamp where a mapping is expected",
      withLine(6, "training: !!timestamp 2026-01-01", withLine(7, undefined)),
      /:6: training: is a timestamp/,
    ],
    [
      "a custom tag",
      withLine(3, "team: !vault growth"),
      /:3: YAML syntax error: Unresolved tag: !vault/,
    ],
    [
      "a custom tag on a mapping",
      withLine(6, "training: !job", VALID_ENTRY),
      /:6: YAML syntax error: Unresolved tag: !job/,
    ],
    ["a collection as a key", VALID_ENTRY + "? [a, b]\n: 1\n", /unknown field "\[ a, b \]"/],
    [
      "duplicate keys",
      VALID_ENTRY + "team: other\n",
      /:10: team: duplicate key "team" at lines 3 and 10 \(a key may appear once per mapping; keep one\)$/,
    ],
    [
      "an RTL override and a zero-width space in the name",
      withLine(1, "name: churn\u202e-mo\u200bdel"),
      /:1: name: "churn\\u\{202e\}-mo\\u\{200b\}del" is not valid/,
    ],
    [
      "terminal escapes in a key",
      VALID_ENTRY + '"\\e[2J\\e[31mowned": 1\n',
      /:10: \\u\{1b\}\[2J\\u\{1b\}\[31mowned: unknown field/,
    ],
    [
      "a line separator in a value",
      withLine(3, 'team: "gro\\u2028wth"'),
      /:3: team: "gro\\u\{2028\}wth" is not valid/,
    ],
  ];

  it.each(table)("%s", (_name, content, expected) => {
    const problems = refused(content);
    expect(problems.some((p) => expected.test(p))).toBe(true);
  });

  it("keeps the limits explicit", () => {
    expect(CATALOG_LIMITS).toEqual({
      maxFileBytes: 65536,
      maxAliasCount: 20,
      maxServices: 5000,
      maxDepth: 8,
      maxServicesPerStack: 1000,
    });
  });

  it("a file exactly at the size limit is read (only its content is wrong)", () => {
    const content = VALID_ENTRY + "#".repeat(CATALOG_LIMITS.maxFileBytes - VALID_ENTRY.length);
    expect(Buffer.byteLength(content)).toBe(CATALOG_LIMITS.maxFileBytes);
    const dir = writeCatalog({ [OFFENDER]: content });
    expect(loadCatalog(dir, projectStacks()).map((f) => f.entry.name)).toEqual(["churn-model"]);
  });

  it("an unreadable file is a problem of that file, not a crash", () => {
    const dir = writeCatalog({ ...BYSTANDER, [OFFENDER]: VALID_ENTRY });
    const target = path.join(dir, OFFENDER);
    const original = fs.readFileSync;
    const spy = jest.spyOn(nodeFs, "readFileSync").mockImplementation(((
      file: fs.PathOrFileDescriptor,
      ...rest: unknown[]
    ) => {
      if (file === target) throw Object.assign(new Error("EACCES"), { code: "EACCES" });
      return (original as (...a: unknown[]) => unknown)(file, ...rest);
    }) as typeof fs.readFileSync);
    try {
      expect(refusedDir(dir, target)).toEqual([
        `${target}: cannot be read (EACCES; entries must be readable regular files)`,
      ]);
    } finally {
      spy.mockRestore();
    }
  });
});

describe("what the folder holds", () => {
  it.each([
    ["a .yml file", "churn-model.yml", /: unexpected file \(entries are named <name>\.yaml/],
    ["a .json file", "churn-model.json", /: unexpected file/],
    ["a .txt file", "notes.txt", /: unexpected file/],
    ["a hidden file", ".DS_Store", /: unexpected file/],
  ])("%s is refused", (_name, file, expected) => {
    const problems = refused(VALID_ENTRY, file);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  it("a symbolic link pointing outside the folder is refused without being read", () => {
    const outside = writeCatalog({ "secret.yaml": "token: do-not-read-me\n" });
    const dir = writeCatalog(BYSTANDER);
    fs.symlinkSync(path.join(outside, "secret.yaml"), path.join(dir, OFFENDER));
    const problems = refusedDir(dir, path.join(dir, OFFENDER));
    expect(problems).toEqual([
      `${path.join(dir, OFFENDER)}: is a symbolic link (entries must be regular files inside ${dir})`,
    ]);
  });

  it("a subdirectory is refused, even one named like an entry", () => {
    const dir = writeCatalog(BYSTANDER);
    fs.mkdirSync(path.join(dir, OFFENDER));
    fs.writeFileSync(path.join(dir, OFFENDER, "inner.yaml"), VALID_ENTRY);
    expect(refusedDir(dir, path.join(dir, OFFENDER))).toEqual([
      `${path.join(dir, OFFENDER)}: is not a regular file (only <name>.yaml entries belong in ${dir})`,
    ]);
  });

  it("a file name with a newline or escape stays on one line", () => {
    const name = "churn\nmodel\u001b[2J.yaml";
    const problems = refused(VALID_ENTRY, name);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("churn\\u{a}model\\u{1b}[2J.yaml:1: name:");
  });

  it("more files than the service limit are refused before any is read", () => {
    const dir = tempDir("many");
    for (let i = 0; i <= CATALOG_LIMITS.maxServices; i++) {
      fs.writeFileSync(path.join(dir, `s${i}.yaml`), "");
    }
    const spy = jest.spyOn(nodeFs, "readFileSync");
    let error: unknown;
    try {
      loadCatalog(dir, projectStacks());
    } catch (e) {
      error = e;
    } finally {
      expect(spy).not.toHaveBeenCalled();
      spy.mockRestore();
    }
    expect((error as CatalogError).problems).toEqual([
      `${dir}: 5001 entry files (at most 5000; split the platform into several projects)`,
    ]);
  });
});

describe("property-based", () => {
  const runs = { numRuns: 150 };

  it("binary garbage is refused", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 2048 }), (bytes) => {
        refused(bytes);
      }),
      runs,
    );
  });

  it("arbitrary text is refused", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 500 }), (text) => {
        refused(text);
      }),
      runs,
    );
  });

  it("a name with any non-ASCII, invisible or upper-case character is refused", () => {
    const odd = fc.constantFrom(
      "\u202e",
      "\u200b",
      "\u200d",
      "\ufeff",
      "\u05d0",
      "é",
      "Ω",
      "\u0430", // Cyrillic a, looks like a Latin a
      "A",
      "_",
      " ",
      "😀",
    );
    fc.assert(
      fc.property(fc.nat({ max: 10 }), odd, (at, ch) => {
        const name = "churn-model";
        const bad = name.slice(0, at) + ch + name.slice(at);
        const problems = refused(withLine(1, `name: "${bad}"`), `${bad}.yaml`);
        expect(problems.some((p) => p.includes(": name: "))).toBe(true);
      }),
      runs,
    );
  });

  it("any value of the wrong type at any field is refused, naming the field", () => {
    const fields = schemaFields(catalogSchema());
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
    );
    const kindOf = (v: unknown): string =>
      v === null
        ? "null"
        : Array.isArray(v)
          ? "array"
          : typeof v === "object"
            ? "object"
            : typeof v === "number"
              ? Number.isInteger(v)
                ? "integer"
                : "float"
              : typeof v;
    const accepts: Record<string, string[]> = {
      string: ["string"],
      integer: ["integer"],
      number: ["integer", "float"],
      boolean: ["boolean"],
      array: ["array"],
      object: ["object"],
    };
    fc.assert(
      fc.property(fc.nat({ max: fields.length - 1 }), value, (i, v) => {
        const [at, node] = fields[i];
        fc.pre(!accepts[node.type!].includes(kindOf(v)));
        const data = validData();
        setIn(data, at, v);
        const problems = refused(YAML.stringify(data));
        expect(problems.some((p) => p.includes(`: ${at.join(".")}: is `))).toBe(true);
      }),
      runs,
    );
  });

  it("anchors and aliases anywhere never get past the alias limit", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 2, max: 9 }),
        (levels, width) => {
          const lines = ["a0: &a0 [x]"];
          for (let l = 1; l <= levels; l++)
            lines.push(
              `a${l}: &a${l} [${Array(width)
                .fill(`*a${l - 1}`)
                .join(", ")}]`,
            );
          const problems = refused(VALID_ENTRY + lines.join("\n") + "\n");
          // Either the expansion limit or the unknown keys stop it; never a crash or a hang.
          expect(problems.length).toBeGreaterThanOrEqual(1);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("properties of the name registry and the source environment", () => {
  const runs = { numRuns: 50 };
  const serviceName = fc
    .array(fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/), { minLength: 1, maxLength: 3 })
    .map((parts) => parts.join("-"))
    .filter((n) => n.length >= 3 && n.length <= 20 && n !== "base");

  it("two services whose physical names collide in one environment are refused, naming both", () => {
    const kinds = fc.constantFrom(
      ["artifactsBucket", "S3 bucket"] as const,
      ["predictionsBucket", "S3 bucket"] as const,
      ["ecrRepository", "ECR repository"] as const,
    );
    fc.assert(
      fc.property(serviceName, serviceName, kinds, (a, b, [field, kind]) => {
        fc.pre(a !== b);
        // b adopts, under its own name, a resource that a derives in dev.
        const taken = physicalNames(a, "dev", "mlp")[field];
        const dir = writeCatalog({
          [`${a}.yaml`]: withLine(1, `name: ${a}`),
          [`${b}.yaml`]: `${withLine(1, `name: ${b}`)}adopt:\n  dev:\n    ${field}: ${taken}\n`,
        });
        let error: unknown;
        try {
          loadCatalog(dir, projectStacks());
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(CatalogError);
        const collisions = (error as CatalogError).problems.filter((p) =>
          p.includes("two owners cannot share one resource"),
        );
        // One problem, at the file read later (files are read in name order), naming both owners.
        const [later, laterName] =
          a < b ? [`${b}.yaml:12: adopt.dev.${field}`, b] : [`${a}.yaml:1: name`, a];
        const earlier = laterName === a ? b : a;
        expect(collisions).toEqual([
          `${path.join(dir, later)}: ${kind} "${taken}" of service ${laterName} (${path.join(dir, `${laterName}.yaml`)}, dev) is also the ${kind} of service ${earlier} (${path.join(dir, `${earlier}.yaml`)}, dev)${kind === "ECR repository" ? " (AWS account 111111111111 eu-west-1)" : ""}; two owners cannot share one resource`,
        ]);
      }),
      runs,
    );
  });

  it("two services without adopted names never collide", () => {
    fc.assert(
      fc.property(serviceName, serviceName, (a, b) => {
        fc.pre(a !== b);
        const dir = writeCatalog({
          [`${a}.yaml`]: withLine(1, `name: ${a}`),
          [`${b}.yaml`]: withLine(1, `name: ${b}`),
        });
        expect(loadCatalog(dir, projectStacks()).map((f) => f.entry.name)).toEqual([a, b].sort());
      }),
      runs,
    );
  });

  /** A plan document holding one service with these environments (no resources). */
  const planOf = (environments: string[]): PlanDocument => ({
    project: "mlplatform",
    stack: "dev",
    environment: "dev",
    platform: { resources: [] },
    services: [
      {
        name: "churn-model",
        displayName: "churn-model",
        team: "growth",
        owners: ["ann-ml"],
        description: "d",
        template: "sklearn",
        environments,
        decommissioned: false,
        file: "services/churn-model.yaml",
        digest: "0",
        resources: [],
        outputs: {},
      },
    ],
    summary: { services: 1, resources: 0 },
    imports: [],
    retained: {},
    findings: [],
  });

  it("a reorder of environments never moves the source environment unnoticed", () => {
    const [dev] = projectStacks();
    const envs = fc.uniqueArray(fc.constantFrom("dev", "qa", "stage", "prod", "perf"), {
      minLength: 1,
      maxLength: 5,
    });
    fc.assert(
      fc.property(
        envs.chain((list) =>
          fc.tuple(
            fc.constant(list),
            fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }),
          ),
        ),
        ([before, after]) => {
          const entry = (environments: string[]) =>
            ({
              ...(YAML.parse(VALID_ENTRY) as object),
              template: "sklearn",
              evaluation: {},
              artifacts: {},
              environments,
            }) as unknown as ServiceEntry;
          const source = (list: string[]) =>
            resolveService(entry(list), dev.settings).sourceEnvironment;
          // The source environment is the first listed, whatever else the list holds.
          expect(source(before)).toBe(before[0]);
          const base = planOf(before);
          const current = planOf(after);
          const report = checkRemovals(base, current, diffPlans(base, current), {
            protectData: false,
            allowRemoval: [],
          });
          const moved = report.problems.filter((p) => p.includes("the first environment of"));
          if (source(after) === source(before)) expect(moved).toEqual([]);
          else
            expect(moved).toEqual([
              `services/churn-model.yaml: environments: the first environment of "churn-model" changes from ${before[0]} to ${after[0]}; the first environment owns the repository, its files and its Drone activation, so this would move them. Keep ${before[0]} first, or acknowledge with --allow-removal churn-model`,
            ]);
        },
      ),
      runs,
    );
  });
});

describe("nothing is declared from a hostile catalog", () => {
  it("the Pulumi program refuses before it registers a single resource", async () => {
    const dir = writeCatalog({
      ...BYSTANDER,
      [OFFENDER]: withLine(4, "owners: *t", withLine(3, "team: &t growth")),
    });
    const info = projectStacks().find((s) => s.stack === "dev")!;
    const recorded = installMockEngine(PROJECT, "dev", {
      region: info.settings.awsRegion,
      accountId: info.settings.awsAccountId,
      githubOrganization: info.settings.githubOrganization,
    });
    const { config, secretKeys } = offlineConfig(info);
    pulumi.runtime.setAllConfig(config, secretKeys);
    await expect(declarePlatform({ servicesDir: dir })).rejects.toBeInstanceOf(CatalogError);
    expect(recorded).toEqual([]);
  });
});

describe("through the real commands", () => {
  const dir = writeCatalog({
    ...BYSTANDER,
    "big.yaml": "#".repeat(CATALOG_LIMITS.maxFileBytes + 1),
    "binary.yaml": Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0xff, 0x00]),
    "laughs.yaml":
      "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n",
    "nul.yaml": "name: nul\u0000\n",
    "proto.yaml": withLine(1, "name: proto") + "__proto__: {x: 1}\n",
    "tagged.yaml": withLine(1, "name: tagged", withLine(3, "team: !vault growth")),
    "notes.txt": "hello\n",
  });
  fs.mkdirSync(path.join(dir, "sub"));
  fs.symlinkSync("/etc/passwd", path.join(dir, "link.yaml"));
  const offenders = [
    "big.yaml",
    "binary.yaml",
    "laughs.yaml",
    "link.yaml",
    "notes.txt",
    "nul.yaml",
    "proto.yaml",
    "sub",
    "tagged.yaml",
  ];

  // Both compiled commands (what the npm scripts run) start together; each test awaits its own.
  let results: Record<"validate" | "plan", Promise<CompiledResult>>;
  beforeAll(() => {
    results = {
      validate: runCompiled("validate", ["--services", dir]),
      plan: runCompiled("plan", ["--services", dir]),
    };
  });

  for (const command of ["validate", "plan"] as const) {
    it(`npm run ${command} exits 1, each line naming its file, no stack trace, no plan`, async () => {
      const result = await results[command];
      expect(result.status).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(result.stderr).not.toMatch(/Warning|resources/);
      const lines = problemLines(result.stderr);
      const files = lines.map((l) => path.basename(l.split(":")[0]));
      expect([...new Set(files)].sort()).toEqual(offenders);
    });
  }
});
