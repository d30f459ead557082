#!/usr/bin/env node
/**
 * Measures the test suite: `node .ci/measure-tests.js [jest arguments]` runs jest (default: the
 * whole suite) and prints its wall time, the CPU time of jest and every process it started, and
 * the peak of the summed resident memory of that whole process tree (jest, its workers and their
 * child processes), sampled every 250 ms from /proc (Linux only). `/usr/bin/time -v` reports only
 * the largest single process; the workers and the tools they start are separate processes.
 * Node flags given to this script go to jest too (`node --single-threaded-gc .ci/measure-tests.js`),
 * and from jest to its workers (jest-worker forks them with the parent's execArgv).
 * Exits with jest's exit code.
 */
"use strict";
const { spawn } = require("child_process");
const fs = require("fs");
const path = require("path");

const ROOT = path.join(__dirname, "..");
const JEST = path.join(ROOT, "node_modules", "jest", "bin", "jest.js");
const PERIOD_MS = 250;
// https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html: utime (14), stime (15), cutime (16),
// cstime (17) in clock ticks; sysconf(_SC_CLK_TCK) is 100 on Linux.
const TICKS_PER_SECOND = 100;
const PAGE_KB = 4;

/** pid -> { ppid, rssKb, ticks } of every process, read from /proc/<pid>/stat. */
function snapshot() {
  const table = new Map();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited between the listing and the read
    }
    // The command name (field 2) is in parentheses and may hold spaces: split after its ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state): field n is fields[n - 3].
    table.set(Number(entry), {
      ppid: Number(fields[1]),
      ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]),
      rssKb: Number(fields[21]) * PAGE_KB,
    });
  }
  return table;
}

/** A process's command line, shortened (the project root left out). */
function commandLine(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    return text.split(`${ROOT}/`).join("").slice(0, 120);
  } catch {
    return "(exited)";
  }
}

/** The processes under `root` (itself included). */
function tree(table, root) {
  const children = new Map();
  for (const [pid, p] of table) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(pid);
  }
  const out = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop();
    if (!table.has(pid)) continue;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

const started = process.hrtime.bigint();
const child = spawn(process.execPath, [...process.execArgv, JEST, ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: "inherit",
});
let peakKb = 0;
let peakProcesses = 0;
let peakAt = 0;
/** The largest processes at the peak, to see what the peak was made of. */
let peakTop = [];
/** jest's worker processes seen (a worker is replaced after a file when over workerIdleMemoryLimit). */
const workers = new Set();
const timer = setInterval(() => {
  const table = snapshot();
  const pids = tree(table, child.pid);
  for (const pid of pids) {
    if (workers.has(pid)) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("jest-worker")) workers.add(pid);
    } catch {
      // exited meanwhile
    }
  }
  const kb = pids.reduce((sum, pid) => sum + table.get(pid).rssKb, 0);
  if (kb > peakKb) {
    peakKb = kb;
    peakProcesses = pids.length;
    peakTop = pids
      .map((pid) => ({ pid, mb: table.get(pid).rssKb / 1024 }))
      .sort((a, b) => b.mb - a.mb)
      .slice(0, 6)
      .map(({ pid, mb }) => `${mb.toFixed(0)} MB ${commandLine(pid)}`);
    peakAt = Number(process.hrtime.bigint() - started) / 1e9;
  }
}, PERIOD_MS);

child.on("close", (code) => {
  clearInterval(timer);
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  // Once jest has exited and been waited for, its own stat counts every waited-for descendant in
  // cutime/cstime; process.resourceUsage() of this process does not see them, /proc/self does.
  const self = snapshot().get(process.pid);
  const cpu = self ? self.ticks / TICKS_PER_SECOND : NaN;
  const minutes = Math.floor(wall / 60);
  const seconds = (wall - minutes * 60).toFixed(1);
  process.stderr.write(
    [
      "",
      `wall: ${wall.toFixed(1)} s (${minutes} min ${seconds} s)`,
      `cpu (user + system, jest and all its processes): ${cpu.toFixed(1)} s`,
      `peak memory (summed RSS of the process tree, sampled every ${PERIOD_MS} ms): ` +
        `${(peakKb / 1024).toFixed(0)} MB over ${peakProcesses} processes, at ${peakAt.toFixed(0)} s`,
      ...peakTop.map((line) => `  ${line}`),
      `jest worker processes started: ${workers.size}`,
      "",
    ].join("\n"),
  );
  process.exitCode = code ?? 1;
});
