/**
 * One worker of a parallel offline plan (lib/plan/parallel.ts), run with child_process.fork: plans
 * the slice of services the parent sends over IPC, with the whole catalog for the cross-service
 * facts, and sends back its part of the plan document, its progress, or its error as data.
 */
import { describeFailure, WorkerMessage, WorkerRequest } from "./parallel";
import { runPlan } from "./run";
import { engineIds } from "./types";

/** Sends a message and resolves once it is written to the channel. */
function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

/** Plans one request; the message that ends the worker's part (its document or its failure). */
export async function planSlice(request: WorkerRequest): Promise<WorkerMessage> {
  try {
    const doc = await runPlan({
      ...request,
      onProgress: (declared, total) => void send({ kind: "progress", declared, total }),
    });
    // maxRSS is in kilobytes (https://nodejs.org/api/process.html#processresourceusage).
    const maxRssBytes = process.resourceUsage().maxRSS * 1024;
    return { kind: "done", doc, ids: engineIds(doc), maxRssBytes };
  } catch (error) {
    return { kind: "failed", failure: describeFailure(error) };
  }
}

function finish(message: WorkerMessage): void {
  void send(message).then(() => process.exit(message.kind === "done" ? 0 : 1));
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
