/**
 * The Fetch handler on its own (no node:http): its body limit, and the default of
 * `validateResponses`, which the Node fast path tests do not reach.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createConnectHandler, mockConnect } from "@acs-connect/server";
import { BODY, KEY, TARGET, signedHeaders } from "./helpers.ts";

const HOST = "connect.test";

/** A signed Fetch request for `body`, streamed (no Content-Length) unless `length` is given. */
function request(body: string, options: { stream?: boolean } = {}): Request {
  const bytes = new TextEncoder().encode(body);
  const headers = { ...signedHeaders({ host: HOST, body }), "content-type": "application/json" };
  if (!options.stream) return new Request(`http://${HOST}${TARGET}`, { method: "POST", headers, body: bytes });
  // A body of unknown length: the handler cannot refuse it from a header and must count while reading.
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let offset = 0; offset < bytes.length; offset += 16) controller.enqueue(bytes.subarray(offset, offset + 16));
      controller.close();
    },
  });
  return new Request(`http://${HOST}${TARGET}`, { method: "POST", headers, body: stream, duplex: "half" } as RequestInit);
}

describe("the Fetch handler's body limit", () => {
  const handle = createConnectHandler({ connect: mockConnect, auth: { accessKey: KEY }, maxBodyBytes: 200 });
  const large = JSON.stringify({ ...BODY, operationContext: "x".repeat(400) });

  it("accepts a body within maxBodyBytes", async () => {
    const response = await handle(request(JSON.stringify(BODY), { stream: true }));
    expect(response.status).toBe(200);
  });

  it("refuses a larger body with a length with 413 in the API's error shape", async () => {
    const response = await handle(request(large));
    expect(response.status).toBe(413);
    expect((await response.json()).error).toMatchObject({ code: "PayloadTooLarge", target: "body" });
  });

  it("refuses a larger streamed body with 413 once it has read past the limit", async () => {
    const response = await handle(request(large, { stream: true }));
    expect(response.status).toBe(413);
    expect((await response.json()).error).toMatchObject({ code: "PayloadTooLarge", message: expect.stringContaining("200 bytes") });
  });
});

describe("validateResponses", () => {
  const saved = process.env.NODE_ENV;
  afterEach(() => {
    if (saved === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = saved;
  });
  // A handler that breaks the contract: callConnectionState must be a string.
  const broken = () => ({ callConnectionId: "c1", callConnectionState: 42 }) as never;

  it("is on by default outside production: an invalid handler result is a 500 naming the path", async () => {
    delete process.env.NODE_ENV;
    const handle = createConnectHandler({ connect: broken, auth: { accessKey: KEY } });
    const response = await handle(request(JSON.stringify(BODY)));
    expect(response.status).toBe(500);
    expect((await response.json()).error).toMatchObject({ code: "InvalidHandlerResponse", target: "$.callConnectionState" });
  });

  it("is off by default when NODE_ENV is production: the result is sent as returned", async () => {
    process.env.NODE_ENV = "production";
    const handle = createConnectHandler({ connect: broken, auth: { accessKey: KEY } });
    const response = await handle(request(JSON.stringify(BODY)));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ callConnectionId: "c1", callConnectionState: 42 });
  });

  it("follows the option over NODE_ENV", async () => {
    process.env.NODE_ENV = "production";
    const handle = createConnectHandler({ connect: broken, auth: { accessKey: KEY }, validateResponses: true });
    expect((await handle(request(JSON.stringify(BODY)))).status).toBe(500);
  });
});
