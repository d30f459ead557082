import * as fs from "fs";
import * as path from "path";
import * as nunjucks from "nunjucks";
import * as YAML from "yaml";
import { renderCommand } from "../../cli/render";
import { CatalogError } from "../../lib/catalog/errors";
import { UsageError } from "../../lib/cli-args";
import { PIPELINE_SECRETS } from "../../lib/pipeline-secrets";
import {
  FILTERS,
  managedDigest,
  managedFileDigests,
  RenderedFile,
  RenderError,
  renderServiceRepository,
  TEMPLATES_DIR,
} from "../../lib/render";
import { strictContext, strictGlobals } from "../../lib/render/strict";
import {
  ACCOUNT,
  BASE_IMAGE,
  examples,
  PYTHON,
  render,
  resolved,
  run,
  settingsOf,
  tempDir,
  writeRepository,
} from "./fixtures";

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

  it("references the secrets by the names of lib/pipeline-secrets.ts", () => {
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
      let fresh: typeof import("../../lib/render") | undefined;
      jest.isolateModules(() => {
        fresh = jest.requireActual<typeof import("../../lib/render")>("../../lib/render");
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

describe("npm run render", () => {
  it("writes the repository of a service for its source stack", () => {
    const out = tempDir("render-cli-");
    try {
      const result = renderCommand(["product-recommender", "--out", out]);
      expect(result.stack).toBe("dev");
      expect(fs.readFileSync(path.join(out, "Dockerfile"), "utf8")).toContain(
        "FROM 000000000000.dkr.ecr.eu-west-1.amazonaws.com/mlp/base-dev:base-",
      );
      expect(fs.existsSync(path.join(out, "dags"))).toBe(false);
      // An airflow stack's DAG goes to its DAG bucket (tests/program/airflow.test.ts), not here.
      renderCommand(["product-recommender", "--out", out, "--stack", "prod"]);
      expect(fs.existsSync(path.join(out, "dags"))).toBe(false);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it("reports usage errors, unknown services and invalid catalogs", () => {
    expect(() => renderCommand([])).toThrow(UsageError);
    expect(() => renderCommand(["product-recommender"])).toThrow("missing --out DIR");
    expect(() => renderCommand(["nope", "--out", "/tmp/x"])).toThrow(
      'unknown service "nope" in services (known: demand-forecast, product-recommender, search-ranking)',
    );
    expect(() => renderCommand(["search-ranking", "--out", "/tmp/x", "--stack", "prod"])).toThrow(
      "search-ranking is not deployed in prod",
    );
    const services = tempDir("bad-catalog-");
    try {
      fs.writeFileSync(path.join(services, "broken.yaml"), "name: [\n");
      expect(() => renderCommand(["broken", "--out", "/tmp/x", "--services", services])).toThrow(
        CatalogError,
      );
    } finally {
      fs.rmSync(services, { recursive: true, force: true });
    }
  });

  it("exits 1 without a stack trace on an unknown service, 2 on a usage error", () => {
    const cli = path.join(__dirname, "..", "..", "cli", "render.ts");
    const unknown = run("npx", ["ts-node", "--transpile-only", cli, "nope", "--out", "/tmp/x"]);
    expect(unknown.status).toBe(1);
    expect(unknown.output).toContain('error: unknown service "nope"');
    expect(unknown.output).not.toMatch(/\n\s+at /);
    const usage = run("npx", ["ts-node", "--transpile-only", cli]);
    expect(usage.status).toBe(2);
    expect(usage.output).toContain("usage: npm run render --");
  });
});

void RenderError;
