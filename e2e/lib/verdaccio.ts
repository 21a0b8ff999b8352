/**
 * A private npm registry for the end-to-end test: Verdaccio as a child process on 127.0.0.1,
 * with no uplinks (it never forwards a request to another registry), its storage in a temporary
 * folder, one user, and an .npmrc that sends npm and pnpm there and nowhere else.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { ROOT } from "../../tools/paths.ts";
import { createHash } from "node:crypto";
import { environmentWithoutNpmConfig, stopChild, waitFor } from "../../tools/packages/process.ts";
import type { PackedPackage } from "../../tools/packages/tarball.ts";

export interface Registry {
  /** e.g. http://127.0.0.1:41234/ */
  url: string;
  /** The .npmrc with the registry and the user's token. */
  npmrc: string;
  /**
   * An environment for npm/pnpm/changesets that knows only this registry: npm_* variables of the
   * parent removed, user and global config files replaced by ours.
   */
  env: NodeJS.ProcessEnv;
  output(): string;
  /**
   * The versions the registry holds of a package (empty when it does not know it), read from its
   * HTTP API as the test user: what `npm view <name> versions` prints, without starting npm.
   */
  versions(name: string): Promise<string[]>;
  /**
   * Publishes a packed package as `npm publish <tarball>` would, with the request npm sends (one
   * PUT of the package document with the tarball attached), as the test user, tagged latest.
   */
  publish(packed: Pick<PackedPackage, "bytes" | "manifest">): Promise<void>;
  stop(): Promise<number | null>;
}

const VERDACCIO = path.join(ROOT, "node_modules/verdaccio/bin/verdaccio");
const USER = { name: "e2e", password: "e2e-password-not-secret" };

/** A port that was free a moment ago (Verdaccio takes a port, not a listening socket). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function config(folder: string): string {
  return [
    `storage: ${JSON.stringify(path.join(folder, "storage"))}`,
    "auth:",
    "  htpasswd:",
    `    file: ${JSON.stringify(path.join(folder, "htpasswd"))}`,
    "    max_users: 1",
    // No uplinks: a package that was not published here does not exist.
    "uplinks: {}",
    "packages:",
    // As on npmjs.com, anyone may read the published (public) packages, and only the user may
    // publish: `pnpm release` reads what the registry has anonymously, without starting npm.
    "  '@acs-connect/*':",
    "    access: $all",
    "    publish: $authenticated",
    // The third-party packages stay behind the login, so the consumer's install uses the token.
    "  '**':",
    "    access: $authenticated",
    "    publish: $authenticated",
    "web:",
    "  enable: false",
    "log: { type: stdout, format: pretty, level: warn }",
    "",
  ].join("\n");
}

/** Starts Verdaccio in `folder` (created if needed) and creates the test user. */
export async function startVerdaccio(folder: string): Promise<Registry> {
  await mkdir(folder, { recursive: true });
  const configFile = path.join(folder, "config.yaml");
  await writeFile(configFile, config(folder));
  let child: ChildProcess | undefined;
  let output = "";
  let url = "";
  // The port is free when chosen but could be taken before Verdaccio binds it: try a few.
  for (let attempt = 1; attempt <= 3 && !url; attempt++) {
    const port = await freePort();
    output = "";
    child = spawn(process.execPath, [VERDACCIO, "--config", configFile, "--listen", `127.0.0.1:${port}`], {
      cwd: folder,
      env: environmentWithoutNpmConfig(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    try {
      url = await waitFor("Verdaccio did not start", () => (/http address - (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1] ?? undefined), {
        child,
        timeoutMs: 30_000,
        output: () => output,
      });
    } catch (error) {
      await stopChild(child);
      if (attempt === 3 || !/EADDRINUSE/.test(output)) throw error;
    }
  }
  const server = child!;
  const stop = () => stopChild(server);
  try {
    // Creating the user answers with a token for it (npm adduser does the same request).
    const response = await fetch(`${url}-/user/org.couchdb.user:${USER.name}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: USER.name, password: USER.password }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as { token?: string };
    if (!response.ok || !body.token) throw new Error(`Verdaccio did not create the user: ${response.status} ${JSON.stringify(body)}`);
    const host = url.replace(/^http:/, "");
    const npmrc = path.join(folder, "npmrc");
    const emptyGlobal = path.join(folder, "global-npmrc");
    await writeFile(emptyGlobal, "");
    await writeFile(
      npmrc,
      [
        `registry=${url}`,
        `${host}:_authToken=${body.token}`,
        `cache=${path.join(folder, "npm-cache")}`,
        "audit=false",
        "fund=false",
        "update-notifier=false",
        "",
      ].join("\n"),
    );
    const env = environmentWithoutNpmConfig({
      npm_config_userconfig: npmrc,
      npm_config_globalconfig: emptyGlobal,
      npm_config_registry: url,
    });
    const token = body.token;
    const versions = async (name: string) => {
      const response = await fetch(`${url}${name.replace("/", "%2f")}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
      if (response.status === 404) return [];
      if (!response.ok) throw new Error(`Verdaccio answered ${response.status} for ${name}: ${await response.text()}`);
      return Object.keys(((await response.json()) as { versions?: Record<string, unknown> }).versions ?? {});
    };
    const publish = async ({ bytes, manifest }: Pick<PackedPackage, "bytes" | "manifest">) => {
      const { name, version } = manifest;
      const filename = `${name}-${version}.tgz`;
      const document = {
        _id: name,
        name,
        "dist-tags": { latest: version },
        versions: {
          [version]: {
            ...manifest,
            _id: `${name}@${version}`,
            dist: {
              shasum: createHash("sha1").update(bytes).digest("hex"),
              integrity: `sha512-${createHash("sha512").update(bytes).digest("base64")}`,
              tarball: `${url}${name}/-/${filename.replace(/^@[^/]+\//, "")}`,
            },
          },
        },
        access: "public",
        _attachments: { [filename]: { content_type: "application/octet-stream", data: bytes.toString("base64"), length: bytes.length } },
      };
      const response = await fetch(`${url}${name.replace("/", "%2f")}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(document),
        signal: AbortSignal.timeout(60_000),
      });
      if (!response.ok) throw new Error(`Verdaccio refused ${name}@${version}: ${response.status} ${await response.text()}`);
    };
    return { url, npmrc, env, output: () => output, versions, publish, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
