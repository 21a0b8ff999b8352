/**
 * The document states the Connect contract of api-version 2025-05-15 as the reference gives it
 * (../shared/reference/connect-api.md): these tests pin the facts a lint rule cannot know.
 * A deliberate change of the contract updates this table in the same review as the spec diff.
 */
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { describe, expect, it } from "vitest";
import { createValidator } from "../rules/lib/json-schema.js";
import { SPEC_FILE } from "../../scripts/lib/paths.ts";

const text = readFileSync(SPEC_FILE, "utf8");
const parsed = parseDocument(text, { uniqueKeys: true });
const doc = parsed.toJS();
const schemas: Record<string, any> = doc.components.schemas;
const operation = doc.paths["/calling/callConnections:connect"]?.post;

/** `$ref` target name, through the `allOf: [$ref]` wrapper that keeps descriptions. */
function typeOf(property: any): string {
  const ref = property.$ref ?? (property.allOf?.length === 1 ? property.allOf[0].$ref : undefined);
  if (ref) return ref.replace("#/components/schemas/", "");
  if (property.type === "array") return `${typeOf(property.items)}[]`;
  return property.type;
}

/** Own and inherited (allOf) properties and required names of a schema. */
function shape(name: string): { required: string[]; properties: Record<string, string>; readOnly: string[] } {
  const schema = schemas[name];
  const parts = [schema, ...(schema.allOf ?? []).map((part: any) => (part.$ref ? schemas[part.$ref.split("/").pop()] : part))];
  const properties: Record<string, string> = {};
  const required = new Set<string>();
  const readOnly: string[] = [];
  for (const part of parts) {
    for (const [key, value] of Object.entries<any>(part.properties ?? {})) {
      properties[key] = typeOf(value);
      if (value.readOnly) readOnly.push(key);
    }
    for (const key of part.required ?? []) required.add(key);
  }
  return { required: [...required].sort(), properties, readOnly };
}

const OBJECTS: Record<string, { required: string[]; properties: Record<string, string>; readOnly?: string[] }> = {
  ConnectRequest: {
    required: ["callLocator", "callbackUri"],
    properties: {
      callLocator: "CallLocator",
      callbackUri: "string",
      operationContext: "string",
      callIntelligenceOptions: "CallIntelligenceOptions",
      mediaStreamingOptions: "MediaStreamingOptions",
      transcriptionOptions: "TranscriptionOptions",
    },
  },
  CallLocator: {
    required: [],
    properties: { groupCallId: "string", serverCallId: "string", roomId: "string", kind: "CallLocatorKind" },
  },
  CallIntelligenceOptions: { required: [], properties: { cognitiveServicesEndpoint: "string" } },
  MediaStreamingOptions: {
    required: ["audioChannelType", "transportType"],
    properties: { transportType: "StreamingTransportType", audioChannelType: "MediaStreamingAudioChannelType" },
  },
  WebSocketMediaStreamingOptions: {
    required: ["audioChannelType", "transportType"],
    properties: {
      transportType: "StreamingTransportType",
      audioChannelType: "MediaStreamingAudioChannelType",
      transportUrl: "string",
      contentType: "MediaStreamingContentType",
      startMediaStreaming: "boolean",
      enableBidirectional: "boolean",
      audioFormat: "AudioFormat",
      enableDtmfTones: "boolean",
    },
  },
  TranscriptionOptions: {
    required: ["locale", "transportType"],
    properties: { transportType: "StreamingTransportType", locale: "string" },
  },
  WebSocketTranscriptionOptions: {
    required: ["locale", "transportType"],
    properties: {
      transportType: "StreamingTransportType",
      locale: "string",
      transportUrl: "string",
      speechModelEndpointId: "string",
      startTranscription: "boolean",
      enableIntermediateResults: "boolean",
    },
  },
  CallConnectionProperties: {
    required: [],
    properties: {
      callConnectionId: "string",
      serverCallId: "string",
      targets: "CommunicationIdentifierModel[]",
      callConnectionState: "CallConnectionStateModel",
      callbackUri: "string",
      sourceDisplayName: "string",
      sourceCallerIdNumber: "PhoneNumberIdentifierModel",
      source: "CommunicationIdentifierModel",
      correlationId: "string",
      answeredBy: "CommunicationUserIdentifierModel",
      answeredFor: "PhoneNumberIdentifierModel",
      mediaStreamingSubscription: "MediaStreamingSubscription",
      transcriptionSubscription: "TranscriptionSubscription",
    },
  },
  MediaStreamingSubscription: {
    required: [],
    properties: { id: "string", state: "MediaStreamingSubscriptionState", subscribedContentTypes: "MediaStreamingContentType[]" },
  },
  TranscriptionSubscription: {
    required: [],
    properties: {
      id: "string",
      state: "TranscriptionSubscriptionState",
      subscribedResultTypes: "TranscriptionResultType[]",
      locale: "string",
    },
  },
  CommunicationIdentifierModel: {
    required: [],
    properties: {
      kind: "CommunicationIdentifierModelKind",
      rawId: "string",
      communicationUser: "CommunicationUserIdentifierModel",
      phoneNumber: "PhoneNumberIdentifierModel",
      microsoftTeamsUser: "MicrosoftTeamsUserIdentifierModel",
      microsoftTeamsApp: "MicrosoftTeamsAppIdentifierModel",
    },
  },
  CommunicationUserIdentifierModel: { required: ["id"], properties: { id: "string" } },
  PhoneNumberIdentifierModel: { required: ["value"], properties: { value: "string" } },
  MicrosoftTeamsUserIdentifierModel: {
    required: ["userId"],
    properties: { userId: "string", isAnonymous: "boolean", cloud: "CommunicationCloudEnvironmentModel" },
  },
  MicrosoftTeamsAppIdentifierModel: {
    required: ["appId"],
    properties: { appId: "string", cloud: "CommunicationCloudEnvironmentModel" },
  },
  CommunicationErrorResponse: { required: ["error"], properties: { error: "CommunicationError" } },
  CommunicationError: {
    required: ["code", "message"],
    properties: {
      code: "string",
      message: "string",
      target: "string",
      details: "CommunicationError[]",
      innererror: "CommunicationError",
    },
    readOnly: ["target", "details", "innererror"],
  },
};

const ENUMS: Record<string, string[]> = {
  CallLocatorKind: ["groupCallLocator", "serverCallLocator", "roomCallLocator"],
  StreamingTransportType: ["websocket"],
  MediaStreamingAudioChannelType: ["mixed", "unmixed"],
  MediaStreamingContentType: ["audio"],
  AudioFormat: ["pcm16KMono", "pcm24KMono"],
  CallConnectionStateModel: [
    "unknown",
    "connecting",
    "connected",
    "transferring",
    "transferAccepted",
    "disconnecting",
    "disconnected",
  ],
  MediaStreamingSubscriptionState: ["disabled", "inactive", "active"],
  TranscriptionSubscriptionState: ["disabled", "inactive", "active"],
  TranscriptionResultType: ["final", "intermediate"],
  CommunicationIdentifierModelKind: ["unknown", "communicationUser", "phoneNumber", "microsoftTeamsUser", "microsoftTeamsApp"],
  CommunicationCloudEnvironmentModel: ["public", "dod", "gcch"],
};

describe("the document", () => {
  it("parses as OpenAPI 3.0.3 YAML without duplicate keys", () => {
    expect(parsed.errors).toEqual([]);
    expect(doc.openapi).toBe("3.0.3");
    expect(doc.info.version).toBe("2025-05-15");
  });

  it("has exactly the 28 schemas of the reference", () => {
    expect(Object.keys(schemas).sort()).toEqual([...Object.keys(OBJECTS), ...Object.keys(ENUMS)].sort());
    expect(Object.keys(schemas)).toHaveLength(28);
  });

  for (const [name, want] of Object.entries(OBJECTS)) {
    it(`${name} has the reference's properties, required list and readOnly fields`, () => {
      const got = shape(name);
      expect(got.properties).toEqual(want.properties);
      expect(got.required).toEqual([...want.required].sort());
      expect(got.readOnly).toEqual(want.readOnly ?? []);
    });
  }

  for (const [name, values] of Object.entries(ENUMS)) {
    it(`${name} is an extensible string enum with the reference's values`, () => {
      expect(schemas[name].type).toBe("string");
      expect(schemas[name].enum).toEqual(values);
      expect(schemas[name]["x-ms-enum"]).toMatchObject({ name, modelAsString: true });
    });
  }

  it("gives no string property a format (the reference has none)", () => {
    const formats = JSON.stringify(schemas).match(/"format":"[^"]+"/g) ?? [];
    expect(formats).toEqual([]);
  });

  it("maps transportType websocket to the WebSocket subtypes", () => {
    expect(schemas.MediaStreamingOptions.discriminator).toEqual({
      propertyName: "transportType",
      mapping: { websocket: "#/components/schemas/WebSocketMediaStreamingOptions" },
    });
    expect(schemas.TranscriptionOptions.discriminator).toEqual({
      propertyName: "transportType",
      mapping: { websocket: "#/components/schemas/WebSocketTranscriptionOptions" },
    });
  });
});

describe("the Connect operation", () => {
  it("is POST on the path with the literal colon, tagged PreConnections", () => {
    expect(Object.keys(doc.paths)).toEqual(["/calling/callConnections:connect"]);
    expect(Object.keys(doc.paths["/calling/callConnections:connect"])).toEqual(["post"]);
    expect(operation.operationId).toBe("Connect");
    expect(operation.tags).toEqual(["PreConnections"]);
    expect(operation.summary).toBe("Create a Connection to a CallLocator.");
  });

  it("has the endpoint server variable", () => {
    expect(doc.servers).toEqual([
      expect.objectContaining({
        url: "{endpoint}",
        variables: { endpoint: expect.objectContaining({ default: "https://contoso.communications.azure.com" }) },
      }),
    ]);
  });

  it("takes api-version and the two repeatability headers", () => {
    const parameters = operation.parameters.map((p: { $ref: string }) => doc.components.parameters[p.$ref.split("/").pop()!]);
    expect(parameters.map((p: any) => [p.name, p.in, p.required, p.schema])).toEqual([
      ["api-version", "query", true, { type: "string" }],
      ["Repeatability-Request-ID", "header", false, { type: "string", format: "uuid" }],
      ["Repeatability-First-Sent", "header", false, { type: "string", format: "date-time-rfc1123" }],
    ]);
    expect(parameters[2].description).toMatch(/Repeatability-Request-ID header is specified.*Repeatability-First-Sent header\s+must also be specified/s);
  });

  it("requires a JSON ConnectRequest body and answers 200 CallConnectionProperties or a default error", () => {
    expect(operation.requestBody.required).toBe(true);
    expect(operation.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/ConnectRequest" });
    expect(Object.keys(operation.responses)).toEqual(["200", "default"]);
    expect(operation.responses["200"].content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/CallConnectionProperties",
    });
    expect(operation.responses.default.content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/CommunicationErrorResponse",
    });
  });

  it("is secured by the one Authorization apiKey scheme, explained in both forms", () => {
    expect(doc.security).toEqual([{ Authorization: [] }]);
    const scheme = doc.components.securitySchemes.Authorization;
    expect(Object.keys(doc.components.securitySchemes)).toEqual(["Authorization"]);
    expect(scheme).toMatchObject({ type: "apiKey", in: "header", name: "Authorization" });
    for (const fact of ["HMAC-SHA256", "x-ms-date", "x-ms-content-sha256", "`Host`", "SignedHeaders=x-ms-date;host;x-ms-content-sha256", "Bearer"]) {
      expect(scheme.description).toContain(fact);
    }
  });
});

describe("the examples", () => {
  const request = operation.requestBody.content["application/json"].examples.Connect.value;
  const response = operation.responses["200"].content["application/json"].examples.Connect.value;
  const validator = createValidator(doc);
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

  it("are the seed's request and response", () => {
    expect(request).toMatchObject({
      callbackUri: "https://contoso.communications.azure.com/callback",
      callLocator: { roomId: "99434917639286209", kind: "roomCallLocator" },
      mediaStreamingOptions: { transportType: "websocket", audioFormat: "pcm16KMono", enableDtmfTones: true },
      transcriptionOptions: { transportType: "websocket", locale: "en-US", enableIntermediateResults: true },
    });
    expect(response).toMatchObject({
      callConnectionId: "18dea47f-b081-4107-9a5c-4300819d2c6c",
      targets: [],
      callConnectionState: "connecting",
      mediaStreamingSubscription: { state: "active", subscribedContentTypes: ["audio"] },
      transcriptionSubscription: { state: "active", subscribedResultTypes: ["final"] },
      answeredFor: { value: "+11234567890" },
    });
  });

  it("validate, including the subtype fields behind the discriminator", () => {
    expect(validator.validate(ref("ConnectRequest"), request)).toEqual([]);
    expect(validator.validate(ref("CallConnectionProperties"), response)).toEqual([]);
    const broken = { ...request, mediaStreamingOptions: { ...request.mediaStreamingOptions, audioFormat: "pcm8KMono" } };
    expect(validator.validate(ref("ConnectRequest"), broken)).toEqual([
      { path: ["mediaStreamingOptions", "audioFormat"], message: "must be one of: pcm16KMono, pcm24KMono", keyword: "enum" },
    ]);
  });

  it("include at least one CommunicationErrorResponse example, all valid", () => {
    const errors = Object.values<any>(operation.responses.default.content["application/json"].examples);
    expect(errors.length).toBeGreaterThan(0);
    for (const example of errors) expect(validator.validate(ref("CommunicationErrorResponse"), example.value)).toEqual([]);
  });
});
