/**
 * tools/packages/release.ts's registryVersions against a stand-in registry on 127.0.0.1: the
 * anonymous read of a package's metadata, and npm (with the credentials it is configured with)
 * for a registry that refuses it. The e2e release test reads a real Verdaccio the same way.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registryVersions } from "../../tools/packages/release.ts";

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
