/** Human-readable forms of a plan: the terminal tree, the diff, and the pull-request comment. */
import { GroupDiff, PlanDiff, replacements } from "./diff";
import { PlanDocument, PlanFinding, PlanResource } from "./types";
import { counted } from "../../lib/plural";

function flags(r: PlanResource): string {
  const marks = [r.protect ? "protect" : "", r.retainOnDelete ? "retain" : ""].filter(Boolean);
  // An adopted resource: `pulumi up` imports it (then brings it to the declared inputs).
  const adopted = r.importId ? ` = import ${r.importId}` : "";
  return `${marks.length ? ` [${marks.join(", ")}]` : ""}${adopted}`;
}

/** Every resource the plan adopts, as "type name <- id" lines. */
function importLines(doc: PlanDocument): string[] {
  return [...doc.platform.resources, ...doc.services.flatMap((s) => s.resources)]
    .filter((r) => r.importId)
    .map((r) => `${r.type} ${r.name} <- ${r.importId}`);
}

/** Tree of resources under their parents (components group their children). */
export function treeLines(resources: PlanResource[]): string[] {
  const children = new Map<string | undefined, PlanResource[]>();
  const urns = new Set(resources.map((r) => r.urn));
  for (const r of resources) {
    const parent = r.parent && urns.has(r.parent) ? r.parent : undefined;
    children.set(parent, [...(children.get(parent) ?? []), r]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, indent: string) => {
    const list = children.get(parent) ?? [];
    list.forEach((r, i) => {
      const last = i === list.length - 1;
      const branch = parent === undefined ? "" : last ? "└─ " : "├─ ";
      lines.push(`${indent}${branch}${r.type} ${r.name}${flags(r)}`);
      walk(r.urn, parent === undefined ? indent : indent + (last ? "   " : "│  "));
    });
  };
  walk(undefined, "  ");
  return lines;
}

const custom = (resources: PlanResource[]) => resources.filter((r) => r.custom).length;

export function formatPlan(doc: PlanDocument): string {
  const lines = [
    `Offline plan of stack ${doc.stack} (environment ${doc.environment}): mock engine, no cloud calls`,
    "",
  ];
  lines.push(
    `platform: ${custom(doc.platform.resources)} resources`,
    ...treeLines(doc.platform.resources),
    "",
  );
  for (const s of doc.services) {
    const state = s.decommissioned ? ", decommissioned: data kept, compute removed" : "";
    lines.push(
      `service ${s.name} (team ${s.team}, ${s.file}${state}): ${custom(s.resources)} resources`,
    );
    lines.push(...treeLines(s.resources), "");
  }
  lines.push(...formatFindings(doc.findings));
  lines.push(
    `Total: ${counted(doc.summary.services, "service")}, ${counted(doc.summary.resources, "resource")}`,
  );
  return lines.join("\n");
}

export function formatFindings(findings: PlanFinding[]): string[] {
  if (findings.length === 0) return ["Policy findings: none", ""];
  return [
    `Policy findings: ${findings.length}`,
    ...findings.map(
      (f) =>
        `  ${f.severity.toUpperCase()} ${f.policy} ${f.service ?? "platform"}: ${f.message} (${f.urn})`,
    ),
    "",
  ];
}

/**
 * Text read from a plan (a `--diff` base is a file from outside) with control characters shown
 * as escapes, so nothing in it can move the terminal's cursor or break a markdown line.
 */
export function cleanText(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function groupLines(g: GroupDiff): string[] {
  const t = (r: { type: string; name: string }) => `${cleanText(r.type)} ${cleanText(r.name)}`;
  const lines = [`${cleanText(g.name)}: ${g.status}`];
  for (const r of g.added) lines.push(`  + ${t(r)}`);
  for (const r of g.retained)
    lines.push(`  - ${t(r)} (removed from the stack; retained in the cloud)`);
  for (const r of g.deleted) lines.push(`  - ${t(r)} (deleted)`);
  for (const c of g.changed) {
    // "+-" is Pulumi's own mark for a replacement: what a reviewer must not miss.
    const mark = c.replace ? "+-" : "~";
    const why = c.replace
      ? ` (REPLACED: ${cleanText(c.replace.paths.join(", "))} cannot change in place${c.replace.deleteFirst ? "; the old one is deleted first" : ""})`
      : "";
    lines.push(`  ${mark} ${t(c)}: ${cleanText(c.paths.join(", "))}${why}`);
    // Old and new value at the start of the line, so a markdown `diff` block colours them.
    for (const v of c.values ?? []) {
      const path = cleanText(v.path);
      lines.push(`-     ${path}: ${cleanText(v.before)}`, `+     ${path}: ${cleanText(v.after)}`);
    }
  }
  return lines;
}

/** One sentence naming the replaced resources, or nothing when none is. */
function replacementNote(diff: PlanDiff, name: (text: string) => string): string | undefined {
  const replaced = replacements(diff);
  if (replaced.length === 0) return undefined;
  const list = replaced.map((c) => name(`${cleanText(c.type)} ${cleanText(c.name)}`)).join(", ");
  return `${counted(replaced.length, "resource")} replaced (deleted and created anew): ${list}`;
}

export function formatDiff(diff: PlanDiff): string {
  const touched = diff.groups.filter((g) => g.status !== "unchanged");
  if (touched.length === 0) return `Diff against the base plan of ${diff.baseStack}: no changes`;
  const note = replacementNote(diff, (text) => text);
  return [
    `Diff against the base plan of ${diff.baseStack}:`,
    ...(note ? [`WARNING: ${note}`] : []),
    ...touched.flatMap(groupLines),
  ].join("\n");
}

function replacedCount(g: GroupDiff): string {
  const n = g.changed.filter((c) => c.replace).length;
  return n > 0 ? `, ${n} replaced` : "";
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`).replace(/\r?\n/g, " ");
}

/** The pull-request comment: a summary table, the diff when there is one, findings, details. */
export function formatMarkdown(doc: PlanDocument, diff?: PlanDiff): string {
  const lines = [`### Infrastructure plan: stack \`${doc.stack}\``, ""];
  lines.push(
    `${counted(doc.summary.services, "service")}, ${counted(doc.summary.resources, "resource")} (offline plan, mock engine).`,
    "",
  );
  const byName = new Map(diff?.groups.map((g) => [g.name, g]) ?? []);
  lines.push(diff ? "| service | team | resources | change |" : "| service | team | resources |");
  lines.push(diff ? "| --- | --- | ---: | --- |" : "| --- | --- | ---: |");
  for (const s of doc.services) {
    const g = byName.get(s.name);
    const change = g
      ? `${g.status}${g.status === "changed" ? ` (+${g.added.length} -${g.removed.length} ~${g.changed.length}${replacedCount(g)})` : ""}`
      : "";
    lines.push(
      `| ${escapeMarkdown(s.name)} | ${escapeMarkdown(s.team)} | ${custom(s.resources)} |${diff ? ` ${change} |` : ""}`,
    );
  }
  for (const g of diff?.groups ?? []) {
    if (g.status === "removed") lines.push(`| ${escapeMarkdown(g.name)} | | 0 | removed |`);
  }
  lines.push("");
  if (diff) {
    const touched = diff.groups.filter((g) => g.status !== "unchanged");
    lines.push("#### Changes", "");
    if (touched.length === 0) lines.push("No changes.");
    else {
      const note = replacementNote(diff, (text) => `\`${text.replace(/`/g, "'")}\``);
      if (note) lines.push(`**Warning: ${note}.**`, "");
      lines.push("```diff", ...touched.flatMap(groupLines), "```");
    }
    lines.push("");
  }
  const imports = importLines(doc);
  if (imports.length > 0) {
    lines.push("#### Imports (existing resources adopted)", "", "```", ...imports, "```", "");
  }
  lines.push("#### Policy findings", "");
  if (doc.findings.length === 0) lines.push("None.");
  for (const f of doc.findings) {
    lines.push(
      `- **${f.severity}** \`${f.policy}\` ${escapeMarkdown(f.service ?? "platform")}: ${escapeMarkdown(f.message)}`,
    );
  }
  lines.push("");
  for (const s of doc.services) {
    lines.push(
      `<details><summary>${escapeMarkdown(s.name)}: ${custom(s.resources)} resources</summary>`,
      "",
      "```",
      ...treeLines(s.resources),
      "```",
      "</details>",
      "",
    );
  }
  return lines.join("\n");
}
