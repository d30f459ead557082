/**
 * One worker of a parallel offline plan (offline/plan/parallel.ts), run with child_process.fork: plans
 * the slice of services the parent sends over IPC, with the whole catalog for the cross-service
 * facts, and sends back its part of the plan document, its progress, or its error as data.
 */
// First: the SDK's serializer dependencies load only if used (offline/start.ts).
import "../start";
import {
  describeFailure,
  WorkerMessage,
  WorkerPart,
  WorkerRequest,
  WorkerServicePart,
} from "./parallel";
import { runPlan } from "./run";
import { engineIds } from "./types";

/** Sends a message and resolves once it is written to the channel. */
function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

/**
 * Plans one request and sends its part: each service as its own message, written one after the
 * other (a worker never holds its whole part as one string, nor the channel's copy of it), then
 * the rest of the document. Resolves with the message that ends the worker's part ("done", or
 * its failure).
 */
export async function planSlice(
  request: WorkerRequest,
  emit: (message: WorkerMessage) => Promise<void> = send,
): Promise<WorkerMessage> {
  try {
    const doc = await runPlan({
      ...request,
      onProgress: (declared, total) => void emit({ kind: "progress", declared, total }),
    });
    for (const service of doc.services) {
      const part: WorkerServicePart = {
        service,
        ids: engineIds({ ...doc, platform: { resources: [] }, services: [service] }),
      };
      await emit({ kind: "service", part: JSON.stringify(part) });
    }
    const rest: WorkerPart = {
      doc: { ...doc, services: [] },
      ids: engineIds({ ...doc, services: [] }),
    };
    return { kind: "done", part: JSON.stringify(rest) };
  } catch (error) {
    return { kind: "failed", failure: describeFailure(error) };
  }
}

/**
 * This process's peak resident set size so far (maxRSS is in kilobytes:
 * https://nodejs.org/api/process.html#processresourceusage).
 */
function peak(): WorkerMessage {
  return { kind: "peak", maxRssBytes: process.resourceUsage().maxRSS * 1024 };
}

/** Sends the worker's last message, then (once its part is written) its peak memory, and exits. */
function finish(message: WorkerMessage): void {
  void send(message)
    .then(() => (message.kind === "done" ? send(peak()) : undefined))
    .then(() => process.exit(message.kind === "done" ? 0 : 1));
}

if (require.main === module) {
  if (!process.send) {
    process.stderr.write("error: the plan worker runs only as a child of a parallel plan\n");
    process.exit(2);
  }
  // The IPC channel closed, the parent is gone: a worker never outlives it
  // (https://nodejs.org/api/process.html#event-disconnect).
  process.on("disconnect", () => process.exit(1));
  process.on("uncaughtException", (error) =>
    finish({ kind: "failed", failure: describeFailure(error) }),
  );
  process.on("unhandledRejection", (error) =>
    finish({ kind: "failed", failure: describeFailure(error) }),
  );
  process.once("message", (request: WorkerRequest) => {
    void planSlice(request).then(finish);
  });
}
