/** A throwaway project (stacks/, services/) and a fake Automation API workspace for the tests. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { EngineEvent, OpMap } from "@pulumi/pulumi/automation";
import { DeployContext } from "../../deploy/command";
import { PulumiCliMissingError, StackNotInBackendError } from "../../deploy/errors";
import type { StateDeployment } from "../../deploy/state-migration";
import {
  DeployWorkspace,
  Operation,
  OperationOptions,
  StackLocation,
} from "../../deploy/workspace";
import { runPlan } from "../../offline/plan/run";

export const REPO = path.join(__dirname, "..", "..");

/** A secure value as `pulumi config set --secret` writes it (ciphertext, never plain text). */
const SECURE = { secure: "v1:c2FsdA==:Y2lwaGVydGV4dC1ub3QtYS1yZWFsLXRva2Vu" };

export interface Project {
  dir: string;
  stacksDir: string;
  servicesDir: string;
}

/**
 * Copies the real stacks and services into a temp project. `secrets` adds the three tokens as
 * secure values and a passphrase salt to Pulumi.dev.yaml, as `pulumi config set --secret` would.
 */
export function makeProject(options: { secrets?: boolean } = {}): Project {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlplatform-deploy-"));
  const stacksDir = path.join(dir, "stacks");
  const servicesDir = path.join(dir, "services");
  fs.cpSync(path.join(REPO, "stacks"), stacksDir, { recursive: true });
  fs.cpSync(path.join(REPO, "services"), servicesDir, { recursive: true });
  fs.copyFileSync(path.join(REPO, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  if (options.secrets !== false) {
    for (const stack of ["dev", "prod"]) {
      const file = path.join(stacksDir, `Pulumi.${stack}.yaml`);
      const lines = [
        "encryptionsalt: v1:c2FsdHNhbHQ=:v1:bm9uY2U=:dGFn",
        fs.readFileSync(file, "utf8"),
      ];
      for (const key of ["githubToken", "databricksClientSecret", "droneToken"]) {
        lines.push(`  mlplatform:${key}:\n    secure: ${SECURE.secure}`);
      }
      fs.writeFileSync(file, `${lines.join("\n")}\n`);
    }
  }
  return { dir, stacksDir, servicesDir };
}

/** Adds a service whose name has another service's name as prefix (search-ranking-eu). */
export function addPrefixSibling(project: Project): void {
  const text = fs
    .readFileSync(path.join(project.servicesDir, "search-ranking.yaml"), "utf8")
    .replace("name: search-ranking", "name: search-ranking-eu");
  fs.writeFileSync(path.join(project.servicesDir, "search-ranking-eu.yaml"), text);
}

export interface FakeCall {
  method: "selectStack" | "createStack" | "run";
  location?: StackLocation;
  operation?: Operation;
  options?: Omit<OperationOptions, "onEvent" | "onOutput">;
  secretsProvider?: string;
}

export interface FakeBehaviour {
  /** Events the fake engine emits during an operation. */
  events?: EngineEvent[];
  /** The counts the operation returns. */
  changes?: OpMap;
  /** What the operation throws after emitting its events. */
  fail?: Error;
  /** The backend holds no stack (selectStack throws). */
  stackMissing?: boolean;
  /** The CLI is not installed (opening the workspace throws). */
  cliMissing?: boolean;
  /** The stack's state (`pulumi stack export`); an empty one by default. */
  state?: StateDeployment;
}

/**
 * The checks `pulumi stack import` makes before it accepts a state (pulumi/pulumi
 * pkg/resource/deploy/snapshot.go VerifyIntegrity): a parent, a dependency, a property dependency
 * and a deleted-with target must each be a resource earlier in the list, and a URN appears once.
 * Throws the CLI's wording.
 */
export function verifyIntegrity(state: StateDeployment): void {
  const seen = new Set<string>();
  for (const r of state.deployment.resources ?? []) {
    if (r.parent && !seen.has(r.parent)) {
      throw new Error(`child resource ${r.urn} refers to missing parent ${r.parent}`);
    }
    const deps = [
      ...(r.dependencies ?? []),
      ...Object.values(r.propertyDependencies ?? {}).flat(),
      ...(r.deletedWith ? [r.deletedWith] : []),
    ];
    for (const dep of deps) {
      if (!seen.has(dep))
        throw new Error(`resource ${r.urn}'s dependency ${dep} refers to missing resource`);
    }
    if (seen.has(r.urn)) throw new Error(`duplicate resource ${r.urn} (not marked for deletion)`);
    seen.add(r.urn);
  }
}

let sequence = 0;
/** A step starting; `diff` is the engine's detailedDiff (property path to diff kind). */
export function preEvent(
  op: string,
  type: string,
  name: string,
  diff?: Record<string, string>,
): EngineEvent {
  const urn = `urn:pulumi:dev::mlplatform::${type}::${name}`;
  const detailedDiff = diff
    ? Object.fromEntries(
        Object.entries(diff).map(([k, kind]) => [k, { diffKind: kind, inputDiff: true }]),
      )
    : undefined;
  return {
    sequence: sequence++,
    timestamp: 0,
    resourcePreEvent: {
      metadata: { op, urn, type, provider: "", ...(detailedDiff ? { detailedDiff } : {}) },
    },
  } as unknown as EngineEvent;
}

/** A step ending (the refresh of `preview --refresh` reports what it found here). */
export function outputsEvent(
  op: string,
  type: string,
  name: string,
  diffs: string[] = [],
): EngineEvent {
  const urn = `urn:pulumi:dev::mlplatform::${type}::${name}`;
  return {
    sequence: sequence++,
    timestamp: 0,
    resOutputsEvent: { metadata: { op, urn, type, provider: "", diffs } },
  } as unknown as EngineEvent;
}

export function summaryEvent(changes: OpMap): EngineEvent {
  return {
    sequence: sequence++,
    timestamp: 0,
    summaryEvent: {
      maybeCorrupt: false,
      durationSeconds: 1,
      resourceChanges: changes,
      policyPacks: {},
    },
  } as EngineEvent;
}

export class FakeWorkspace {
  readonly calls: FakeCall[] = [];
  /** `pulumi stack export` and `import` calls, with what was imported. */
  readonly stateCalls: { method: "export" | "import"; state?: StateDeployment }[] = [];
  opened = 0;

  constructor(private readonly behaviour: FakeBehaviour = {}) {}

  readonly open = async (): Promise<DeployWorkspace> => {
    this.opened++;
    if (this.behaviour.cliMissing) throw new PulumiCliMissingError("no `pulumi` on PATH");
    const stack = {
      run: async (operation: Operation, options: OperationOptions) => {
        const { onEvent, onOutput, ...rest } = options;
        void onOutput;
        this.calls.push({ method: "run", operation, options: rest });
        for (const event of this.behaviour.events ?? []) onEvent(event);
        if (this.behaviour.fail) throw this.behaviour.fail;
        return { changes: this.behaviour.changes ?? { same: 0 } };
      },
      exportState: async (): Promise<StateDeployment> => {
        this.stateCalls.push({ method: "export" });
        return structuredClone(
          this.behaviour.state ?? { version: 3, deployment: { resources: [] } },
        );
      },
      importState: async (state: StateDeployment) => {
        verifyIntegrity(state);
        this.stateCalls.push({ method: "import", state });
        this.behaviour.state = state;
      },
    };
    return {
      selectStack: async (location) => {
        this.calls.push({ method: "selectStack", location });
        if (this.behaviour.stackMissing) throw new StackNotInBackendError(location.stackName);
        return stack;
      },
      createStack: async (location, secretsProvider) => {
        this.calls.push({ method: "createStack", location, secretsProvider });
      },
    };
  };

  get runs(): FakeCall[] {
    return this.calls.filter((c) => c.method === "run");
  }
}

export interface Harness {
  ctx: DeployContext;
  out: string[];
  err: string[];
  written: Map<string, string>;
  /** Every line printed, stdout and stderr. */
  text(): string;
}

/** The team's state backend in these tests. */
export const TEAM_BACKEND = "s3://acme-ml-pulumi-state?region=eu-west-1";

/** Credentials a developer laptop would have: an AWS profile, the passphrase file, the backend. */
export const LAPTOP_ENV = {
  AWS_PROFILE: "ml-dev",
  PULUMI_CONFIG_PASSPHRASE_FILE: "/run/passphrase",
  PULUMI_BACKEND_URL: TEAM_BACKEND,
};

/** The file whose presence says `npm ci --prefix policy` ran. */
export function policyInstalledMarker(project: Project): string {
  return path.join(project.dir, "policy", "node_modules", "@pulumi", "policy", "package.json");
}

export function harness(
  project: Project,
  workspace: FakeWorkspace,
  env: Record<string, string | undefined> = LAPTOP_ENV,
  existing: string[] = [],
  options: { policyInstalled?: boolean } = {},
): Harness {
  const out: string[] = [];
  const err: string[] = [];
  const written = new Map<string, string>();
  const present = [...existing];
  if (options.policyInstalled !== false) present.push(policyInstalledMarker(project));
  const ctx: DeployContext = {
    env,
    projectDir: project.dir,
    stacksDir: project.stacksDir,
    servicesDir: project.servicesDir,
    homeDir: path.join(project.dir, "home"),
    exists: (file) => present.includes(file),
    readFile: (file) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined),
    makeDir: (dir) => fs.mkdirSync(dir, { recursive: true }),
    writeFile: (file, content) => written.set(file, content),
    openWorkspace: workspace.open,
    plan: (options) => runPlan(options),
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  };
  return { ctx, out, err, written, text: () => [...out, ...err].join("\n") };
}
