/**
 * Real OCI registries and images for the copy-image.sh tests, without Docker: CNCF distribution
 * (`docker-registry serve`, Debian's docker-registry package) on loopback ports, and tiny images
 * written as OCI image layouts (image-spec image-layout.md: `oci-layout`, `index.json`,
 * `blobs/sha256/<hex>`) that `skopeo copy oci:<dir>:<ref> docker://...` pushes.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import * as zlib from "zlib";

export interface LocalRegistry {
  /** `127.0.0.1:<port>`: the registry host of image references. */
  host: string;
  stop(): Promise<void>;
}

/** A TCP port free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/v2/", timeout: 500 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => {
      req.destroy();
      resolve(false);
    });
  });
}

/**
 * Starts `docker-registry serve` with a minimal configuration (distribution's docs/configuration.md:
 * filesystem storage under `dir`, `http.addr` on a free loopback port, no auth) and waits until
 * `GET /v2/` answers 200. Its own process and port: a system-wide registry service, if the Debian
 * package started one, is not used.
 */
export async function startRegistry(dir: string): Promise<LocalRegistry> {
  const port = await freePort();
  fs.mkdirSync(path.join(dir, "storage"), { recursive: true });
  const config = path.join(dir, "config.yml");
  fs.writeFileSync(
    config,
    [
      "version: 0.1",
      "log:",
      "  level: error",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${path.join(dir, "storage")}`,
      "http:",
      `  addr: 127.0.0.1:${port}`,
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn("docker-registry", ["serve", config], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += String(d)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await answers(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new Error(`docker-registry did not start on port ${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host: `127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

function sha256(data: Buffer | string): string {
  return crypto.createHash("sha256").update(data).digest("hex");
}

/** A ustar archive of one regular file (POSIX ustar header, two zero blocks at the end). */
function tarOf(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string) =>
    header.write(value, offset, length, "ascii");
  const octal = (value: number, length: number) =>
    value.toString(8).padStart(length - 1, "0") + "\0";
  field(0, 100, name);
  field(100, 8, octal(0o644, 8));
  field(108, 8, octal(0, 8));
  field(116, 8, octal(0, 8));
  field(124, 12, octal(content.length, 12));
  field(136, 12, octal(0, 12));
  field(148, 8, "        ");
  field(156, 1, "0");
  field(257, 6, "ustar\0");
  field(263, 2, "00");
  let sum = 0;
  for (const byte of header) sum += byte;
  field(148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

/**
 * Writes a one-layer OCI image (a gzip'd tar holding `hello.txt` with `text`, its config, its
 * manifest) as an OCI image layout in `dir`, referenced as `ref`. Returns the manifest digest.
 */
export function writeOciImage(dir: string, text: string, ref = "v1"): string {
  const blobs = path.join(dir, "blobs", "sha256");
  fs.mkdirSync(blobs, { recursive: true });
  const put = (data: Buffer | string) => {
    const hex = sha256(data);
    fs.writeFileSync(path.join(blobs, hex), data);
    return { digest: `sha256:${hex}`, size: Buffer.byteLength(data) };
  };
  const tar = tarOf("hello.txt", Buffer.from(text));
  const layer = put(zlib.gzipSync(tar));
  const config = put(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: {},
      rootfs: { type: "layers", diff_ids: [`sha256:${sha256(tar)}`] },
    }),
  );
  const manifest = put(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }],
    }),
  );
  fs.writeFileSync(
    path.join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          ...manifest,
          annotations: { "org.opencontainers.image.ref.name": ref },
        },
      ],
    }),
  );
  fs.writeFileSync(path.join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  return manifest.digest;
}

/** Pushes the layout's `ref` to `docker://<dest>` over plain HTTP, keeping its digest. */
export function pushOciImage(dir: string, dest: string, ref = "v1"): void {
  const r = spawnSync(
    "skopeo",
    [
      "copy",
      "--quiet",
      "--preserve-digests",
      "--dest-tls-verify=false",
      `oci:${dir}:${ref}`,
      `docker://${dest}`,
    ],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`skopeo copy to ${dest} failed: ${r.stderr}`);
}

/** The manifest digest of `docker://<ref>` ("" when the registry does not know it). */
export function digestOf(ref: string): string {
  const r = spawnSync("skopeo", ["inspect", "--tls-verify=false", "--raw", `docker://${ref}`]);
  if (r.status !== 0) {
    if (/manifest unknown|name unknown/i.test(String(r.stderr))) return "";
    throw new Error(`skopeo inspect ${ref} failed: ${r.stderr}`);
  }
  return `sha256:${sha256(r.stdout)}`;
}
