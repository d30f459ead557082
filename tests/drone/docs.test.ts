/**
 * What docs/drone.md promises about Drone must be what Drone does:
 * - point 2: pull_request_push withholds nothing (drone/drone operator/manager/manager.go reads
 *   only pull_request), so the doc may not offer it as a guarantee; it says who can use a
 *   service's secrets and lists every one the pipeline holds, with why that reach is acceptable;
 * - point 5: `drone cron add` defaults to the branch master (drone/drone-cli
 *   drone/cron/cron_add.go), so the nightly cron's command names `--branch main`;
 * - point 6: the re-run of a training build relies on skip_push_if_tag_exists, which the
 *   template must keep (drone-plugins/drone-docker cmd/drone-ecr/main.go, from v20.18.7).
 */
import * as fs from "fs";
import * as path from "path";
import { PIPELINE_SECRETS } from "../../program/pipeline-secrets";

const REPO = path.join(__dirname, "..", "..");
const doc = fs.readFileSync(path.join(REPO, "docs", "drone.md"), "utf8");

/** The text of the section under `heading` (to the next heading of the same level or above). */
function section(heading: string): string {
  const start = doc.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`docs/drone.md has no section "## ${heading}"`);
  const next = doc.indexOf("\n## ", start + 1);
  return doc.slice(start, next < 0 ? undefined : next);
}

describe("point 2: pull_request_push and who can use a service's secrets", () => {
  test("pullRequestPush is documented as having no effect, never as withholding or exposing", () => {
    expect(doc).not.toMatch(/push builds of pull-request branches/i);
    const row = doc.split("\n").find((line) => line.startsWith("| `pullRequestPush` |"));
    expect(row).toBeDefined();
    expect(row).toContain("no effect");
    expect(doc).toContain("operator/manager/manager.go");
  });

  test("the doc says plainly who can use the secrets, and justifies each one the pipeline holds", () => {
    const who = section("Who can use a service's secrets");
    expect(who).toContain("Anyone who can push a branch of the service repository");
    for (const { name } of Object.values(PIPELINE_SECRETS)) expect(who).toContain(`\`${name}\``);
    expect(who).toContain("drone-nothing-in-production");
    expect(who).toMatch(/dev ECR repository/);
    expect(who).toMatch(/service principal of the dev environment/);
  });
});

describe("point 1: protected is documented as what it does", () => {
  test("the default is false, and the doc says why (trigger.go blocks unsigned hook builds)", () => {
    const row = doc.split("\n").find((line) => line.startsWith("| `protected` |"));
    expect(row).toMatch(/^\| `protected` \| `false` \|/);
    expect(doc).toContain("trigger/trigger.go");
    expect(doc).toContain("SERVICE_REPOSITORY_SETTINGS");
  });
});

describe("point 5: the nightly cron job is created on main", () => {
  test("wherever the project relies on a cron job, the doc gives `drone cron add --branch main`", () => {
    const pipeline = fs.readFileSync(path.join(REPO, ".drone.yml"), "utf8");
    // The platform's own pipeline has a cron-triggered drift check.
    expect(pipeline).toMatch(/cron: \[nightly-drift\]/);
    const cron = section("Nightly cron");
    expect(cron).toContain(
      'drone cron add --branch main <owner>/<platform repository> nightly-drift "0 0 3 * * *"',
    );
    expect(cron).toContain("drone/cron/cron_add.go");
    // Every `drone cron add` command in this doc names the branch.
    const commands = doc.split("\n").filter((l) => /^\s*drone cron add /.test(l));
    expect(commands.length).toBeGreaterThan(0);
    for (const line of commands) {
      expect(line).toContain("--branch main");
    }
  });
});

describe("point 6: a re-run training build does not push an existing tag", () => {
  test("the template keeps skip_push_if_tag_exists on a plugin version that has it, and the doc cites it", () => {
    const template = fs.readFileSync(
      path.join(REPO, "templates", "common", ".drone.yml.njk"),
      "utf8",
    );
    expect(template).toMatch(/image: plugins\/ecr:20\.18\.7\n/);
    expect(template).toMatch(/\n {6}skip_push_if_tag_exists: true\n/);
    expect(section("Re-running a training build")).toContain("cmd/drone-ecr/main.go");
  });
});
