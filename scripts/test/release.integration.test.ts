/**
 * tools/packages/release.ts's registry and git steps that the e2e release test does not reach:
 * registryVersions against a stand-in registry on 127.0.0.1 (the anonymous read of a package's
 * metadata, and npm, with the credentials it is configured with, for a registry that refuses
 * it), and the release's git tags in a scratch repository (the e2e test releases with
 * --no-git-tag from a copy that is not a git checkout).
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registryVersions, tagPackages } from "../../tools/packages/release.ts";

let server: Server;
let registry: string;
const requests: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push(request);
    if (request.url === "/@acs-connect%2fclient") {
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ name: "@acs-connect/client", versions: { "0.1.0": {}, "0.2.0": {} } }));
    } else if (request.url?.startsWith("/private")) {
      response.writeHead(401, { "content-type": "application/json", "www-authenticate": "Bearer" }).end('{"error":"authentication required"}');
    } else {
      response.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("registryVersions", () => {
  it("lists the versions of a scoped package from its metadata, with the scope's slash escaped", async () => {
    expect(await registryVersions("@acs-connect/client", registry)).toEqual(["0.1.0", "0.2.0"]);
    // The abbreviated metadata, which this module asks for (npm view asks for the full document).
    expect(requests.at(-1)!.headers.accept).toContain("application/vnd.npm.install-v1+json");
  });

  it("is empty for a package the registry does not know", async () => {
    expect(await registryVersions("@acs-connect/nothing", registry)).toEqual([]);
  });

  it("asks npm, with its configured credentials, when the registry refuses an anonymous read", async () => {
    const before = requests.length;
    // npm is refused too (this registry accepts nobody), and says so.
    await expect(registryVersions("private-package", registry)).rejects.toThrow(/npm view private-package versions --json/);
    const asked = requests.slice(before).map((request) => String(request.headers.accept));
    expect(asked[0]).toContain("application/vnd.npm.install-v1+json");
    // Then npm's own request, for the full document.
    expect(asked.slice(1).some((accept) => !accept.includes("install-v1"))).toBe(true);
  });
});

describe("tagPackages", () => {
  it("tags each package's version as changesets does (annotated), and leaves an existing tag alone", async () => {
    const repo = await mkdtemp(path.join(os.tmpdir(), "acs-connect-tags-"));
    try {
      const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, encoding: "utf8" }).trim();
      git("init", "--quiet");
      git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "--quiet", "--allow-empty", "-m", "release");
      const packages = [
        { name: "@acs-connect/types", version: "0.2.0" },
        { name: "@acs-connect/client", version: "0.2.0" },
      ];
      const env = { ...process.env, GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.invalid" };
      expect(await tagPackages(packages, repo, env)).toBe(0);
      expect(git("tag", "--list").split("\n").sort()).toEqual(["@acs-connect/client@0.2.0", "@acs-connect/types@0.2.0"]);
      expect(git("cat-file", "-t", "@acs-connect/types@0.2.0")).toBe("tag");
      // Again (a release finished with --publish-only): nothing to do, no failure.
      expect(await tagPackages(packages, repo, env)).toBe(0);
    } finally {
      await rm(repo, { recursive: true, force: true });
    }
  });
});
