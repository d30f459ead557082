import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

export const BASE_IMAGE_DOCKERFILE = path.join(
  __dirname,
  "..",
  "templates",
  "base-image",
  "Dockerfile",
);

let cached: string | undefined;

/**
 * Content-addressed tag of the platform base image: a new Dockerfile means a new tag, and since
 * ECR tags are immutable the tag pins the image as firmly as its digest, yet is known before the
 * build (so service Dockerfiles can name it at declaration time).
 */
export function baseImageTag(): string {
  if (!cached) {
    const bytes = fs.readFileSync(BASE_IMAGE_DOCKERFILE);
    cached = `base-${createHash("sha256").update(bytes).digest("hex").slice(0, 12)}`;
  }
  return cached;
}
