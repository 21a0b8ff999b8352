import { afterEach, describe, expect, it } from "vitest";
import { CallAutomationError, createCallAutomationClient, type CallAutomationClient } from "@acs-connect/client";
import { REQUEST, TEST_KEY, connectionString, json, startServer, type Handler, type TestServer } from "./helpers/server.ts";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function failWith(handler: Handler, client?: (server: TestServer) => CallAutomationClient): Promise<CallAutomationError> {
  server = await startServer(handler, TEST_KEY);
  const c = client?.(server) ?? createCallAutomationClient({ connectionString: connectionString(server), retry: { maxRetries: 0 } });
  const error = await c.connect(REQUEST).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CallAutomationError);
  return error as CallAutomationError;
}

const text = (status: number, body: string, type = "text/html") => ((_, res) => res.writeHead(status, { "content-type": type }).end(body)) as Handler;

describe("CommunicationErrorResponse bodies", () => {
  it("maps code, message, target, details and innererror as sent, plus the support headers", async () => {
    const body = {
      error: {
        code: "BadRequest",
        message: "The request is invalid.",
        target: "callbackUri",
        details: [{ code: "MissingProperty", message: "The property 'callbackUri' is required.", target: "$.callbackUri" }],
        innererror: { code: "ValidationFailed", message: "Schema validation failed.", innererror: { code: "Deeper", message: "Deepest." } },
      },
    };
    const error = await failWith((_, res) => json(res, 400, body, { "x-ms-request-id": "req-123", "repeatability-result": "rejected" }));
    const sent = server!.requests[0]!.headers;
    expect(error.message).toBe("Connect failed: 400 BadRequest: The request is invalid. (target: callbackUri)");
    expect(error).toMatchObject({
      name: "CallAutomationError",
      status: 400,
      code: "BadRequest",
      serviceMessage: "The request is invalid.",
      target: "callbackUri",
      requestId: "req-123",
      repeatabilityResult: "rejected",
      repeatabilityRequestId: sent["repeatability-request-id"],
      repeatabilityFirstSent: sent["repeatability-first-sent"],
      clientRequestId: sent["x-ms-client-request-id"],
    });
    expect(error.details).toEqual(body.error.details);
    expect(error.innererror).toEqual(body.error.innererror);
    expect(error).toBeInstanceOf(Error);
  });

  it("serializes to JSON with name, message and fields", async () => {
    const error = await failWith((_, res) => json(res, 404, { error: { code: "NotFound", message: "No such call." } }));
    const parsed = JSON.parse(JSON.stringify(error)) as Record<string, unknown>;
    expect(parsed).toMatchObject({ name: "CallAutomationError", message: "Connect failed: 404 NotFound: No such call.", status: 404, code: "NotFound" });
    expect(String(error)).toBe("CallAutomationError: Connect failed: 404 NotFound: No such call.");
  });
});

describe("bodies that are not a CommunicationErrorResponse", () => {
  it("an HTML page gives HttpError with a one-line snippet", async () => {
    const error = await failWith(text(404, "<html>\n  <body><h1>Not Found</h1></body>\n</html>\n"));
    expect(error).toMatchObject({ status: 404, code: "HttpError" });
    expect(error.message).toBe("Connect failed: 404 HttpError: <html> <body><h1>Not Found</h1></body> </html>");
  });

  it("an empty body gives HttpError with the status text", async () => {
    const error = await failWith((_, res) => res.writeHead(401).end());
    expect(error.message).toBe("Connect failed: 401 HttpError: Unauthorized (empty body)");
  });

  it("other JSON gives HttpError quoting it", async () => {
    const error = await failWith((_, res) => json(res, 409, { message: "conflict" }));
    expect(error.message).toBe('Connect failed: 409 HttpError: {"message":"conflict"}');
  });

  it("a long body is cut to 200 characters", async () => {
    const error = await failWith(text(400, "x".repeat(5000), "text/plain"));
    expect(error.message).toBe(`Connect failed: 400 HttpError: ${"x".repeat(200)}…`);
  });

  it.each([
    ["not JSON", "<html>ok</html>"],
    ["empty", ""],
    ["JSON null", "null"],
  ])("a 200 whose body is %s gives InvalidResponse with the repeatability pair to repeat the call", async (_, body) => {
    const error = await failWith(text(200, body, "application/json"));
    expect(error).toMatchObject({ status: 200, code: "InvalidResponse", repeatabilityRequestId: server!.requests[0]!.headers["repeatability-request-id"] });
    expect(error.message).toMatch(/^Connect failed: 200 InvalidResponse: /);
  });
});

describe("no secret in any error", () => {
  const TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtdXNlciJ9.c2lnbmF0dXJlLXNlY3JldA";
  const echo: Handler = (request, res) => res.writeHead(401, { "content-type": "text/plain" }).end(`Denied. You sent Authorization: ${request.headers.authorization}`);
  const echoJson: Handler = (request, res) => json(res, 403, { error: { code: "Forbidden", message: `Token ${request.headers.authorization} rejected`, target: "Authorization" } });

  const expectClean = (error: CallAutomationError, secrets: string[]) => {
    for (const rendered of [error.message, String(error), JSON.stringify(error), error.stack ?? "", JSON.stringify(error.serviceMessage ?? "")]) {
      for (const secret of secrets) expect(rendered).not.toContain(secret);
    }
  };

  it.each([
    ["a text body", echo],
    ["a CommunicationErrorResponse", echoJson],
  ])("a bearer token echoed back in %s is redacted", async (_, handler) => {
    const error = await failWith(handler, (s) => createCallAutomationClient({ endpoint: s.url, token: TOKEN, retry: { maxRetries: 0 } }));
    expect(error.message).toContain("Bearer [redacted]");
    expectClean(error, [TOKEN, TOKEN.split(".")[1]!]);
  });

  it.each([
    ["a text body", echo],
    ["a CommunicationErrorResponse", echoJson],
  ])("an HMAC signature echoed back in %s is redacted; the key never appears", async (_, handler) => {
    const error = await failWith(handler);
    const signature = /Signature=(.+)$/.exec(String(server!.requests[0]!.headers.authorization))![1]!;
    expect(error.message).toContain("[redacted]");
    expectClean(error, [signature, TEST_KEY]);
  });

  it("a network failure names no credential", async () => {
    server = await startServer((_, res) => res.socket?.destroy());
    const client = createCallAutomationClient({ endpoint: server.url, token: TOKEN, retry: { maxRetries: 1, baseDelayMs: 1 } });
    const error = (await client.connect(REQUEST).catch((e: unknown) => e)) as CallAutomationError;
    expect(error.code).toBe("NetworkError");
    expectClean(error, [TOKEN]);
  });
});
