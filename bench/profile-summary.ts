/**
 * Summarises a V8 CPU profile (node --cpu-prof): self time per function and per file, the
 * garbage collector and idle time, largest first.
 *
 * ts-node --transpile-only bench/profile-summary.ts <file.cpuprofile> [top=25]
 */
import * as fs from "fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  what: string;
  ms: number;
  share: number;
}

/** Self time by function (`name file:line`) and by file, from a parsed profile. */
export function summarise(profile: CpuProfile): { functions: ProfileLine[]; files: ProfileLine[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    const file = frame.url.replace(/^.*node_modules\//, "").replace(/^file:\/\//, "") || "(native)";
    const fn = `${frame.functionName || "(anonymous)"} ${file}:${frame.lineNumber + 1}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
    files.set(file, (files.get(file) ?? 0) + us);
  }
  const lines = (m: Map<string, number>) =>
    [...m.entries()]
      .map(([what, us]) => ({ what, ms: us / 1000, share: us / total }))
      .sort((a, b) => b.ms - a.ms);
  return { functions: lines(functions), files: lines(files) };
}

if (require.main === module) {
  const [file, topArg] = process.argv.slice(2);
  const top = Number(topArg ?? 25);
  const { functions, files } = summarise(JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile);
  const show = (title: string, list: ProfileLine[]) => {
    process.stdout.write(`${title}\n`);
    for (const l of list.slice(0, top)) {
      process.stdout.write(
        `${l.ms.toFixed(0).padStart(8)} ms ${(l.share * 100).toFixed(1).padStart(5)} %  ${l.what}\n`,
      );
    }
  };
  show("self time by function", functions);
  show("\nself time by file", files);
}
