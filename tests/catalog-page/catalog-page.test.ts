/** The catalog page in a real headless browser (Debian's chromium), loaded from a file:// URL. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BrowserContext, chromium, Page } from "playwright-core";
import { buildCatalogPage } from "../../offline/catalog-page/build";

const REPO = path.join(__dirname, "..", "..");
const FIXTURES = path.join(__dirname, "fixtures");
const CHROMIUM = "/usr/bin/chromium";
/** Catalog text that would run, break out of the JSON blob or leave an attribute if not escaped. */
const HOSTILE_DESCRIPTION =
  'Ranks results. </script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2"> it\'s "quoted" & <!-- done';
const HOSTILE_NAME = "Search \"ranking\" <b>bold</b></script><svg onload=window.__pwned=3> & 'x'";
/** Services added to the examples so that the page holds more than a screen of rows. */
const FLEET = Array.from({ length: 15 }, (_, i) => `fleet-${String(i + 1).padStart(2, "0")}`);

let browser: BrowserContext;
/** The offline page of a hostile, 18-service catalog. */
let planned: Page;
let plannedHtml: string;
/** The example catalog with the hand-made outputs of both stacks. */
let deployed: Page;
const consoleErrors: string[] = [];
const requests: string[] = [];

function hostileCatalog(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "catalog-page-"));
  fs.cpSync(path.join(REPO, "services"), dir, { recursive: true });
  const file = path.join(dir, "search-ranking.yaml");
  const text = fs
    .readFileSync(file, "utf8")
    .replace(
      /^description: .*$/m,
      `displayName: ${JSON.stringify(HOSTILE_NAME)}\ndescription: ${JSON.stringify(HOSTILE_DESCRIPTION)}`,
    );
  fs.writeFileSync(file, text);
  for (const [i, name] of FLEET.entries()) {
    const schedule = i % 2 === 0 ? '\n  schedule: "15 */6 * * *"' : "";
    const retired = i === FLEET.length - 1 ? "\ndecommissioned: true" : "";
    fs.writeFileSync(
      path.join(dir, `${name}.yaml`),
      `name: ${name}\ndescription: Fleet model number ${i + 1}, predicting the load of one depot.\nteam: fleet\nowners: [frank-fleet]\ntemplate: sklearn\nenvironments: [dev]\ntraining:\n  workers: 0${schedule}${retired}\n`,
    );
  }
  return dir;
}

async function open(html: string, name: string): Promise<Page> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `catalog-page-${name}-`));
  fs.writeFileSync(path.join(dir, "index.html"), html);
  const page = await browser.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(e.message));
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(`file://${path.join(dir, "index.html")}`);
  return page;
}

async function visibleServices(page: Page): Promise<string[]> {
  return page.$$eval("#services tbody tr", (rows) =>
    rows
      .filter((r) => !(r as unknown as { hidden: boolean }).hidden)
      .map((r) => r.getAttribute("data-name") ?? ""),
  );
}

async function hrefs(page: Page, selector: string): Promise<string[]> {
  return page.locator(`${selector} a`).evaluateAll((as) => as.map((a) => a.getAttribute("href")!));
}

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: apt-get install chromium`);
  // A fresh profile per run; playwright takes it as the persistent context's folder.
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "chromium-profile-"));
  // Chromium starts in its own process while this one plans both pages.
  const launching = chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    viewport: { width: 1366, height: 768 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      // Browser, renderer and GPU in one process, started without a zygote: about 340 MB instead
      // of 1.1 GB over 13 processes, beside the jest workers (chromium/chromium
      // content/public/common/content_switches.cc: kSingleProcess, kNoZygote, which needs
      // --no-sandbox).
      "--single-process",
      "--no-zygote",
    ],
  });
  let deployedHtml: string;
  try {
    plannedHtml = await buildCatalogPage({
      servicesDir: hostileCatalog(),
      generatedAt: "2026-01-01T00:00:00Z",
    });
    deployedHtml = await buildCatalogPage({
      outputs: [
        path.join(FIXTURES, "dev-outputs.json"),
        `prod=${path.join(FIXTURES, "prod-outputs.json")}`,
      ],
      generatedAt: "2026-01-01T00:00:00Z",
    });
  } finally {
    // Closed by afterAll even when a build failed.
    browser = await launching;
  }
  planned = await open(plannedHtml, "planned");
  deployed = await open(deployedHtml, "deployed");
});

afterAll(async () => {
  await browser?.close();
});

describe("catalog page", () => {
  it("loads from a file:// URL with no console errors and no network request", async () => {
    expect(await planned.title()).toBe("ML service catalog");
    expect(await deployed.title()).toBe("ML service catalog");
    expect(consoleErrors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith("file://"))).toEqual([]);
  });

  it("shows hostile catalog text as text, in content and attributes, running none of it", async () => {
    const row = planned.locator('tr[data-name="search-ranking"]');
    expect(await row.locator(".description").textContent()).toBe(HOSTILE_DESCRIPTION);
    expect(await row.locator(".description").getAttribute("title")).toBe(HOSTILE_DESCRIPTION);
    expect(await row.locator(".display-name").textContent()).toBe(HOSTILE_NAME);
    expect(await planned.evaluate("typeof window.__pwned")).toBe("undefined");
    expect(
      await planned.locator("#services script, #services img, #services svg, #services b").count(),
    ).toBe(0);
    // The blob and the page's own script, nothing injected.
    expect(await planned.evaluate("document.scripts.length")).toBe(2);
    const blob = (await planned.locator("#catalog-data").textContent())!;
    expect(blob).not.toMatch(/[<>&]/);
    const data = JSON.parse(blob) as { services: { name: string; search: string }[] };
    const entry = data.services.find((s) => s.name === "search-ranking")!;
    expect(entry.search).toContain(HOSTILE_DESCRIPTION.toLowerCase());
    expect(entry.search).toContain(HOSTILE_NAME.toLowerCase());
  });

  it("offline, shows planned names as text: no links, no placeholder ids or account", async () => {
    expect(await planned.locator("a").count()).toBe(0);
    expect(plannedHtml).not.toContain("000000000000");
    expect(plannedHtml).not.toMatch(/\/jobs\/|\/ml\/experiments\/|console\.aws\.amazon\.com/);
    const chips = await planned.locator('tr[data-name="demand-forecast"] .dep').allTextContents();
    expect(chips).toEqual(["dev · planned", "prod · planned"]);
    expect(await planned.locator(".dep.deployed").count()).toBe(0);
    const items = await planned
      .locator('tr[data-name="demand-forecast"] li[data-stack="prod"] li')
      .allTextContents();
    expect(items).toEqual([
      "ECR repository: mlp/demand-forecast-prod planned",
      "artifacts bucket: mlp-demand-forecast-prod-artifacts planned",
      "predictions bucket: mlp-demand-forecast-prod-predictions planned",
      "training job: mlp-demand-forecast-prod-training planned",
      "batch prediction job: mlp-demand-forecast-prod-batch-prediction planned",
      "MLflow experiment: /Shared/mlp/prod/demand-forecast planned",
      "model: ml_prod.models.demand_forecast planned",
    ]);
  });

  it("shows the template, the schedules as cron and in words, and decommissioned status", async () => {
    const demand = planned.locator('tr[data-name="demand-forecast"]');
    expect(await demand.locator("td.template").textContent()).toBe("pyspark");
    expect(await demand.locator("td.schedule .line").allTextContents()).toEqual([
      "training 0 2 1 * * At 02:00, on day 1 of the month UTC",
      "batch prediction 0 4 * * * At 04:00 UTC",
    ]);
    const recommender = planned.locator('tr[data-name="product-recommender"]');
    expect(await recommender.locator("td.template").textContent()).toBe("sklearn");
    expect(await recommender.locator("td.schedule .words").allTextContents()).toEqual([
      "At 03:00, only on Monday",
      "At 05:30",
    ]);
    expect(await recommender.locator("td.schedule .sub").allTextContents()).toEqual([
      "Europe/Berlin",
      "Europe/Berlin",
    ]);
    expect(await planned.locator('tr[data-name="fleet-01"] td.schedule .words').textContent()).toBe(
      "At 15 minutes past the hour, every 6 hours",
    );
    expect(await planned.locator('tr[data-name="search-ranking"] td.schedule').textContent()).toBe(
      "no schedule",
    );
    const retired = planned.locator('tr[data-name="fleet-15"]');
    expect(await retired.getAttribute("class")).toBe("decommissioned");
    expect(await retired.locator(".badge").textContent()).toBe("decommissioned");
    // Its jobs are gone; its data-bearing resources are still listed.
    const kept = await retired.locator('li[data-stack="dev"] li').allTextContents();
    expect(kept.some((t) => t.startsWith("training job"))).toBe(false);
    expect(kept).toContain("model: ml_dev.models.fleet_15 planned");
    expect(await planned.locator(".badge.decommissioned").count()).toBe(1);
  });

  it("fits 15 rows or more on a 1366x768 screen (out/catalog-page-wide.png)", async () => {
    await planned.setViewportSize({ width: 1366, height: 768 });
    expect(await planned.locator("#services tbody tr").count()).toBe(18);
    const fit = await planned.$$eval("#services tbody tr", (rows) => {
      type Box = { top: number; bottom: number };
      const g = globalThis as unknown as {
        innerHeight: number;
        document: { querySelector(s: string): { getBoundingClientRect(): Box } };
      };
      const table = g.document.querySelector("#services").getBoundingClientRect();
      // Rows of the table region that are inside the viewport without scrolling.
      return rows.filter((r) => {
        const box = (r as unknown as { getBoundingClientRect(): Box }).getBoundingClientRect();
        return box.top >= table.top && box.bottom <= g.innerHeight;
      }).length;
    });
    expect(fit).toBeGreaterThanOrEqual(15);
    expect(await planned.evaluate("document.scrollingElement.scrollWidth")).toBeLessThanOrEqual(
      1366,
    );
    const file = path.join(REPO, "out", "catalog-page-wide.png");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await planned.screenshot({ path: file });
    expect(fs.statSync(file).size).toBeGreaterThan(10000);
  });

  it("is usable 420 px wide: no horizontal scroll, key fields visible (out/catalog-page-narrow.png)", async () => {
    await planned.setViewportSize({ width: 420, height: 800 });
    expect(await planned.evaluate("document.scrollingElement.scrollWidth")).toBeLessThanOrEqual(
      420,
    );
    for (const name of ["demand-forecast", "product-recommender", "fleet-01"]) {
      for (const field of [
        ".display-name",
        "td.service code",
        "td.team .line",
        ".dep",
        "td.schedule",
      ]) {
        const box = await planned.locator(`tr[data-name="${name}"] ${field}`).first().boundingBox();
        expect(box).not.toBeNull();
        expect(box!.width).toBeGreaterThan(0);
        expect(box!.x).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width).toBeLessThanOrEqual(420);
      }
    }
    const file = path.join(REPO, "out", "catalog-page-narrow.png");
    await planned.screenshot({ path: file });
    expect(fs.statSync(file).size).toBeGreaterThan(10000);
    await planned.setViewportSize({ width: 1366, height: 768 });
  });

  it("with outputs, links the real ids, the account and the champion version", async () => {
    const demand = 'tr[data-name="demand-forecast"]';
    expect(await deployed.locator(`${demand} .dep`).allTextContents()).toEqual([
      "dev · champion v12",
      "prod · champion v7",
    ]);
    expect(
      await deployed
        .locator(`${demand} a.champion`)
        .evaluateAll((as) => as.map((a) => a.getAttribute("href"))),
    ).toEqual([
      "https://dbc-dev-1234.cloud.databricks.com/explore/data/models/ml_dev/models/demand_forecast/version/12",
      "https://dbc-prod-5678.cloud.databricks.com/explore/data/models/ml_prod/models/demand_forecast/version/7",
    ]);
    const links = await hrefs(deployed, `${demand} li[data-stack="prod"]`);
    expect(links).toEqual([
      "https://eu-west-1.console.aws.amazon.com/ecr/repositories/private/222222222222/mlp/demand-forecast-prod?region=eu-west-1",
      "https://s3.console.aws.amazon.com/s3/buckets/mlp-demand-forecast-prod-artifacts?region=eu-west-1",
      "https://s3.console.aws.amazon.com/s3/buckets/mlp-demand-forecast-prod-predictions?region=eu-west-1",
      "https://dbc-prod-5678.cloud.databricks.com/jobs/771122334400",
      "https://dbc-prod-5678.cloud.databricks.com/jobs/771122334455",
      "https://dbc-prod-5678.cloud.databricks.com/ml/experiments/3141592653589793",
      "https://dbc-prod-5678.cloud.databricks.com/explore/data/models/ml_prod/models/demand_forecast",
    ]);
    expect(await hrefs(deployed, `${demand} td.where > details > ul > li:first-child`)).toEqual([
      "https://github.com/acme-ml/demand-forecast",
    ]);
    // Every job link carries an id from the outputs files, none from the offline plan.
    const jobs = (await hrefs(deployed, "#services")).filter((h) => h.includes("/jobs/"));
    expect(jobs.sort()).toEqual([
      "https://dbc-dev-1234.cloud.databricks.com/jobs/880000000001",
      "https://dbc-dev-1234.cloud.databricks.com/jobs/880000000002",
      "https://dbc-prod-5678.cloud.databricks.com/jobs/771122334400",
      "https://dbc-prod-5678.cloud.databricks.com/jobs/771122334455",
    ]);
    expect((await hrefs(deployed, "#services")).every((h) => h.startsWith("https://"))).toBe(true);
  });

  it("with outputs, keeps what they lack planned: a service not deployed, a secret id", async () => {
    const recommender = 'tr[data-name="product-recommender"]';
    expect(await deployed.locator(`${recommender} .dep`).allTextContents()).toEqual([
      "dev · planned",
      "prod · planned",
    ]);
    expect(await deployed.locator(`${recommender} a`).count()).toBe(0);
    const search = 'tr[data-name="search-ranking"]';
    expect(await deployed.locator(`${search} .dep`).allTextContents()).toEqual(["dev · deployed"]);
    const items = await deployed.locator(`${search} li[data-stack="dev"] li`).allTextContents();
    // Its training job id was exported as a secret ("[secret]"): the name stays, unlinked.
    expect(items).toContain("training job: mlp-search-ranking-dev-training planned");
    expect(await hrefs(deployed, `${search} li[data-stack="dev"]`)).toContain(
      "https://dbc-dev-1234.cloud.databricks.com/ml/experiments/1618033988749894",
    );
  });

  it("filters by team and by text", async () => {
    await deployed.selectOption("#filter-team", "search");
    expect(await visibleServices(deployed)).toEqual(["search-ranking"]);
    expect(await deployed.locator("#count").textContent()).toBe("1 of 3 services");
    await deployed.selectOption("#filter-team", "");
    await deployed.fill("#filter-text", "erin");
    expect(await visibleServices(deployed)).toEqual(["demand-forecast"]);
    await deployed.fill("#filter-text", "pyspark");
    expect(await visibleServices(deployed)).toEqual(["demand-forecast"]);
    await deployed.fill("#filter-text", "no such thing");
    expect(await visibleServices(deployed)).toEqual([]);
    await deployed.fill("#filter-text", "");
    expect(await visibleServices(deployed)).toEqual([
      "demand-forecast",
      "product-recommender",
      "search-ranking",
    ]);
    await planned.fill("#filter-text", "decommissioned");
    expect(await visibleServices(planned)).toEqual(["fleet-15"]);
    await planned.fill("#filter-text", "");
  });

  it("sorts by a column, and reverses on a second click", async () => {
    await deployed.click('th[data-key="team"] button');
    expect(await visibleServices(deployed)).toEqual([
      "product-recommender",
      "search-ranking",
      "demand-forecast",
    ]);
    expect(await deployed.getAttribute('th[data-key="team"]', "aria-sort")).toBe("ascending");
    await deployed.click('th[data-key="team"] button');
    expect(await visibleServices(deployed)).toEqual([
      "demand-forecast",
      "search-ranking",
      "product-recommender",
    ]);
    await deployed.click('th[data-key="template"] button');
    expect(await visibleServices(deployed)).toEqual([
      "demand-forecast",
      "product-recommender",
      "search-ranking",
    ]);
    await deployed.click('th[data-key="template"] button');
    expect(await visibleServices(deployed)).toEqual([
      "search-ranking",
      "product-recommender",
      "demand-forecast",
    ]);
    await deployed.click('th[data-key="name"] button');
    expect(await visibleServices(deployed)).toEqual([
      "demand-forecast",
      "product-recommender",
      "search-ranking",
    ]);
  });

  it("summarises each team", async () => {
    const rows = await deployed.$$eval("#teams tbody tr", (trs) =>
      trs.map((tr) =>
        Array.from(tr.children, (td) => (td as unknown as { textContent: string }).textContent),
      ),
    );
    expect(rows).toEqual([
      ["personalization", "1", "1", "1", "alice-ml, bob-data"],
      ["search", "1", "1", "0", "carol-search"],
      ["supply-chain", "1", "1", "1", "dave-forecast, erin-ops"],
    ]);
  });
});
