/**
 * The node:http adapter: slow or oversized clients do not stall the server, malformed HTTP is
 * answered in the API's error shape, any Fetch handler can be served, and shutdown finishes
 * requests in flight.
 */
import { connect as tcpConnect } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { closeGracefully, createNodeServer } from "@acs-connect/server";
import { BODY, TARGET, send, signedHeaders, startServer, wellFormedCredentialLines, type TestServer } from "./helpers.ts";

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** Writes raw bytes on a TCP connection and collects everything the server answers until it closes. */
function raw(port: number, chunks: Array<string | { waitMs: number }>, deadlineMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, "127.0.0.1");
    let answer = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${deadlineMs} ms; got: ${answer}`));
    }, deadlineMs);
    socket.on("data", (data) => (answer += data.toString("utf8")));
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.on("error", () => {});
    socket.on("connect", async () => {
      for (const chunk of chunks) {
        if (typeof chunk === "string") {
          if (!socket.destroyed) socket.write(chunk);
        } else await new Promise((wait) => setTimeout(wait, chunk.waitMs));
      }
    });
  });
}

describe("slow and oversized requests", () => {
  it("a client trickling its body is cut off with a JSON 408 while others are served", async () => {
    const server = await startServer({}, { requestTimeoutMs: 600, headersTimeoutMs: 400 });
    servers.push(server);
    const slow = raw(server.port, [
      // A credential of the right form, so the server goes on to read the body.
      `POST ${TARGET} HTTP/1.1\r\nHost: ${server.host}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n` +
        `${wellFormedCredentialLines()}\r\n{"callLocator":`,
      ...Array.from({ length: 40 }, () => ({ waitMs: 100 })),
      " ",
    ]);
    // Meanwhile, normal requests complete.
    for (let i = 0; i < 5; i++) expect((await server.connect()).status).toBe(200);
    const answer = await slow;
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('{"error":{"code":"RequestTimeout","message":"The request was not received in time."}}');
  });

  it("a client that never finishes its headers is cut off", async () => {
    const server = await startServer({}, { requestTimeoutMs: 600, headersTimeoutMs: 300 });
    servers.push(server);
    const answer = await raw(server.port, [`POST ${TARGET} HTTP/1.1\r\nHost: x\r\n`, { waitMs: 3_000 }]);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("an oversized body is refused without being read to the end", async () => {
    const server = await startServer({ maxBodyBytes: 1_024 });
    servers.push(server);
    const chunk = "x".repeat(64 * 1024);
    const answer = await raw(server.port, [
      `POST ${TARGET} HTTP/1.1\r\nHost: ${server.host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n` +
        `${wellFormedCredentialLines()}\r\n`,
      // Up to 10 MiB offered; the server answers after the first KiB and closes the connection.
      ...Array.from({ length: 160 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`),
    ]);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain('"code":"PayloadTooLarge"');
    expect(answer.toLowerCase()).toContain("connection: close");
    expect((await server.connect()).status).toBe(200);
  });
});

describe("malformed HTTP", () => {
  it("is answered with a JSON 400", async () => {
    const server = await startServer();
    servers.push(server);
    const answer = await raw(server.port, ["NOT HTTP AT ALL\r\n\r\n"]);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('{"error":{"code":"BadRequest","message":"The request is not valid HTTP/1.1."}}');
  });

  it("headers over the size limit get a JSON 431", async () => {
    const server = await startServer();
    servers.push(server);
    const answer = await raw(server.port, [`POST ${TARGET} HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`]);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(answer).toContain('"code":"RequestHeaderFieldsTooLarge"');
  });
});

describe("any Fetch handler", () => {
  it("is served through the Fetch conversion", async () => {
    const server = createNodeServer(async (request) => {
      const body = await request.text();
      return Response.json({ method: request.method, url: new URL(request.url).pathname, body, host: request.headers.get("host") }, { status: 201 });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const answer = await send(port, { target: "/echo", body: "hello", headers: { "content-type": "text/plain" } });
      expect(answer.status).toBe(201);
      expect(answer.json).toEqual({ method: "POST", url: "/echo", body: "hello", host: `127.0.0.1:${port}` });
    } finally {
      await closeGracefully(server, 1_000);
    }
  });

  it("whose errors become a JSON 500", async () => {
    const server = createNodeServer(async () => {
      throw new Error("secret detail");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const answer = await send((server.address() as AddressInfo).port, { target: "/" });
      expect(answer.status).toBe(500);
      expect(answer.json).toEqual({ error: { code: "InternalServerError", message: "The server failed to process the request." } });
    } finally {
      await closeGracefully(server, 1_000);
    }
  });
});

describe("shutdown", () => {
  it("finishes the requests in flight", async () => {
    let release!: () => void;
    const started = new Promise<void>((resolve) => {
      const server = startServer({
        connect: async () => {
          resolve();
          await new Promise<void>((done) => (release = done));
          return { callConnectionId: "finished" };
        },
      });
      void server.then((s) => servers.push(s));
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const server = servers.at(-1)!;
    const inFlight = server.connect();
    await started;
    const closed = closeGracefully(server.server, 5_000);
    release();
    expect((await inFlight).json).toEqual({ callConnectionId: "finished" });
    await closed;
    expect(server.server.listening).toBe(false);
    servers.pop();
  });
});
