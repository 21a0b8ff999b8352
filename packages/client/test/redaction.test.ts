/**
 * A JWT the service or a proxy echoes back on its own, without the `Bearer` scheme in front of
 * it, is redacted too: the scheme pattern cannot see it, only the token's own shape can.
 */
import { afterEach, describe, expect, it } from "vitest";
import { CallAutomationError, createCallAutomationClient } from "@acs-connect/client";
import { REQUEST, json, startServer, type TestServer } from "./helpers/server.ts";

const TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJiYXJlLWp3dCJ9.YmFyZS1zaWduYXR1cmU";
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("a bare JWT in an error", () => {
  it.each([
    ["a CommunicationErrorResponse message", () => ({ error: { code: "Forbidden", message: `The token ${TOKEN} has expired.` } })],
    ["a plain JSON body", () => ({ detail: `token=${TOKEN}` })],
  ])("echoed in %s is redacted everywhere the error is shown", async (_, body) => {
    server = await startServer((_request, res) => json(res, 403, body()));
    const client = createCallAutomationClient({ endpoint: server.url, token: TOKEN, retry: { maxRetries: 0 } });
    const error = (await client.connect(REQUEST).catch((e: unknown) => e)) as CallAutomationError;
    expect(error).toBeInstanceOf(CallAutomationError);
    expect(error.status).toBe(403);
    expect(error.message).toContain("[redacted]");
    for (const rendered of [error.message, String(error), JSON.stringify(error), error.stack ?? "", error.serviceMessage ?? ""]) {
      expect(rendered).not.toContain(TOKEN);
      expect(rendered).not.toContain(TOKEN.split(".")[1]!);
    }
  });
});
