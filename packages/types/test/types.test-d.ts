/**
 * Type tests: vitest's typecheck pass compiles this file, so every `@ts-expect-error` below must
 * keep failing to compile (an unused directive is itself an error). Expectations about the
 * contract's values come from the generated value lists, never from a copy of them; the
 * runtime lists themselves are checked against the spec in types.test.ts.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  audioFormatValues,
  callConnectionStateModelValues,
  type AudioFormat,
  type CallConnectionProperties,
  type CallConnectionStateModel,
  type CommunicationError,
  type CommunicationErrorResponse,
  type ConnectRequest,
  type KnownAudioFormat,
  type KnownCallConnectionStateModel,
  type MediaStreamingOptions,
  type PhoneNumberIdentifierModel,
  type TranscriptionOptions,
  type WebSocketMediaStreamingOptions,
  type WebSocketTranscriptionOptions,
  type paths,
} from "@acs-connect/types";

const locator = { kind: "roomCallLocator", roomId: "99434917639286209" } as const;

describe("required fields", () => {
  it("ConnectRequest needs callLocator and callbackUri", () => {
    const ok: ConnectRequest = { callLocator: locator, callbackUri: "https://app.example/callback" };
    // @ts-expect-error callbackUri is required
    const noCallback: ConnectRequest = { callLocator: locator };
    // @ts-expect-error callLocator is required
    const noLocator: ConnectRequest = { callbackUri: "https://app.example/callback" };
    // @ts-expect-error PhoneNumberIdentifierModel.value is required
    const noValue: PhoneNumberIdentifierModel = {};
    // @ts-expect-error CommunicationError needs code and message
    const noMessage: CommunicationError = { code: "BadRequest" };
    expect([ok, noCallback, noLocator, noValue, noMessage]).toHaveLength(5);
  });

  it("everything in CallConnectionProperties is optional, as the spec says", () => {
    const empty: CallConnectionProperties = {};
    expect(empty).toEqual({});
  });
});

describe("readOnly fields", () => {
  it("target, details and innererror of CommunicationError are readonly; code is not", () => {
    const error: CommunicationError = { code: "BadRequest", message: "Bad", target: "callbackUri", details: [] };
    error.code = "Conflict";
    // @ts-expect-error target is readOnly in the spec
    error.target = "callLocator";
    // @ts-expect-error details is readOnly in the spec
    error.details = [];
    // @ts-expect-error innererror is readOnly in the spec
    error.innererror = { code: "Inner", message: "Inner" };
    const response: CommunicationErrorResponse = { error };
    expect(response.error.code).toBe("Conflict");
  });
});

describe("extensible enums", () => {
  it("accept the known values and any other string, and keep the literals", () => {
    const known: AudioFormat = "pcm16KMono";
    const future: AudioFormat = "pcm48KStereo";
    expectTypeOf<"pcm16KMono">().toExtend<AudioFormat>();
    expectTypeOf<AudioFormat>().toExtend<string>();
    // @ts-expect-error a number is not an AudioFormat
    const wrong: AudioFormat = 16;
    expect([known, future, wrong]).toHaveLength(3);
  });

  it("have a closed Known union of the runtime list of the known values", () => {
    expectTypeOf<KnownAudioFormat>().toEqualTypeOf<(typeof audioFormatValues)[number]>();
    expectTypeOf<KnownAudioFormat>().toExtend<AudioFormat>();
    expectTypeOf<KnownCallConnectionStateModel>().toEqualTypeOf<(typeof callConnectionStateModelValues)[number]>();
    // @ts-expect-error the closed union rejects values this version does not know
    const unknown: KnownAudioFormat = "pcm48KStereo";
    expect(unknown).toBe("pcm48KStereo");
  });

  it("let a response from a newer service version compile, where a closed union would not", () => {
    const fromNewerService = { callConnectionId: "c1", callConnectionState: "parked" };
    const open: CallConnectionProperties = fromNewerService;
    type Closed = Omit<CallConnectionProperties, "callConnectionState"> & {
      callConnectionState?: KnownCallConnectionStateModel;
    };
    // @ts-expect-error with a closed union, the day the service adds "parked" this stops compiling
    const closed: Closed = fromNewerService;
    expect([open, closed]).toHaveLength(2);
  });

  it("make consumers handle values they do not know yet", () => {
    // With an open enum, handling every known value leaves something over (any other string),
    // so an exhaustive switch needs the fallback branch that a closed union lets consumers forget.
    expectTypeOf<Exclude<CallConnectionStateModel, KnownCallConnectionStateModel>>().not.toBeNever();
    expectTypeOf<Exclude<KnownCallConnectionStateModel, (typeof callConnectionStateModelValues)[number]>>().toBeNever();
  });
});

describe("polymorphic options", () => {
  it("type ConnectRequest's options as the WebSocket subtypes, with their fields", () => {
    expectTypeOf<NonNullable<ConnectRequest["mediaStreamingOptions"]>>().toEqualTypeOf<MediaStreamingOptions>();
    expectTypeOf<MediaStreamingOptions>().toEqualTypeOf<WebSocketMediaStreamingOptions>();
    expectTypeOf<TranscriptionOptions>().toEqualTypeOf<WebSocketTranscriptionOptions>();
    const request: ConnectRequest = {
      callLocator: locator,
      callbackUri: "https://app.example/callback",
      mediaStreamingOptions: {
        transportType: "websocket",
        audioChannelType: "mixed",
        transportUrl: "wss://app.example/media",
        audioFormat: "pcm24KMono",
      },
      transcriptionOptions: { transportType: "websocket", locale: "en-US", enableIntermediateResults: true },
    };
    const badField: ConnectRequest = {
      callLocator: locator,
      callbackUri: "https://app.example/callback",
      // @ts-expect-error transportUrl is a string
      mediaStreamingOptions: { transportType: "websocket", audioChannelType: "mixed", transportUrl: 42 },
    };
    const noSubtype: ConnectRequest = {
      callLocator: locator,
      callbackUri: "https://app.example/callback",
      // @ts-expect-error no subtype is mapped to "grpc", so there is nothing to send
      transcriptionOptions: { transportType: "grpc", locale: "en-US" },
    };
    expect([request, badField, noSubtype]).toHaveLength(3);
  });

  it("narrow on transportType", () => {
    function transportOf(options: MediaStreamingOptions): string | undefined {
      switch (options.transportType) {
        case "websocket":
          expectTypeOf(options).toEqualTypeOf<WebSocketMediaStreamingOptions>();
          return options.transportUrl;
        default: {
          // Every mapped subtype is handled above, so no transportType is left here.
          const exhausted: never = options.transportType;
          return exhausted;
        }
      }
    }
    expectTypeOf<WebSocketMediaStreamingOptions["transportType"]>().toEqualTypeOf<"websocket">();
    expect(transportOf({ transportType: "websocket", audioChannelType: "unmixed", transportUrl: "wss://x" })).toBe("wss://x");
  });
});

describe("paths and operations", () => {
  it("describe Connect with the spec's names", () => {
    type Connect = paths["/calling/callConnections:connect"]["post"];
    expectTypeOf<Connect["requestBody"]["content"]["application/json"]>().toEqualTypeOf<ConnectRequest>();
    expectTypeOf<Connect["responses"][200]["content"]["application/json"]>().toEqualTypeOf<CallConnectionProperties>();
    expectTypeOf<Connect["parameters"]["query"]["api-version"]>().toEqualTypeOf<string>();
    expectTypeOf<NonNullable<Connect["parameters"]["header"]>>().toHaveProperty("Repeatability-Request-ID");
  });
});
