/** Shared fixtures of the Drone tests: credentials that must never leak, fast retry limits. */
import { DroneRetryPolicy } from "../../components/drone/client";

/** The bearer token the fake server accepts. Must never appear in output or errors. */
export const TOKEN = "drone-token-7f3a9c1e5b2d4f60";
/** A secret value. Must never appear in output or errors. */
export const VALUE = "s3cr3t-value-91d2e4b7";
/** A second secret value, for rotations. */
export const ROTATED = "rotated-value-0c5e8a13";

/** Retry limits that keep tests quick: 4 attempts, 5-20 ms apart, 2 s overall. */
export const FAST: DroneRetryPolicy = {
  maxAttempts: 4,
  maxElapsedMs: 2_000,
  initialDelayMs: 5,
  maxDelayMs: 20,
  requestTimeoutMs: 1_000,
  syncAttempts: 3,
  syncWaitMs: 300,
};

/** Everything written to the console or to stdout/stderr while capturing. */
export interface CapturedOutput {
  text(): string;
  restore(): void;
}

export function captureOutput(): CapturedOutput {
  const lines: string[] = [];
  const methods = ["log", "info", "warn", "error", "debug", "trace"] as const;
  const spies = methods.map((m) =>
    jest.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      lines.push(
        args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : String(a))).join(" "),
      );
    }),
  );
  const out = jest.spyOn(process.stdout, "write").mockImplementation((chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  });
  const err = jest.spyOn(process.stderr, "write").mockImplementation((chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  });
  return {
    text: () => lines.join("\n"),
    restore: () => {
      for (const s of spies) s.mockRestore();
      out.mockRestore();
      err.mockRestore();
    },
  };
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof Error) return e;
    throw new Error(`rejected with a non-Error: ${String(e)}`);
  }
  throw new Error("expected a rejection, but the promise resolved");
}
