// Typed linting so that @pulumi/eslint-plugin can see which values are Outputs.
const fs = require("fs");
const path = require("path");
const tseslint = require("typescript-eslint");
const pulumi = require("@pulumi/eslint-plugin");

// Code that declares or runs infrastructure: a deprecated provider resource or argument in use
// fails the lint. @typescript-eslint/no-deprecated reports every reference to a declaration whose
// JSDoc carries @deprecated, object-literal keys of a typed argument included; it needs type
// information (parserOptions.projectService) (https://typescript-eslint.io/rules/no-deprecated).
const DEPRECATION_CHECKED = [
  "components/**/*.ts",
  "lib/**/*.ts",
  "policy/**/*.ts",
  "cli/**/*.ts",
  "index.ts",
];

/**
 * Import directions (DESIGN.md: domain -> program -> components, tools beside them). Each entry:
 * the folder whose files are checked, and what they must not import (a folder or a module,
 * repository-relative; `except` lists the entry points of a folder that stay allowed).
 *
 * Not enforced yet, because the code still imports that way:
 * - lib/plan -> components/: lib/plan/mock-engine.ts:10 (components/github/commit-provider);
 * - lib/ -> lib/deploy: lib/stacks.ts:7.
 * no-restricted-imports sees import and export-from declarations, not require() or import().
 */
const BESIDE = ["cli", "bench", "lib/catalog-page", "lib/deploy", "lib/rollback"];
const IMPORT_DIRECTIONS = [
  {
    from: "lib/catalog",
    why: "lib/catalog is the domain: it uses nothing of the program, the components, rendering, the plan, the policies or the tools",
    forbidden: [
      ...BESIDE,
      "components",
      "lib/delivery",
      "lib/plan",
      "lib/policy",
      "lib/program",
      "lib/render",
      "lib/service",
      "policy",
    ],
  },
  {
    from: "components",
    why: "components take only their Args: they use nothing of lib/ (the catalog, the program, rendering, settings, names, the plan, the policies) or the tools",
    forbidden: ["bench", "cli", "index", "lib", "policy"],
  },
  {
    from: "lib/render",
    why: "rendering works from the catalog alone: it uses no component, the program, the plan, the policies or the tools",
    forbidden: [
      ...BESIDE,
      "components",
      "lib/plan",
      "lib/policy",
      "lib/program",
      "lib/service",
      "policy",
    ],
  },
  {
    from: "policy",
    why: "the policy pack is self-contained (pulumi policy publish policy uploads only policy/)",
    forbidden: ["bench", "cli", "components", "index", "lib", "tests"],
  },
  {
    from: "lib/policy",
    why: "policy evaluation reads the plan document (lib/plan/types), never the plan engine's internals",
    forbidden: [...BESIDE, "components", "lib/program", { path: "lib/plan", except: ["types"] }],
  },
  {
    from: "lib/plan",
    why: "the plan uses the policies through their entry points (evaluate, shared), never the rules' internals",
    forbidden: [
      "cli",
      "lib/catalog-page",
      "lib/deploy",
      "lib/rollback",
      "policy",
      { path: "lib/policy", except: ["evaluate", "shared"] },
    ],
  },
  {
    from: "lib/deploy",
    why: "the deploy commands' library uses no component and no command-line entry point",
    forbidden: ["cli", "components"],
  },
];

function escapeRegex(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The regex of the specifiers that, written in a file of `dir`, reach `target`. */
function specifierRegex(dir, target) {
  const { path: to, except = [] } = typeof target === "string" ? { path: target } : target;
  const rel = path.posix.relative(dir, to);
  if (rel === "" || !rel.startsWith("..")) {
    // A folder below `dir`, or `dir` itself: written "./x" (or "x" from within).
    const below = rel === "" ? "\\." : `\\./${escapeRegex(rel)}`;
    return exceptions(below, except);
  }
  return exceptions(escapeRegex(rel), except);
}

function exceptions(prefix, except) {
  const allowed = except.length ? `(?!(?:${except.map(escapeRegex).join("|")})(?:\\.ts)?$)` : "";
  return `^${prefix}(?:\\.ts)?$|^${prefix}/${allowed}`;
}

/** Every folder of `root` (repository-relative), root included, node_modules excluded. */
function foldersOf(root) {
  const full = path.join(__dirname, root);
  if (!fs.existsSync(full)) return [];
  return [
    root,
    ...fs
      .readdirSync(full, { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== "node_modules")
      .flatMap((e) => foldersOf(`${root}/${e.name}`)),
  ];
}

/** One config per folder (a file gets one no-restricted-imports setting: later ones replace). */
function importDirectionConfigs() {
  return IMPORT_DIRECTIONS.flatMap(({ from, why, forbidden }) =>
    foldersOf(from).map((dir) => ({
      files: [`${dir}/*.ts`],
      rules: {
        "no-restricted-imports": [
          "error",
          {
            patterns: forbidden
              .filter((target) => {
                const to = typeof target === "string" ? target : target.path;
                return dir !== to && !dir.startsWith(`${to}/`);
              })
              .map((target) => ({
                regex: specifierRegex(dir, target),
                message: `${why} (import direction: eslint.config.js).`,
              })),
          },
        ],
      },
    })),
  );
}

module.exports = tseslint.config(
  { ignores: ["node_modules/**", "bin/**", "templates/**", "out/**", "**/*.js"] },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: __dirname },
    },
    plugins: { "@pulumi": pulumi },
    rules: {
      "@pulumi/no-output-in-template-literal": "error",
      "@pulumi/no-output-instance-in-template-literal": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    files: DEPRECATION_CHECKED,
    rules: { "@typescript-eslint/no-deprecated": "error" },
  },
  ...importDirectionConfigs(),
);
