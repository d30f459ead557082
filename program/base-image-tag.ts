import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../lib/project-root";

export const BASE_IMAGE_CONTEXT = path.join(PROJECT_ROOT, "templates", "base-image");
export const BASE_IMAGE_DOCKERFILE = path.join(BASE_IMAGE_CONTEXT, "Dockerfile");

let cached: string | undefined;

/**
 * Content-addressed tag of the platform base image: any change to its build context (the
 * Dockerfile, the placeholder entry point) means a new tag, and since
 * ECR tags are immutable the tag pins the image as firmly as its digest, yet is known before the
 * build (so service Dockerfiles can name it at declaration time).
 */
export function baseImageTag(): string {
  if (!cached) {
    const hash = createHash("sha256");
    // Every file of the context, by name and content, in a fixed order.
    for (const name of fs.readdirSync(BASE_IMAGE_CONTEXT).sort()) {
      hash.update(`${name}\0`).update(fs.readFileSync(path.join(BASE_IMAGE_CONTEXT, name)));
    }
    cached = `base-${hash.digest("hex").slice(0, 12)}`;
  }
  return cached;
}
