import * as fs from "fs";
import * as path from "path";
import * as nunjucks from "nunjucks";
import * as YAML from "yaml";
import { renderCommand, RenderCliResult, SPEC, summary, USAGE } from "../../cli/render";
import { exitCodeFor, helpText, UsageError } from "../../cli/command";
import { CatalogError } from "../../catalog/errors";
import { PIPELINE_SECRETS } from "../../program/pipeline-secrets";
import { managedDigest, managedFileDigests } from "../../components/repository-content";
import {
  backstageLifecycle,
  FILTERS,
  OutputFolderError,
  productionEnvironmentsOf,
  RenderedFile,
  RenderError,
  renderServiceRepository,
  SCAFFOLD_COMMIT,
  TEMPLATES_DIR,
} from "../../program/render";
import { strictContext, strictGlobals } from "../../program/render/strict";
import {
  ACCOUNT,
  BASE_IMAGE,
  examples,
  PYTHON,
  render,
  resolved,
  run,
  runAsync,
  settingsOf,
  stacks,
  tempDir,
  writeRepository,
} from "./fixtures";
import { compiledCommand } from "../cli/compiled";

const HOSTILE =
  'He said "hi": {{ x }} {% raw %} it\'s a \\ backslash\\n """ triple\nnew line # not a comment ${DRONE_COMMIT} - [x](javascript:alert(1)) <script> 🚀 naïve \u2028 \u0085 \ud800';

function byPath(files: RenderedFile[], p: string): RenderedFile {
  const file = files.find((f) => f.path === p);
  if (!file) throw new Error(`no ${p} in ${files.map((f) => f.path).join(", ")}`);
  return file;
}

describe("renderServiceRepository", () => {
  const dev = settingsOf("dev");
  const prod = settingsOf("prod");

  it("is deterministic: two renders are byte-identical and sorted by path", () => {
    for (const { service, settings } of examples()) {
      const first = render(service, settings);
      const second = render(structuredClone(service), structuredClone(settings));
      expect(second).toEqual(first);
      expect(first.map((f) => f.path)).toEqual(first.map((f) => f.path).sort());
    }
  });

  it("marks pipeline, tool configuration, Dockerfile, CODEOWNERS and catalog-info as managed; code, tests and README as seed", () => {
    const files = render(resolved({ name: "churn-model" }, "prod"), prod);
    const kinds = Object.fromEntries(files.map((f) => [f.path, f.kind]));
    for (const managed of [
      ".drone.yml",
      ".pre-commit-config.yaml",
      "Dockerfile",
      "CODEOWNERS",
      "catalog-info.yaml",
      "src/churn_model/service_config.py",
      "src/churn_model/gate.py",
    ]) {
      expect([managed, kinds[managed]]).toEqual([managed, "managed"]);
    }
    for (const seed of [
      "README.md",
      "requirements.txt",
      ".gitignore",
      "pyproject.toml",
      "src/churn_model/model.py",
      "src/churn_model/train.py",
      "src/churn_model/predict.py",
      "tests/test_model.py",
    ]) {
      expect([seed, kinds[seed]]).toEqual([seed, "seed"]);
    }
    // The Airflow DAG is deployed by the stack to its DAG bucket, never kept in the repository.
    expect(files.some((f) => f.path.startsWith("dags/"))).toBe(false);
    expect(render(resolved({}, "dev"), dev).some((f) => f.path.startsWith("dags/"))).toBe(false);
  });

  it("names entry point modules after the entry and refuses names that shadow package modules", () => {
    const service = resolved({}, "dev");
    service.training.entryPoint = "fit";
    service.batchPrediction!.entryPoint = "score";
    const paths = render(service, dev).map((f) => f.path);
    expect(paths).toContain("src/churn_model/fit.py");
    expect(paths).toContain("src/churn_model/score.py");
    expect(paths).not.toContain("src/churn_model/train.py");
    service.training.entryPoint = "model";
    expect(() => render(service, dev)).toThrow(
      'services/churn-model.yaml: training.entryPoint: "model" cannot be an entry point module',
    );
  });

  it("computes digests of the content and one managed digest that ignores seed files", () => {
    const files = render(resolved({}, "dev"), dev);
    const digests = managedFileDigests(files);
    expect(Object.keys(digests)).toEqual(files.filter((f) => f.kind === "managed").map((f) => f.path));
    const seedChanged = files.map((f) =>
      f.path === "README.md" ? { ...f, content: "x", digest: "0".repeat(64) } : f,
    );
    expect(managedDigest(seedChanged)).toBe(managedDigest(files));
    const managedChanged = files.map((f) =>
      f.path === "Dockerfile" ? { ...f, digest: "1".repeat(64) } : f,
    );
    expect(managedDigest(managedChanged)).not.toBe(managedDigest(files));
    expect(managedDigest(files)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses a base image reference or account id that is not one", () => {
    const service = resolved({}, "dev");
    expect(() =>
      renderServiceRepository(service, dev, { baseImage: "ubuntu\nRUN curl evil", accountId: ACCOUNT }),
    ).toThrow("render option baseImage");
    expect(() =>
      renderServiceRepository(service, dev, { baseImage: BASE_IMAGE, accountId: "12" }),
    ).toThrow("render option accountId: expected 12 digits");
  });

  it("puts the base image and the registry of the stack into Dockerfile and pipeline", () => {
    const files = render(resolved({}, "dev"), dev);
    expect(byPath(files, "Dockerfile").content).toContain(`\nFROM ${BASE_IMAGE}\n`);
    const drone = byPath(files, ".drone.yml").content;
    expect(drone).toContain(`registry: "${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com"`);
  });
});

describe("the rendered pipeline", () => {
  const files = render(resolved({}, "dev"), settingsOf("dev"));
  const text = byPath(files, ".drone.yml").content;
  type Step = {
    name: string;
    when?: { event: string[]; branch: string[] };
    environment?: Record<string, unknown>;
    settings?: Record<string, unknown>;
    commands?: string[];
  };
  type Pipeline = { name: string; trigger: { event: string[]; branch?: string[] }; steps: Step[] };
  const [ci, train] = YAML.parseAllDocuments(text).map((d) => d.toJS() as Pipeline);
  const secretRefs = (value: unknown): string[] =>
    JSON.stringify(value).match(/"from_secret":"[^"]+"/g)?.map((m) => m.split(":")[1].replace(/"/g, "")) ??
    [];

  it("runs lint, type check, unit tests and secret scan on every push and pull request, without secrets", () => {
    expect(ci.trigger.event).toEqual(["push", "pull_request"]);
    expect(ci.steps.map((s) => s.name)).toEqual([
      "install",
      "lint",
      "typecheck",
      "unit-tests",
      "secret-scan",
    ]);
    expect(secretRefs(ci)).toEqual([]);
  });

  it("trains only for pushes to the default branch, every secret-using step gated the same way", () => {
    expect(train.trigger).toEqual({ event: ["push"], branch: ["main"] });
    for (const step of train.steps) expect(step.when).toEqual({ event: ["push"], branch: ["main"] });
    expect(train.steps.map((s) => s.name)).toEqual([
      "training-requested",
      "build-image",
      "image-digest",
      "start-training",
    ]);
    expect(train.steps[0].environment).toEqual({ TRAINING_KEYWORD: "[train]", DEFAULT_BRANCH: "main" });
    expect(train.steps[0].commands!.join("\n")).toContain("exit 78");
  });

  it("references the secrets by the names of program/pipeline-secrets.ts", () => {
    expect(new Set(secretRefs(train))).toEqual(
      new Set(
        [
          PIPELINE_SECRETS.ecrRepositoryUrl,
          PIPELINE_SECRETS.ciRoleArn,
          PIPELINE_SECRETS.databricksHost,
          PIPELINE_SECRETS.databricksClientId,
          PIPELINE_SECRETS.databricksClientSecret,
          PIPELINE_SECRETS.trainingJobId,
        ].map((s) => s.name),
      ),
    );
  });

  it("tags the image with the commit sha and trains exactly that commit in a one-time run", () => {
    const build = train.steps[1].settings!;
    expect(build.tags).toEqual(["${DRONE_COMMIT_SHA}"]);
    expect(build.assume_role).toEqual({ from_secret: "aws_ci_role_arn" });
    expect(build.skip_push_if_tag_exists).toBe(true);
    const script = train.steps[3].commands!.join("\n");
    expect(script).toContain("/api/2.1/jobs/runs/submit");
    expect(script).not.toMatch(/jobs\/(update|reset|run-now)/);
    expect(script).toContain('image="$${ECR_REPOSITORY_URL}:$${DRONE_COMMIT_SHA}"');
    expect(script).toContain("/oidc/v1/token");
    // The shell of both steps runs against fakes in tests/templates/train-pipeline.test.ts.
  });

  it("never puts credentials on a command line or lets Drone substitute shell variables", () => {
    for (const step of [...ci.steps, ...train.steps]) {
      for (const command of step.commands ?? []) {
        // Drone substitutes $NAME and ${NAME} itself; $$ is its escape for a literal $.
        expect(command.replace(/\$\$/g, "")).not.toMatch(/\$[A-Za-z0-9_{]/);
        expect(command).not.toMatch(/curl[^|\n]*(-u |--user |Bearer)/);
      }
    }
  });
});

describe("hostile entry text", () => {
  const settings = settingsOf("prod");
  const service = resolved({ description: HOSTILE, displayName: `Title: "{{ y }}" #1 🚀` }, "prod");
  const files = render(service, settings);
  const expected = HOSTILE.replace("\ud800", "\ufffd");

  it("is never interpreted as template syntax", () => {
    const all = files.map((f) => f.content).join("\n");
    expect(all).not.toContain("{{ y }}\n");
    expect(byPath(files, "catalog-info.yaml").content).toContain("{{ x }} {% raw %}");
  });

  it("leaves every YAML file valid and the description intact (PyYAML)", () => {
    const dir = tempDir("hostile-");
    try {
      writeRepository(dir, files);
      const check = [
        "import json, sys, yaml",
        "doc = yaml.safe_load(open(sys.argv[1], encoding='utf-8'))",
        "print(json.dumps([doc['metadata']['description'], doc['metadata']['title']]))",
        "for f in sys.argv[2:]: list(yaml.safe_load_all(open(f, encoding='utf-8')))",
      ].join("\n");
      const yamlFiles = files.filter((f) => /\.ya?ml$/.test(f.path)).map((f) => path.join(dir, f.path));
      const result = run(PYTHON, ["-c", check, path.join(dir, "catalog-info.yaml"), ...yamlFiles]);
      expect(result.status).toBe(0);
      expect(JSON.parse(result.output)).toEqual([expected, `Title: "{{ y }}" #1 🚀`]);
      const lint = run("yamllint", ["-c", path.join(dir, ".yamllint.yaml"), ...yamlFiles]);
      expect(lint.output).not.toContain("error");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("leaves every Python file compiling, black-formatted, and the description intact", () => {
    const dir = tempDir("hostile-py-");
    try {
      writeRepository(dir, files);
      const pyFiles = files.filter((f) => f.path.endsWith(".py")).map((f) => path.join(dir, f.path));
      expect(run(PYTHON, ["-m", "py_compile", ...pyFiles]).status).toBe(0);
      const read = run(
        PYTHON,
        ["-c", "import json, sys; sys.path.insert(0, 'src'); from churn_model import service_config as c; print(json.dumps([c.DESCRIPTION, c.DISPLAY_NAME]))"],
        dir,
      );
      expect(JSON.parse(read.output)).toEqual([expected, `Title: "{{ y }}" #1 🚀`]);
      const black = run("black", ["--check", "--quiet", ...pyFiles]);
      expect(black.output).toBe("");
      expect(black.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stays one escaped line of Markdown", () => {
    const readme = byPath(files, "README.md").content.split("\n");
    expect(readme[0]).toBe("# Title: \"\\{\\{ y \\}\\}\" \\#1 🚀");
    const line = readme[2];
    expect(line).toContain("&lt;script&gt;");
    expect(line).not.toContain("<script>");
    expect(line).toContain("\\[x\\](javascript:alert(1))");
    expect(readme[3]).toBe("");
  });
});

describe("filters", () => {
  it("escape for YAML, Python, TOML and Markdown", () => {
    expect(FILTERS.yaml('a "b"\n\\')).toBe('"a \\"b\\"\\n\\\\"');
    expect(FILTERS.yaml(null)).toBe("null");
    expect(FILTERS.yaml("\u0085\u2028😀")).toBe('"\\u0085\\u2028😀"');
    expect(FILTERS.py(`it's "x"\\\n`)).toBe('"it\\x27s \\x22x\\x22\\\\\\n"');
    expect(FILTERS.py(null)).toBe("None");
    expect(FILTERS.py_number(25)).toBe("25.0");
    expect(FILTERS.py_number(0.75)).toBe("0.75");
    expect(FILTERS.toml('a"b')).toBe('"a\\"b"');
    expect(FILTERS.md("- item *x*")).toBe("\\- item \\*x\\*");
    expect(FILTERS.md("1. first")).toBe("1\\. first");
    expect(FILTERS.py_list(["a", "b"])).toBe('[\n    "a",\n    "b",\n]');
    expect(FILTERS.py_list([])).toBe("[]");
  });

  it("refuse values of the wrong kind and names that are not GitHub names", () => {
    expect(() => FILTERS.yaml({ a: 1 })).toThrow("filter yaml expects a string, got a mapping");
    expect(() => FILTERS.github_name("team x")).toThrow('"team x" is not a GitHub name');
    expect(FILTERS.github_name("alice-ml")).toBe("alice-ml");
  });

  it("produce strings that Python reads back exactly", () => {
    const samples = [HOSTILE, "\u0000\u0007\u001b[31m", "tab\there", "\u200d\ufeff\uffff", "𝔘𝔫𝔦"];
    const program = [
      "import json, sys",
      `values = [${samples.map((s) => FILTERS.py(s)).join(", ")}]`,
      "print(json.dumps(values))",
    ].join("\n");
    const result = run(PYTHON, ["-c", program]);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.output)).toEqual(samples.map((s) => s.replace("\ud800", "\ufffd")));
  });
});

describe("undefined template variables", () => {
  function strictEnv(): nunjucks.Environment {
    const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });
    strictGlobals(env);
    return env;
  }

  it("are errors naming the variable, in output and in tests", () => {
    const ctx = strictContext({ service: { name: "x", optional: null } });
    expect(strictEnv().renderString("{{ service.name }}", ctx)).toBe("x");
    expect(strictEnv().renderString("{% if service.optional %}y{% endif %}", ctx)).toBe("");
    expect(() => strictEnv().renderString("{{ service.nmae }}", ctx)).toThrow(
      'undefined variable "service.nmae"',
    );
    expect(() => strictEnv().renderString("{% if servise %}y{% endif %}", ctx)).toThrow(
      'undefined variable "servise"',
    );
  });

  it("name the template file and line when a shipped template uses one", () => {
    const file = path.join(TEMPLATES_DIR, "sklearn", "zz-undefined-probe.md.njk");
    fs.writeFileSync(file, "line one\n{{ service.descripton | md }}\n");
    try {
      const service = resolved({}, "dev");
      // A fresh module: the template listing is cached per process.
      let fresh: typeof import("../../program/render") | undefined;
      jest.isolateModules(() => {
        fresh = jest.requireActual<typeof import("../../program/render")>("../../program/render");
      });
      expect(() =>
        fresh!.renderServiceRepository(service, settingsOf("dev"), {
          baseImage: BASE_IMAGE,
          accountId: ACCOUNT,
        }),
      ).toThrow(
        'templates/sklearn/zz-undefined-probe.md.njk:2: undefined variable "service.descripton"',
      );
    } finally {
      fs.rmSync(file);
    }
  });
});

describe("the Backstage descriptor (catalog-info.yaml)", () => {
  // https://backstage.io/docs/features/software-catalog/descriptor-format ("Kind: Component",
  // "Common to All Kinds: The Metadata"): the required fields, the name and tag formats, and the
  // well-known spec.type and spec.lifecycle values.
  const NAME = /^[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*$/;
  const TAG = /^[a-z0-9:+#]+(?:-[a-z0-9:+#]+)*$/;
  const WELL_KNOWN_TYPES = ["service", "website", "library"];
  const WELL_KNOWN_LIFECYCLES = ["experimental", "production", "deprecated"];
  type Descriptor = {
    apiVersion: string;
    kind: string;
    metadata: { name: string; tags: string[]; links: { url: string; title?: string }[] } & Record<
      string,
      unknown
    >;
    spec: Record<string, unknown>;
  };
  const descriptor = (files: RenderedFile[]): Descriptor =>
    YAML.parse(byPath(files, "catalog-info.yaml").content) as Descriptor;
  const problems = (d: Descriptor): string[] => {
    const out: string[] = [];
    if (d.apiVersion !== "backstage.io/v1alpha1") out.push(`apiVersion ${d.apiVersion}`);
    if (d.kind !== "Component") out.push(`kind ${d.kind}`);
    const name = d.metadata?.name;
    if (typeof name !== "string" || name.length > 63 || !NAME.test(name)) out.push(`name ${name}`);
    for (const tag of d.metadata?.tags ?? []) {
      if (tag.length > 63 || !TAG.test(tag)) out.push(`tag ${tag}`);
    }
    for (const link of d.metadata?.links ?? []) {
      if (!/^https:\/\/\S+$/.test(link.url)) out.push(`link ${link.url}`);
    }
    for (const field of ["type", "lifecycle", "owner"]) {
      if (typeof d.spec?.[field] !== "string") out.push(`spec.${field} missing`);
    }
    if (!WELL_KNOWN_TYPES.includes(d.spec?.type as string)) out.push(`spec.type ${d.spec?.type}`);
    if (!WELL_KNOWN_LIFECYCLES.includes(d.spec?.lifecycle as string)) {
      out.push(`spec.lifecycle ${d.spec?.lifecycle}`);
    }
    // spec.system names a System entity; nothing defines one, so the descriptor names none.
    if ("system" in (d.spec ?? {})) out.push(`spec.system ${d.spec.system}`);
    return out;
  };

  it("is a valid Component with the required fields, for every example service", () => {
    for (const { service, settings } of examples()) {
      const d = descriptor(render(service, settings));
      expect([service.name, problems(d)]).toEqual([service.name, []]);
      expect(d.metadata.name).toBe(service.name);
      expect(d.spec.owner).toBe(`group:${service.team}`);
      expect(d.spec.type).toBe("service");
      expect(d.metadata.links.map((l) => l.title)).toEqual([
        "Source repository",
        "MLflow registered model (Unity Catalog)",
        "Databricks jobs",
      ]);
    }
  });

  it("the check catches what Backstage would refuse or not know", () => {
    const good = descriptor(render(resolved({}, "dev"), settingsOf("dev")));
    expect(problems(good)).toEqual([]);
    const bad = structuredClone(good);
    bad.apiVersion = "backstage.io/v1";
    bad.spec.lifecycle = "dev";
    bad.spec.type = "ml-service";
    bad.spec.system = "ml-platform";
    delete bad.spec.owner;
    bad.metadata.name = "bad name";
    expect(problems(bad)).toEqual([
      "apiVersion backstage.io/v1",
      "name bad name",
      "spec.owner missing",
      "spec.type ml-service",
      "spec.lifecycle dev",
      "spec.system ml-platform",
    ]);
  });

  it("is production only for a service deployed to a production environment, deprecated once decommissioned", () => {
    const production = productionEnvironmentsOf(stacks());
    expect(production).toEqual(["prod"]);
    const lifecycle = (overrides: Parameters<typeof resolved>[0]) =>
      descriptor(render(resolved(overrides, "dev"), settingsOf("dev"))).spec.lifecycle;
    expect(lifecycle({ environments: ["dev"] })).toBe("experimental");
    expect(lifecycle({ environments: ["dev", "prod"] })).toBe("production");
    expect(lifecycle({ environments: ["dev", "prod"], decommissioned: true })).toBe("deprecated");
    expect(lifecycle({ environments: ["dev"], decommissioned: true })).toBe("deprecated");
    // The examples: search-ranking is dev only.
    const byName = Object.fromEntries(
      examples()
        .filter((e) => e.stack === "dev")
        .map((e) => [e.service.name, descriptor(render(e.service, e.settings)).spec.lifecycle]),
    );
    expect(byName).toEqual({
      "demand-forecast": "production",
      "product-recommender": "production",
      "search-ranking": "experimental",
    });
  });

  it("without the production environments, knows only the rendering stack's", () => {
    const service = resolved({ environments: ["dev", "prod"] }, "dev");
    const options = { baseImage: BASE_IMAGE, accountId: ACCOUNT };
    const lifecycleOf = (files: RenderedFile[]) => descriptor(files).spec.lifecycle;
    expect(lifecycleOf(renderServiceRepository(service, settingsOf("dev"), options))).toBe(
      "experimental",
    );
    expect(lifecycleOf(renderServiceRepository(service, settingsOf("prod"), options))).toBe(
      "production",
    );
    expect(backstageLifecycle({ environments: ["qa"], decommissioned: false }, ["prod"])).toBe(
      "experimental",
    );
    expect(
      productionEnvironmentsOf([
        { settings: { environment: "prod", production: true } },
        { settings: { environment: "prod", production: true } },
        { settings: { environment: "dev", production: false } },
        { settings: { environment: "live", production: true } },
      ]),
    ).toEqual(["live", "prod"]);
  });
});

describe("yamllint on the managed YAML files, at the longest values the settings allow", () => {
  const PLATFORM_YAMLLINT = path.join(__dirname, "..", "..", ".yamllint.yaml");
  // 32-character name, 64-character team and entry point, 100-character branch, 33-character keyword.
  const service = resolved(
    { name: "a-service-name-of-32-characterss", team: "t".repeat(64) },
    "dev",
  );
  service.training.entryPoint = "e".repeat(64);
  const settings = {
    ...settingsOf("dev"),
    githubDefaultBranch: "b".repeat(100),
    trainingKeyword: `[${"k".repeat(31)}]`,
  };
  const files = renderServiceRepository(service, settings, {
    baseImage: BASE_IMAGE,
    accountId: ACCOUNT,
    defaultBranch: settings.githubDefaultBranch,
  });

  it("reports nothing, warnings included, with the repository's and the platform's configuration", () => {
    expect(service.name).toHaveLength(32);
    const dir = tempDir("yamllint-longest-");
    try {
      writeRepository(dir, files);
      const managed = [".drone.yml", "catalog-info.yaml", ".pre-commit-config.yaml", ".yamllint.yaml"];
      const own = run("yamllint", ["-f", "parsable", "-c", ".yamllint.yaml", ...managed], dir);
      expect(own.output).toBe("");
      expect(own.status).toBe(0);
      const platform = run("yamllint", ["-f", "parsable", "-c", PLATFORM_YAMLLINT, ...managed], dir);
      expect(platform.output).toBe("");
      expect(platform.status).toBe(0);
      // The lines that used to overflow are still what Drone reads.
      const [, train] = YAML.parseAllDocuments(byPath(files, ".drone.yml").content).map(
        (d) => d.toJS() as { steps: { name: string; environment?: Record<string, unknown> }[] },
      );
      expect(train.steps[0].environment!.DEFAULT_BRANCH).toBe("b".repeat(100));
      const start = train.steps.find((s) => s.name === "start-training")!;
      expect(start.environment!.TRAINING_PACKAGE).toBe("a_service_name_of_32_characterss");
      expect(start.environment!.TRAINING_MODULE).toBe("e".repeat(64));
      // The check itself: a 121-character line is reported by both configurations.
      fs.appendFileSync(path.join(dir, ".drone.yml"), `# ${"word ".repeat(23)}word\n`);
      expect(run("yamllint", ["-f", "parsable", "-c", ".yamllint.yaml", ".drone.yml"], dir).output).toContain(
        "[warning] line too long (121 > 120 characters) (line-length)",
      );
      expect(run("yamllint", ["-f", "parsable", "-c", PLATFORM_YAMLLINT, ".drone.yml"], dir).output).toContain(
        "[error] line too long (121 > 120 characters) (line-length)",
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("npm run render", () => {
  const git = (dir: string, ...args: string[]) => run("git", args, dir).output.replace(/\n$/, "");
  const written = (argv: string[]): RenderCliResult => {
    const result = renderCommand(argv);
    if (result === "help") throw new Error("unexpected help");
    return result;
  };
  let out: string;
  beforeEach(() => {
    out = path.join(tempDir("render-cli-"), "repo");
  });
  afterEach(() => fs.rmSync(path.dirname(out), { recursive: true, force: true }));

  it("writes a Git repository on the default branch with one commit of exactly the rendered files", () => {
    const result = written(["product-recommender", "--out", out]);
    expect(result.stack).toBe("dev");
    expect(fs.readFileSync(path.join(out, "Dockerfile"), "utf8")).toContain(
      "FROM 000000000000.dkr.ecr.eu-west-1.amazonaws.com/mlp/base-dev:base-",
    );
    expect(fs.existsSync(path.join(out, "dags"))).toBe(false);
    expect(git(out, "branch", "--show-current")).toBe("main");
    expect(git(out, "log", "--format=%an <%ae>|%cn <%ce>|%s")).toBe(
      "ML platform <ml-platform@users.noreply.github.com>|ML platform <ml-platform@users.noreply.github.com>|Scaffold the service from the ML platform template",
    );
    expect(git(out, "rev-parse", "HEAD")).toBe(result.commit!.sha);
    expect(git(out, "status", "--porcelain", "--untracked-files=all")).toBe("");
    const example = examples().find(
      (e) => e.stack === "dev" && e.service.name === "product-recommender",
    )!;
    const expected = render(example.service, example.settings).map((f) => f.path);
    const committed = git(out, "ls-tree", "-r", "--name-only", "HEAD").split("\n");
    expect(committed).toEqual(expected);
    expect(result.files).toBe(expected.length);
    expect(committed).toContain(".drone.yml");
    expect(committed).toContain("src/product_recommender/train.py");
    // The message names the placeholder and what to run next.
    const text = summary(result);
    expect(text).toContain(
      "(stack dev, account 000000000000: a placeholder, so the registry host and role ARNs are not real; pass --account or --stack for real values)",
    );
    expect(text).toContain(`initialised a Git repository on branch main with one commit ${result.commit!.sha.slice(0, 12)}`);
    expect(text).toContain(".venv/bin/pre-commit run --all-files");
  });

  it("initialises the repository on the stack's githubDefaultBranch", () => {
    const stacksDir = tempDir("render-stacks-");
    try {
      for (const name of fs.readdirSync(path.join(__dirname, "..", "..", "stacks"))) {
        const text = fs.readFileSync(path.join(__dirname, "..", "..", "stacks", name), "utf8");
        fs.writeFileSync(
          path.join(stacksDir, name),
          text.replace("  mlplatform:githubPlan:", "  mlplatform:githubDefaultBranch: trunk\n  mlplatform:githubPlan:"),
        );
      }
      const result = written(["search-ranking", "--out", out, "--stacks", stacksDir]);
      expect(result.commit!.branch).toBe("trunk");
      expect(git(out, "branch", "--show-current")).toBe("trunk");
      expect(git(out, "branch", "--list")).toBe("* trunk");
      const drone = fs.readFileSync(path.join(out, ".drone.yml"), "utf8");
      expect(drone).toContain('DEFAULT_BRANCH:\n        "trunk"\n');
      expect(drone).not.toContain('"main"');
    } finally {
      fs.rmSync(stacksDir, { recursive: true, force: true });
    }
  });

  it("commits as the platform whatever the user's git identity and environment say", () => {
    const saved = { ...process.env };
    process.env.GIT_AUTHOR_NAME = "Someone Else";
    process.env.GIT_AUTHOR_EMAIL = "someone@example.com";
    process.env.GIT_COMMITTER_NAME = "Someone Else";
    try {
      written(["search-ranking", "--out", out]);
    } finally {
      process.env = saved;
    }
    expect(git(out, "log", "--format=%an <%ae>|%cn")).toBe(
      `${SCAFFOLD_COMMIT.authorName} <${SCAFFOLD_COMMIT.authorEmail}>|${SCAFFOLD_COMMIT.authorName}`,
    );
    expect(git(out, "rev-list", "--count", "HEAD")).toBe("1");
  });

  it("refuses a non-empty folder without --force and never deletes a file", () => {
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, "notes.txt"), "mine\n");
    expect(() => written(["search-ranking", "--out", out])).toThrow(OutputFolderError);
    expect(() => written(["search-ranking", "--out", out])).toThrow(
      `${out}: the folder is not empty (1 entry); choose a new or empty folder, or write into it with --force (files of the same path are overwritten, no file is deleted)`,
    );
    expect(fs.readdirSync(out)).toEqual(["notes.txt"]);
    // --force: the files are written and committed; the user's file stays, untracked.
    const forced = written(["search-ranking", "--out", out, "--force"]);
    expect(forced.commit).toBeDefined();
    expect(fs.readFileSync(path.join(out, "notes.txt"), "utf8")).toBe("mine\n");
    expect(git(out, "status", "--porcelain")).toBe("?? notes.txt");
    expect(git(out, "ls-tree", "-r", "--name-only", "HEAD").split("\n")).not.toContain("notes.txt");
  });

  it("with --force in an existing Git repository, writes the files and commits nothing", () => {
    written(["search-ranking", "--out", out]);
    const head = git(out, "rev-parse", "HEAD");
    fs.writeFileSync(path.join(out, "README.md"), "edited by the team\n");
    fs.writeFileSync(path.join(out, "extra.py"), "x = 1\n");
    const again = written(["search-ranking", "--out", out, "--force", "--account", "123456789012"]);
    expect(again.commit).toBeUndefined();
    expect(again.existingRepository).toBe(true);
    expect(git(out, "rev-parse", "HEAD")).toBe(head);
    expect(fs.readFileSync(path.join(out, "extra.py"), "utf8")).toBe("x = 1\n");
    // README.md is back to the template's; Dockerfile and pipeline now name the given account.
    expect(git(out, "status", "--porcelain").split("\n").sort()).toEqual([
      " M .drone.yml",
      " M Dockerfile",
      " M README.md",
      "?? extra.py",
    ]);
    expect(summary(again)).toContain("is already a Git repository: the files are written and left uncommitted");
  });

  it("takes the account from --account, else from an explicit --stack, else the placeholder", () => {
    const registry = (dir: string) =>
      /registry: "(\d{12})\.dkr\.ecr\./.exec(fs.readFileSync(path.join(dir, ".drone.yml"), "utf8"))?.[1];
    const a = written(["search-ranking", "--out", `${out}-a`, "--account", "123456789012"]);
    expect([a.accountId, a.accountSource, registry(`${out}-a`)]).toEqual([
      "123456789012",
      "--account",
      "123456789012",
    ]);
    expect(fs.readFileSync(path.join(`${out}-a`, "Dockerfile"), "utf8")).toContain(
      "FROM 123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlp/base-dev:base-",
    );
    expect(summary(a)).toContain("(stack dev, account 123456789012)\n");
    const s = written(["demand-forecast", "--out", `${out}-s`, "--stack", "prod"]);
    expect([s.accountId, s.accountSource, registry(`${out}-s`)]).toEqual([
      "222222222222",
      "stack",
      "222222222222",
    ]);
    expect(summary(s)).toContain("account 222222222222, the awsAccountId of stacks/Pulumi.prod.yaml");
    const both = written(["demand-forecast", "--out", `${out}-b`, "--stack", "prod", "--account", "333333333333"]);
    expect([both.accountId, both.accountSource, registry(`${out}-b`)]).toEqual([
      "333333333333",
      "--account",
      "333333333333",
    ]);
    const none = written(["demand-forecast", "--out", `${out}-n`]);
    expect([none.accountId, none.accountSource, registry(`${out}-n`)]).toEqual([
      "000000000000",
      "placeholder",
      "000000000000",
    ]);
    for (const suffix of ["-a", "-s", "-b", "-n"]) fs.rmSync(`${out}${suffix}`, { recursive: true, force: true });
  });

  it("refuses an account that is not exactly 12 digits, naming the flag", () => {
    for (const bad of ["12", "1234567890123", "12345678901a", " 123456789012", ""]) {
      expect(() => written(["search-ranking", "--out", out, "--account", bad])).toThrow(
        `--account "${bad}": expected exactly 12 digits (an AWS account id, e.g. 123456789012)`,
      );
    }
    expect(fs.existsSync(out)).toBe(false);
  });

  it("describes every option, its default and an example in --help", () => {
    expect(renderCommand(["--help"])).toBe("help");
    expect(renderCommand(["search-ranking", "-h", "--bogus"])).toBe("help");
    const help = helpText(SPEC);
    for (const [name, option] of Object.entries(SPEC.options)) {
      expect(help).toContain(`--${name}`);
      expect(help).toContain(`default: ${option.default}; example: ${option.example}`);
    }
    expect(help).toContain("default: 000000000000 (a placeholder), or the awsAccountId of --stack");
  });

  it("reports usage errors, unknown services and invalid catalogs", () => {
    expect(() => renderCommand([])).toThrow(UsageError);
    expect(() => renderCommand([])).toThrow("missing <service>");
    expect(() => renderCommand(["product-recommender"])).toThrow(
      "--out is required (e.g. --out /tmp/product-recommender)",
    );
    expect(() => renderCommand(["product-recommender", "--out", out, "--bogus"])).toThrow(
      "Unknown option '--bogus'",
    );
    expect(() => renderCommand(["product-recommender", "--out", out, "--accountId", "1"])).toThrow(
      "Unknown option '--accountId'",
    );
    expect(() => renderCommand(["nope", "--out", out])).toThrow(
      'unknown service "nope" in services (known: demand-forecast, product-recommender, search-ranking)',
    );
    expect(() => renderCommand(["search-ranking", "--out", out, "--stack", "prod"])).toThrow(
      "search-ranking is not deployed in prod",
    );
    expect(() => renderCommand(["search-ranking", "--out", out, "--stack", "qa"])).toThrow(
      "--stack qa: no such stack (known: dev, prod)",
    );
    expect(fs.existsSync(out)).toBe(false);
    const services = tempDir("bad-catalog-");
    try {
      fs.writeFileSync(path.join(services, "broken.yaml"), "name: [\n");
      expect(() => renderCommand(["broken", "--out", out, "--services", services])).toThrow(
        CatalogError,
      );
    } finally {
      fs.rmSync(services, { recursive: true, force: true });
    }
  });

  it("exits 0 on --help, 1 without a stack trace on an unknown service, 2 on a usage error", async () => {
    // The compiled command, as `npm run render` runs it; the three run side by side.
    const cli = compiledCommand("render");
    const [help, unknown, usage] = await Promise.all(
      [["--help"], ["nope", "--out", out], []].map((args) =>
        runAsync(process.execPath, [cli, ...args]),
      ),
    );
    expect(help.status).toBe(0);
    expect(help.output).toContain("--account ACCOUNT");
    expect(help.output).toContain("examples:\n  npm run render -- product-recommender --out /tmp/product-recommender");
    expect(unknown.status).toBe(1);
    expect(unknown.output).toContain('error: unknown service "nope"');
    expect(unknown.output).not.toMatch(/\n\s+at /);
    expect(usage.status).toBe(2);
    expect(usage.output).toContain("usage: npm run render --");
    // A non-empty folder is a wrong input: exit 2 with the usage line, like a usage error.
    const errors: string[] = [];
    const code = exitCodeFor(new OutputFolderError(`${out}: the folder is not empty`), USAGE, {
      err: (t) => errors.push(t),
      env: {},
    });
    expect([code, errors]).toEqual([2, [`error: ${out}: the folder is not empty\n${USAGE}\n`]]);
  });
});

void RenderError;
