/**
 * Authentication as real ACS clients sign: the HMAC-SHA256 access-key scheme (including the
 * reference's test vector, verified against the server) and bearer tokens. Tampering with any
 * signed part is a 401 that does not say how the signature mismatched.
 */
import { createHash, createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnectHandler } from "@acs-connect/server";
import { BODY, KEY, PATH, TARGET, send, signedHeaders, startServer, type Answer, type TestServer } from "./helpers.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

function expectUnauthorized(answer: Answer, message: string) {
  expect(answer.status, answer.text).toBe(401);
  expect(answer.headers["www-authenticate"]).toBe('HMAC-SHA256 SignedHeaders="x-ms-date;host;x-ms-content-sha256"');
  expect(answer.json).toEqual({ error: { code: "Unauthorized", message, target: "Authorization" } });
}

describe("the reference's test vector", () => {
  // Verified through the Fetch handler with a fixed clock, so the vector's date is "now".
  const vectorKey = Buffer.alloc(32, 0x11).toString("base64");
  const body = '{"callLocator":{"roomId":"99434917639286209","kind":"roomCallLocator"},"callbackUri":"https://app.example/callback"}';
  const date = "Thu, 15 May 2025 08:49:37 GMT";
  const handle = createConnectHandler({
    connect: () => ({ callConnectionId: "vector" }),
    auth: { accessKey: vectorKey },
    now: () => Date.parse(date),
  });
  const request = (url: string, signature: string) =>
    handle(
      new Request(url, {
        method: "POST",
        body,
        headers: {
          "content-type": "application/json",
          "x-ms-date": date,
          "x-ms-content-sha256": "Sg0AbMmwmHXZZKLKW9J7W0bJb1ZHYB5osTe13fvAqKM=",
          authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
        },
      }),
    );

  it("verifies the https signature", async () => {
    const response = await request(`https://contoso.communication.azure.com${TARGET}`, "tc0uTEsL0ChhWGmcXfA8B0/mzCAA2kkYa4pA7Ytceq4=");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ callConnectionId: "vector" });
  });

  it("verifies the loopback signature, with the port in the host", async () => {
    const response = await request(`http://127.0.0.1:8443${TARGET}`, "a6DK4PANGy/BmWes6i4/7AJPNliLYmLT5RwINh7hsbE=");
    expect(response.status).toBe(200);
  });

  it("refuses the https signature on another host", async () => {
    const response = await request(`http://127.0.0.1:8443${TARGET}`, "tc0uTEsL0ChhWGmcXfA8B0/mzCAA2kkYa4pA7Ytceq4=");
    expect(response.status).toBe(401);
  });
});

describe("tampering", () => {
  const body = JSON.stringify(BODY);
  const valid = () => signedHeaders({ host: server.host, body });
  const post = (overrides: { target?: string; body?: string; headers?: Record<string, string> }) =>
    send(server.port, {
      target: overrides.target ?? TARGET,
      body: overrides.body ?? body,
      headers: { "content-type": "application/json", ...valid(), ...overrides.headers },
    });

  it("accepts the untouched request", async () => {
    expect((await post({})).status).toBe(200);
  });

  it("refuses a changed body (content hash no longer matches)", async () => {
    expectUnauthorized(
      await post({ body: body.replace("app.example", "evil.example") }),
      "The x-ms-content-sha256 header does not match the SHA-256 of the request body.",
    );
  });

  it("refuses a changed body with a recomputed content hash", async () => {
    const tampered = body.replace("app.example", "evil.example");
    const hash = createHash("sha256").update(tampered).digest("base64");
    expectUnauthorized(await post({ body: tampered, headers: { "x-ms-content-sha256": hash } }), "The request signature is invalid.");
  });

  it("refuses a changed path", async () => {
    expectUnauthorized(await post({ target: "/calling/callConnections%3Aconnect?api-version=2025-05-15" }), "The request signature is invalid.");
  });

  it("refuses a changed query", async () => {
    expectUnauthorized(await post({ target: `${TARGET}&x=1` }), "The request signature is invalid.");
  });

  it("refuses a changed date (inside the clock skew)", async () => {
    const earlier = new Date(Date.now() - 60_000).toUTCString();
    expectUnauthorized(await post({ headers: { "x-ms-date": earlier } }), "The request signature is invalid.");
  });

  it("refuses a changed signature", async () => {
    const headers = valid();
    const signature = headers.authorization!.split("Signature=")[1]!;
    const flipped = Buffer.from(signature, "base64");
    flipped[0]! ^= 1;
    expectUnauthorized(
      await post({ headers: { authorization: headers.authorization!.replace(signature, flipped.toString("base64")) } }),
      "The request signature is invalid.",
    );
  });

  it("refuses a signature made with another key", async () => {
    const other = signedHeaders({ host: server.host, body, key: Buffer.alloc(32, 0x22).toString("base64") });
    expectUnauthorized(await post({ headers: other }), "The request signature is invalid.");
  });

  it("refuses a request signed for another host", async () => {
    expectUnauthorized(await post({ headers: signedHeaders({ host: "127.0.0.1:1", body }) }), "The request signature is invalid.");
  });

  it("refuses an x-ms-date outside the clock skew, even when signed", async () => {
    const old = new Date(Date.now() - 6 * 60 * 1000).toUTCString();
    expectUnauthorized(
      await post({ headers: signedHeaders({ host: server.host, body, date: old }) }),
      "The x-ms-date header is more than 300 s away from the server's clock.",
    );
  });

  it("names missing or malformed headers", async () => {
    expectUnauthorized(await post({ headers: { authorization: "" } }), "The Authorization header is missing.");
    expectUnauthorized(await post({ headers: { authorization: "Basic dXNlcjpwYXNz" } }), "The Authorization header must use HMAC-SHA256 (access key).");
    expectUnauthorized(
      await post({ headers: { authorization: valid().authorization!.replace("x-ms-date;host;x-ms-content-sha256", "x-ms-date;host") } }),
      "The Authorization header must sign exactly SignedHeaders=x-ms-date;host;x-ms-content-sha256.",
    );
    expectUnauthorized(await post({ headers: { "x-ms-date": "yesterday" } }), "The x-ms-date header is not an RFC 1123 date, e.g. Sun, 06 Nov 1994 08:49:37 GMT.");
  });

  it("never echoes the signature, the key or the string to sign", async () => {
    const headers = valid();
    const answer = await post({ body: body.replace("app", "ppa") });
    for (const secret of [KEY, headers.authorization!.split("Signature=")[1]!, "POST\n"]) expect(answer.text).not.toContain(secret);
  });
});

describe("bearer tokens", () => {
  it("accepts what verifyToken accepts and refuses the rest", async () => {
    const seen: string[] = [];
    const bearer = await startServer({
      auth: {
        verifyToken: async (token) => {
          seen.push(token);
          return token === "good-token";
        },
      },
    });
    try {
      const body = JSON.stringify(BODY);
      const post = (authorization: string) =>
        send(bearer.port, { body, headers: { "content-type": "application/json", authorization } });
      expect((await post("Bearer good-token")).status).toBe(200);
      const refused = await post("Bearer bad-token");
      expect(refused.status).toBe(401);
      // RFC 6750 section 3.1: a token that was sent and refused is named invalid_token, so clients renew it.
      expect(refused.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
      expect(refused.json.error.message).toBe("The bearer token was not accepted.");
      expect(refused.text).not.toContain("bad-token");
      const hmac = await post(signedHeaders({ host: bearer.host, body }).authorization!);
      expect(hmac.json.error.message).toBe("The Authorization header must use Bearer.");
      // No bearer token was sent: the plain challenge, without an error code (RFC 6750 section 3).
      expect(hmac.headers["www-authenticate"]).toBe("Bearer");
      expect(seen).toEqual(["good-token", "bad-token"]);
    } finally {
      await bearer.close();
    }
  });

  it("accepts both forms when both are configured", async () => {
    const both = await startServer({ auth: { accessKey: KEY, verifyToken: (token) => token === "t" } });
    try {
      const body = JSON.stringify(BODY);
      expect((await both.connect()).status).toBe(200);
      const bearer = await send(both.port, { body, headers: { "content-type": "application/json", authorization: "Bearer t" } });
      expect(bearer.status).toBe(200);
      const none = await send(both.port, { body, headers: { "content-type": "application/json" } });
      expect(none.headers["www-authenticate"]).toBe('HMAC-SHA256 SignedHeaders="x-ms-date;host;x-ms-content-sha256", Bearer');
      const refused = await send(both.port, { body, headers: { "content-type": "application/json", authorization: "Bearer expired" } });
      expect(refused.status).toBe(401);
      expect(refused.headers["www-authenticate"]).toBe('HMAC-SHA256 SignedHeaders="x-ms-date;host;x-ms-content-sha256", Bearer error="invalid_token"');
    } finally {
      await both.close();
    }
  });
});

describe("an independent check of the string to sign", () => {
  it("is METHOD, path and query as received, then date;host;hash", async () => {
    const date = new Date().toUTCString();
    const body = JSON.stringify(BODY);
    const hash = createHash("sha256").update(body).digest("base64");
    const signature = createHmac("sha256", Buffer.from(KEY, "base64"))
      .update(["POST", `${PATH}?api-version=2025-05-15`, `${date};${server.host};${hash}`].join("\n"))
      .digest("base64");
    const answer = await send(server.port, {
      body,
      headers: {
        "content-type": "application/json",
        "x-ms-date": date,
        "x-ms-content-sha256": hash,
        authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
      },
    });
    expect(answer.status, answer.text).toBe(200);
  });
});
