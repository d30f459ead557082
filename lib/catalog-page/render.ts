/**
 * The catalog page: one self-contained HTML file (inline CSS and JS, no network). Rows are
 * rendered as HTML so the page reads without scripts; the script only sorts and filters them.
 */
import { buildRows, ServiceRow, StackView, summarizeTeams } from "./model";

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

function safeHref(href: string): string {
  return /^https:\/\//.test(href) ? escapeHtml(href) : "#";
}

function link(label: string, href: string): string {
  return `<a href="${safeHref(href)}" rel="noopener noreferrer">${escapeHtml(label)}</a>`;
}

function row(r: ServiceRow): string {
  const deployments = r.deployments
    .map(
      (d) =>
        `<div class="dep"><span class="env">${escapeHtml(d.environment)}</span>` +
        `<span class="stack">stack ${escapeHtml(d.stack)}</span>` +
        `<ul>${d.links.map((l) => `<li>${link(l.label, l.href)}</li>`).join("")}</ul></div>`,
    )
    .join("");
  const search = [r.name, r.displayName, r.team, ...r.owners, r.description, ...r.environments]
    .join(" ")
    .toLowerCase();
  return (
    `<tr data-team="${escapeHtml(r.team)}" data-search="${escapeHtml(search)}" ` +
    `data-name="${escapeHtml(r.name)}" data-owners="${escapeHtml(r.owners.join(", "))}" ` +
    `data-environments="${escapeHtml(r.environments.join(", "))}">` +
    `<td class="service"><strong>${escapeHtml(r.displayName)}</strong><code>${escapeHtml(r.name)}</code></td>` +
    `<td class="team">${escapeHtml(r.team)}</td>` +
    `<td class="owners">${r.owners.map(escapeHtml).join(", ")}</td>` +
    `<td class="environments">${r.environments.map(escapeHtml).join(", ")}</td>` +
    `<td class="description">${escapeHtml(r.description)}</td>` +
    `<td class="where">${link(`GitHub ${r.repository.label}`, r.repository.href)}${deployments}</td>` +
    `</tr>`
  );
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d2330;background:#f6f7f9}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.meta{color:#5b6472;margin:0 0 16px}
.controls{display:flex;gap:12px;margin:12px 0;align-items:center}
input,select{font:inherit;padding:6px 8px;border:1px solid #c4cad3;border-radius:6px;background:#fff}
input{min-width:280px}
table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 2px #0001}
th,td{border-bottom:1px solid #e3e6ea;padding:8px 10px;text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600;white-space:nowrap}
th button{font:inherit;font-weight:600;border:0;background:none;cursor:pointer;padding:0;color:inherit}
th[aria-sort=ascending] button::after{content:" \\25B2"}th[aria-sort=descending] button::after{content:" \\25BC"}
td.service strong{display:block}td.service code{color:#5b6472;font-size:12px}
td.description{max-width:340px}
.dep{margin-top:6px}.dep ul{margin:2px 0 0;padding-left:18px}
.env{display:inline-block;background:#1f6feb;color:#fff;border-radius:10px;padding:0 8px;font-size:12px;margin-right:6px}
.stack{color:#5b6472;font-size:12px}
a{color:#0b57d0;text-decoration:none}a:hover{text-decoration:underline}
#count{color:#5b6472}
`;

// Sorting and filtering, in the page itself: no library, no network.
const SCRIPT = `
(function () {
  var body = document.querySelector("#services tbody");
  var rows = Array.prototype.slice.call(body.rows);
  var text = document.getElementById("filter-text");
  var team = document.getElementById("filter-team");
  var count = document.getElementById("count");
  function apply() {
    var q = text.value.trim().toLowerCase();
    var t = team.value;
    var shown = 0;
    rows.forEach(function (r) {
      var ok = (!t || r.getAttribute("data-team") === t) && (!q || r.getAttribute("data-search").indexOf(q) >= 0);
      r.hidden = !ok;
      if (ok) shown++;
    });
    count.textContent = shown + " of " + rows.length + " services";
  }
  text.addEventListener("input", apply);
  team.addEventListener("change", apply);
  var headers = document.querySelectorAll("#services th[data-key]");
  Array.prototype.forEach.call(headers, function (th) {
    th.querySelector("button").addEventListener("click", function () {
      var key = th.getAttribute("data-key");
      var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
      Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir);
      rows.sort(function (a, b) {
        var x = a.getAttribute("data-" + key), y = b.getAttribute("data-" + key);
        var c = x.localeCompare(y) || a.getAttribute("data-name").localeCompare(b.getAttribute("data-name"));
        return dir === "ascending" ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  apply();
})();
`;

export interface PageOptions {
  /** When the page was built (ISO text), shown in its header. */
  generatedAt: string;
}

export function renderCatalogPage(views: StackView[], options: PageOptions): string {
  const rows = buildRows(views);
  const teams = summarizeTeams(rows);
  const environments = [...new Set(views.map((v) => v.environment))];
  const teamOptions = teams
    .map((t) => `<option value="${escapeHtml(t.team)}">${escapeHtml(t.team)}</option>`)
    .join("");
  const teamRows = teams
    .map(
      (t) =>
        `<tr><td>${escapeHtml(t.team)}</td><td>${t.services}</td>` +
        environments.map((e) => `<td>${t.perEnvironment[e] ?? 0}</td>`).join("") +
        `<td>${t.owners.map(escapeHtml).join(", ")}</td></tr>`,
    )
    .join("");
  const sortable = (key: string, label: string) =>
    `<th data-key="${key}"><button type="button">${label}</button></th>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>ML service catalog</title>
<style>${CSS}</style>
</head>
<body>
<h1>ML service catalog</h1>
<p class="meta">${rows.length} services, ${teams.length} teams; stacks: ${views
    .map((v) => `${escapeHtml(v.stack)} (${escapeHtml(v.environment)})`)
    .join(
      ", ",
    )}. Built ${escapeHtml(options.generatedAt)} from the catalog and the offline plan of each stack.</p>
<div class="controls">
<input id="filter-text" type="search" placeholder="Filter: name, owner, description..." aria-label="Filter services">
<select id="filter-team" aria-label="Team"><option value="">All teams</option>${teamOptions}</select>
<span id="count">${rows.length} of ${rows.length} services</span>
</div>
<table id="services">
<thead><tr>${sortable("name", "Service")}${sortable("team", "Team")}${sortable("owners", "Owners")}${sortable(
    "environments",
    "Environments",
  )}<th>Description</th><th>Where it runs</th></tr></thead>
<tbody>
${rows.map(row).join("\n")}
</tbody>
</table>
<h2>Teams</h2>
<table id="teams">
<thead><tr><th>Team</th><th>Services</th>${environments
    .map((e) => `<th>in ${escapeHtml(e)}</th>`)
    .join("")}<th>Owners</th></tr></thead>
<tbody>${teamRows}</tbody>
</table>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
