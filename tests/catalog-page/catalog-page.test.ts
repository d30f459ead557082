/** The catalog page in a real headless browser (Debian's chromium), loaded from a file:// URL. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BrowserContext, chromium, Page } from "playwright-core";
import { buildCatalogPage } from "../../lib/catalog-page/build";
import { escapeHtml } from "../../lib/catalog-page/render";

const REPO = path.join(__dirname, "..", "..");
const CHROMIUM = "/usr/bin/chromium";
const HOSTILE =
  'Ranks results. <script>window.__pwned = true</script><img src=x onerror="window.__pwned=1">';

let browser: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];
const requests: string[] = [];

/** A copy of the catalog in which one description carries markup. */
function hostileCatalog(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "catalog-page-"));
  fs.cpSync(path.join(REPO, "services"), dir, { recursive: true });
  const file = path.join(dir, "search-ranking.yaml");
  const text = fs
    .readFileSync(file, "utf8")
    .replace(/^description: .*$/m, `description: ${JSON.stringify(HOSTILE)}`);
  fs.writeFileSync(file, text);
  return dir;
}

async function visibleServices(): Promise<string[]> {
  return page.$$eval("#services tbody tr", (rows) =>
    rows
      .filter((r) => !(r as unknown as { hidden: boolean }).hidden)
      .map((r) => r.getAttribute("data-name") ?? ""),
  );
}

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: apt-get install chromium`);
  const html = await buildCatalogPage({
    servicesDir: hostileCatalog(),
    generatedAt: "2026-01-01T00:00:00Z",
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "catalog-page-out-"));
  fs.writeFileSync(path.join(dir, "index.html"), html);
  // A fresh profile per run; playwright takes it as the persistent context's folder.
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "chromium-profile-"));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    viewport: { width: 1400, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = await browser.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(e.message));
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(`file://${path.join(dir, "index.html")}`);
});

afterAll(async () => {
  await browser?.close();
});

describe("catalog page", () => {
  it("loads from a file:// URL with no console errors and no network request", async () => {
    expect(await page.title()).toBe("ML service catalog");
    expect(consoleErrors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith("file://"))).toEqual([]);
  });

  it("lists every example service with team, owners, environments and links", async () => {
    expect(await visibleServices()).toEqual([
      "demand-forecast",
      "product-recommender",
      "search-ranking",
    ]);
    const demand = page.locator('tr[data-name="demand-forecast"]');
    expect(await demand.locator("td.team").textContent()).toBe("supply-chain");
    expect(await demand.locator("td.owners").textContent()).toBe("dave-forecast, erin-ops");
    expect(await demand.locator("td.environments").textContent()).toBe("dev, prod");
    const hrefs = await demand
      .locator("a")
      .evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    expect(hrefs).toContain("https://github.com/acme-ml/demand-forecast");
    expect(hrefs).toContain(
      "https://s3.console.aws.amazon.com/s3/buckets/mlp-demand-forecast-prod-artifacts?region=eu-west-1",
    );
    expect(
      hrefs.filter((h) => h!.startsWith("https://dbc-prod-5678.cloud.databricks.com/jobs/")),
    ).toHaveLength(2);
    expect(
      hrefs.filter((h) =>
        h!.startsWith("https://dbc-prod-5678.cloud.databricks.com/ml/experiments/"),
      ),
    ).toHaveLength(1);
    expect(hrefs).toContain(
      "https://dbc-prod-5678.cloud.databricks.com/explore/data/models/ml_prod/models/demand_forecast",
    );
    expect(
      hrefs.some(
        (h) => h!.includes("/ecr/repositories/private/") && h!.includes("mlp/demand-forecast-dev"),
      ),
    ).toBe(true);
    // search-ranking runs in dev only: no prod links.
    const search = await page.locator('tr[data-name="search-ranking"] .env').allTextContents();
    expect(search).toEqual(["dev"]);
  });

  it("renders a description with markup as text, running none of it", async () => {
    const description = await page
      .locator('tr[data-name="search-ranking"] td.description')
      .textContent();
    expect(description).toBe(HOSTILE);
    expect(await page.evaluate("typeof window.__pwned")).toBe("undefined");
    expect(await page.locator("#services tbody script, #services tbody img").count()).toBe(0);
  });

  it("filters by team and by text", async () => {
    await page.selectOption("#filter-team", "search");
    expect(await visibleServices()).toEqual(["search-ranking"]);
    expect(await page.locator("#count").textContent()).toBe("1 of 3 services");
    await page.selectOption("#filter-team", "");
    await page.fill("#filter-text", "erin");
    expect(await visibleServices()).toEqual(["demand-forecast"]);
    await page.fill("#filter-text", "no such thing");
    expect(await visibleServices()).toEqual([]);
    await page.fill("#filter-text", "");
    expect(await visibleServices()).toEqual([
      "demand-forecast",
      "product-recommender",
      "search-ranking",
    ]);
  });

  it("sorts by a column, and reverses on a second click", async () => {
    await page.click('th[data-key="team"] button');
    expect(await visibleServices()).toEqual([
      "product-recommender",
      "search-ranking",
      "demand-forecast",
    ]);
    expect(await page.getAttribute('th[data-key="team"]', "aria-sort")).toBe("ascending");
    await page.click('th[data-key="team"] button');
    expect(await visibleServices()).toEqual([
      "demand-forecast",
      "search-ranking",
      "product-recommender",
    ]);
    await page.click('th[data-key="name"] button');
    expect(await visibleServices()).toEqual([
      "demand-forecast",
      "product-recommender",
      "search-ranking",
    ]);
  });

  it("summarises each team", async () => {
    const rows = await page.$$eval("#teams tbody tr", (trs) =>
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

  it("saves a screenshot of the real catalog for CI (out/catalog-page.png)", async () => {
    const html = await buildCatalogPage({ generatedAt: "2026-01-01T00:00:00Z" });
    const file = path.join(REPO, "out", "catalog-page", "index.html");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, html);
    const real = await browser.newPage();
    await real.goto(`file://${file}`);
    await real.screenshot({ path: path.join(REPO, "out", "catalog-page.png"), fullPage: true });
    await real.close();
    expect(fs.statSync(path.join(REPO, "out", "catalog-page.png")).size).toBeGreaterThan(10000);
  });
});

describe("escapeHtml", () => {
  it("escapes every character that could open markup or leave an attribute", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
    );
  });
});
