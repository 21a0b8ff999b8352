/**
 * Routing and validation, driven by the generated route table and validators: every failure a
 * caller can cause is a CommunicationErrorResponse naming the field or header at fault.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import spec from "@acs-connect/spec";
import { audioFormatValues } from "@acs-connect/types";
// The compiled validators are internal to the package; tests reach them through the source.
import { responseValidators } from "../src/generated/validators/validators.gen.js";
import { polymorphicBases } from "../../../core/src/index.ts";
import { BODY, KEY, PATH, TARGET, send, signedHeaders, startServer, type Answer, type TestServer } from "./helpers.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

/** Every error is a valid CommunicationErrorResponse with the expected code and target. */
function expectError(answer: Answer, status: number, code: string, target?: string) {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
  expect(responseValidators.CommunicationErrorResponse(answer.json), answer.text).toBe(true);
  expect(answer.json.error.code).toBe(code);
  if (target !== undefined) expect(answer.json.error.target).toBe(target);
  expect(answer.headers["x-ms-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
}

describe("routing", () => {
  it("answers 200 with the handler's result for a signed, valid request", async () => {
    const answer = await server.connect();
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toMatchObject({ callConnectionState: "connecting", callbackUri: BODY.callbackUri });
    expect(answer.headers["repeatability-result"]).toBeUndefined();
  });

  it("matches the path with a percent-encoded colon too", async () => {
    const answer = await server.connect(BODY, { target: "/calling/callConnections%3Aconnect?api-version=2025-05-15" });
    expect(answer.status, answer.text).toBe(200);
  });

  it("answers 404 for an unknown path", async () => {
    expectError(await send(server.port, { target: "/calling/callConnections?api-version=2025-05-15" }), 404, "NotFound", "path");
  });

  it("answers 405 with Allow for a wrong method", async () => {
    const answer = await send(server.port, { method: "GET", target: TARGET });
    expectError(answer, 405, "MethodNotAllowed", "method");
    expect(answer.headers.allow).toBe("POST");
    expect(answer.json.error.message).toBe(`${PATH} accepts POST, not GET.`);
  });
});

describe("the body", () => {
  it("answers 415 for another media type, naming Content-Type", async () => {
    const answer = await server.connect(BODY, { headers: { "content-type": "text/plain" } });
    expectError(answer, 415, "UnsupportedMediaType", "Content-Type");
    expect(answer.json.error.message).toBe("The request body must be application/json, not text/plain.");
  });

  it("accepts application/json with parameters", async () => {
    const answer = await server.connect(BODY, { headers: { "content-type": "Application/JSON; charset=utf-8" } });
    expect(answer.status, answer.text).toBe(200);
  });

  it("answers 413 when Content-Length is over the limit, before reading the body", async () => {
    const small = await startServer({ maxBodyBytes: 64 });
    try {
      expectError(await small.connect(), 413, "PayloadTooLarge", "body");
    } finally {
      await small.close();
    }
  });

  it("answers 413 for a chunked body that grows over the limit", async () => {
    const small = await startServer({ maxBodyBytes: 64 });
    try {
      const body = JSON.stringify(BODY);
      const answer = await send(small.port, {
        body,
        headers: { "transfer-encoding": "chunked", "content-type": "application/json", ...signedHeaders({ host: small.host, body }) },
      });
      expectError(answer, 413, "PayloadTooLarge", "body");
      expect(answer.headers.connection).toBe("close");
    } finally {
      await small.close();
    }
  });

  it("answers 400 for malformed JSON", async () => {
    const answer = await server.connect('{"callLocator": ');
    expectError(answer, 400, "InvalidJson", "body");
    expect(answer.json.error.message).toMatch(/^The request body is not valid JSON: /);
  });

  it("answers 400 for an empty body", async () => {
    expectError(await server.connect(""), 400, "MissingBody", "body");
  });

  it("names every JSON path at fault, subtype fields behind the discriminator included", async () => {
    const answer = await server.connect({
      callLocator: { kind: "roomCallLocator", roomId: 42 },
      mediaStreamingOptions: { transportType: "websocket", audioChannelType: "mixed", audioFormat: "pcm48KStereo", transportUrl: 1 },
    });
    expectError(answer, 400, "InvalidRequestBody");
    expect(answer.json.error.details).toEqual([
      { code: "MissingProperty", message: "$.callbackUri is required.", target: "$.callbackUri" },
      { code: "InvalidType", message: "$.callLocator.roomId must be string.", target: "$.callLocator.roomId" },
      { code: "InvalidType", message: "$.mediaStreamingOptions.transportUrl must be string.", target: "$.mediaStreamingOptions.transportUrl" },
      {
        code: "UnknownEnumValue",
        message: `$.mediaStreamingOptions.audioFormat must be one of: ${audioFormatValues.join(", ")}.`,
        target: "$.mediaStreamingOptions.audioFormat",
      },
    ]);
    expect(answer.json.error.target).toBe("$.callbackUri");
  });

  it("rejects an unknown discriminator value with the allowed list", async () => {
    const answer = await server.connect({ ...BODY, transcriptionOptions: { transportType: "grpc", locale: "en-US" } });
    expectError(answer, 400, "InvalidRequestBody", "$.transcriptionOptions.transportType");
    expect(answer.json.error.details[0].message).toBe(`$.transcriptionOptions.transportType must be one of: ${polymorphicBases(spec).get("TranscriptionOptions")!.subtypes.map(({ value }) => value).join(", ")}.`);
  });

  it("accepts unknown properties (forward compatibility)", async () => {
    const answer = await server.connect({ ...BODY, futureOption: { enabled: true } });
    expect(answer.status, answer.text).toBe(200);
  });
});

describe("parameters", () => {
  it("requires api-version", async () => {
    const answer = await server.connect(BODY, { target: PATH });
    expectError(answer, 400, "MissingParameter", "api-version");
    expect(answer.json.error.message).toBe("The query parameter api-version is required.");
  });

  it("refuses other api-versions, naming the one it implements", async () => {
    const answer = await server.connect(BODY, { target: `${PATH}?api-version=2026-03-12` });
    expectError(answer, 400, "UnsupportedApiVersion", "api-version");
    expect(answer.json.error.message).toBe("The api-version 2026-03-12 is not supported; this server implements 2025-05-15.");
  });

  it("ignores unknown query parameters", async () => {
    expect((await server.connect(BODY, { target: `${TARGET}&trace=1` })).status).toBe(200);
  });
});

describe("the handler", () => {
  it("gets the validated body and the parameters by their generated keys", async () => {
    let seen: unknown;
    const local = await startServer({
      connect: (request, context) => {
        seen = { request, parameters: context.parameters, scheme: context.auth.scheme, requestId: context.requestId };
        return { callConnectionId: "c1" };
      },
    });
    try {
      const answer = await local.connect(BODY, {
        headers: { "repeatability-request-id": "5f4c1fd5-6f5e-4d5a-9b3a-6b8e2a7f6c10", "repeatability-first-sent": new Date().toUTCString() },
      });
      expect(answer.status, answer.text).toBe(200);
      expect(seen).toMatchObject({
        request: BODY,
        parameters: { apiVersion: "2025-05-15", repeatabilityRequestID: "5f4c1fd5-6f5e-4d5a-9b3a-6b8e2a7f6c10" },
        scheme: "hmac",
        requestId: answer.headers["x-ms-request-id"],
      });
    } finally {
      await local.close();
    }
  });

  it("turns a thrown error into a 500 without leaking its message", async () => {
    const logged: unknown[] = [];
    const local = await startServer({
      connect: () => {
        throw new Error("database password is hunter2");
      },
      logger: { error: (entry) => logged.push(entry) },
    });
    try {
      const answer = await local.connect();
      expectError(answer, 500, "InternalServerError");
      expect(answer.text).not.toContain("hunter2");
      expect(answer.json.error.message).toContain(answer.headers["x-ms-request-id"]);
      expect(logged).toHaveLength(1);
    } finally {
      await local.close();
    }
  });

  it("maps a ServiceError to its status and body", async () => {
    const { ServiceError } = await import("@acs-connect/server");
    const local = await startServer({
      connect: () => {
        throw new ServiceError(404, "CallNotFound", "No call has that room id.", { target: "callLocator.roomId" });
      },
    });
    try {
      const answer = await local.connect();
      expectError(answer, 404, "CallNotFound", "callLocator.roomId");
      expect(answer.json.error.message).toBe("No call has that room id.");
    } finally {
      await local.close();
    }
  });

  it("in development, answers 500 naming the path when the handler returns an invalid result", async () => {
    const local = await startServer({
      validateResponses: true,
      // A typo a handler author makes: the state as a number.
      connect: () => ({ callConnectionId: "c1", callConnectionState: 1 as unknown as "connecting" }),
    });
    try {
      const answer = await local.connect();
      expectError(answer, 500, "InvalidHandlerResponse", "$.callConnectionState");
      expect(answer.json.error.details[0].message).toBe("$.callConnectionState must be string.");
    } finally {
      await local.close();
    }
  });

  it("in production, returns what the handler returns", async () => {
    const local = await startServer({
      validateResponses: false,
      connect: () => ({ callConnectionId: "c1", callConnectionState: "parked" }),
    });
    try {
      const answer = await local.connect();
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ callConnectionId: "c1", callConnectionState: "parked" });
    } finally {
      await local.close();
    }
  });

  it("refuses bad options at creation, naming them", async () => {
    const { createConnectHandler } = await import("@acs-connect/server");
    const connect = () => ({});
    expect(() => createConnectHandler({ connect, auth: {} })).toThrow("auth needs accessKey (the resource's base64 access key), verifyToken, or both.");
    expect(() => createConnectHandler({ connect, auth: { accessKey: "not base64!" } })).toThrow(
      "auth.accessKey must be a non-empty base64 string (the resource's access key).",
    );
    expect(() => createConnectHandler({ connect, auth: { accessKey: KEY }, maxBodyBytes: -1 })).toThrow(/^maxBodyBytes must be a positive number/);
  });
});
