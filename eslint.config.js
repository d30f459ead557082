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
  "lib/**/*.ts",
  "catalog/**/*.ts",
  "program/**/*.ts",
  "components/**/*.ts",
  "offline/**/*.ts",
  "deploy/**/*.ts",
  "policy/**/*.ts",
  "cli/**/*.ts",
  "index.ts",
];

/**
 * Import directions (README "Layout"): lib/ (leaf utilities) <- catalog/ (the domain) <- program/
 * (the mapping onto components) -> components/ (their Args only); the tools beside them (offline/,
 * deploy/, cli/, bench/) use what they need; policy/ stands alone. Each entry: the folder whose
 * files are checked, and what they must not import (a folder or a module, repository-relative;
 * `except` lists the entry points of a folder that stay allowed). A file gets the entry of its
 * deepest listed folder: a subfolder's entry comes after its parent's and repeats what it needs.
 * no-restricted-imports sees import and export-from declarations, not require() or import().
 */
const TOOLS = ["offline", "deploy", "cli", "bench"];
const IMPORT_DIRECTIONS = [
  {
    from: "lib",
    why: "lib/ holds leaf utilities: it imports nothing of the project",
    forbidden: ["catalog", "program", "components", ...TOOLS, "policy", "index"],
  },
  {
    from: "catalog",
    why: "catalog/ is the domain: it uses only lib/, nothing of the program, the components or the tools",
    forbidden: ["program", "components", ...TOOLS, "policy", "index"],
  },
  {
    from: "components",
    why: "components take only their Args: they import no project folder but components/ (not lib/, the catalog, the program or the tools)",
    forbidden: ["lib", "catalog", "program", ...TOOLS, "policy", "index"],
  },
  {
    from: "program",
    why: "the program maps the catalog onto the components: it uses none of the tools",
    forbidden: [...TOOLS, "policy", "index"],
  },
  {
    from: "program/render",
    why: "rendering works from the catalog alone: it uses no component, not the program's mapping and none of the tools",
    forbidden: [
      "components",
      "program/program",
      "program/service",
      "program/delivery",
      ...TOOLS,
      "policy",
      "index",
    ],
  },
  {
    from: "policy",
    why: "the policy pack is self-contained (pulumi policy publish policy uploads only policy/)",
    forbidden: ["lib", "catalog", "program", "components", ...TOOLS, "index", "tests"],
  },
  {
    from: "offline",
    why: "the offline tools run the program and read its plan: no component's internals, no command-line entry point",
    forbidden: ["cli", "bench", "deploy", "components"],
  },
  {
    from: "offline/policy",
    why: "policy evaluation reads the plan document (offline/plan/types) and the rules, never the plan engine, the program or the components",
    forbidden: [
      "cli",
      "bench",
      "deploy",
      "components",
      "program",
      { path: "offline/plan", except: ["types"] },
    ],
  },
  {
    from: "offline/plan",
    why: "the plan runs the program and uses the policies through their entry points (offline/policy/evaluate, policy/src/shared); it knows no component's internals",
    forbidden: [
      "cli",
      "bench",
      "deploy",
      "components",
      "offline/catalog-page",
      { path: "offline/policy", except: ["evaluate"] },
      { path: "policy", except: ["src/shared"] },
    ],
  },
  {
    from: "offline/catalog-page",
    why: "the catalog page reads the catalog and stack outputs: no component, no command-line entry point",
    forbidden: ["cli", "bench", "deploy", "components"],
  },
  {
    from: "deploy",
    why: "the deploy commands' library uses no component and no command-line entry point",
    forbidden: ["cli", "bench", "components"],
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
