/** Type tests: vitest's typecheck pass compiles them, and each @ts-expect-error must keep failing to compile. */
import type { TokenCredential as CoreAuthTokenCredential } from "@azure/core-auth";
import type { DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";
import { callConnectionStateModelValues, type CallConnectionStateModel, type CommunicationError } from "@acs-connect/types";
import type { Client, Middleware as OpenapiFetchMiddleware } from "openapi-fetch";
import { describe, expectTypeOf, it } from "vitest";
import {
  CallAutomationError,
  createCallAutomationClient,
  type CallAutomationClient,
  type CallAutomationClientOptions,
  type CallConnectionProperties,
  type ConnectOptions,
  type ConnectRequest,
  type Middleware,
  type RawPaths,
  type TokenCredential,
} from "@acs-connect/client";

const client = createCallAutomationClient({ endpoint: "https://x.communication.azure.com", token: "t" });
// Compiled, never called: nothing here sends a request.
const never = (_: () => unknown): void => {};

describe("connect input", () => {
  it("is ConnectRequest plus ConnectOptions", () => {
    expectTypeOf(client.connect).parameter(0).toEqualTypeOf<ConnectRequest>();
    expectTypeOf(client.connect).parameter(1).toEqualTypeOf<ConnectOptions | undefined>();
  });

  it("requires callLocator and callbackUri", () => {
    never(() => client.connect({ callLocator: { kind: "roomCallLocator", roomId: "r" }, callbackUri: "https://a/cb" }));
    // @ts-expect-error callbackUri is required
    never(() => client.connect({ callLocator: { kind: "roomCallLocator", roomId: "r" } }));
    // @ts-expect-error callLocator is required
    never(() => client.connect({ callbackUri: "https://a/cb" }));
    // @ts-expect-error callbackUri is a string
    never(() => client.connect({ callLocator: {}, callbackUri: new URL("https://a/cb") }));
    // @ts-expect-error roomId is a string
    never(() => client.connect({ callLocator: { roomId: 42 }, callbackUri: "https://a/cb" }));
  });

  it("accepts the polymorphic options with their subtype fields, and open enum values", () => {
    const request: ConnectRequest = {
      callLocator: { kind: "groupCallLocator", groupCallId: "g" },
      callbackUri: "https://a/cb",
      mediaStreamingOptions: { transportType: "websocket", audioChannelType: "unmixed", transportUrl: "wss://m", audioFormat: "pcm24KMono", enableBidirectional: true },
      transcriptionOptions: { transportType: "websocket", locale: "en-US", transportUrl: "wss://t", enableIntermediateResults: true },
      callIntelligenceOptions: { cognitiveServicesEndpoint: "https://c" },
    };
    never(() => client.connect(request));
    // Extensible enums take values this version does not know.
    never(() => client.connect({ ...request, callLocator: { kind: "futureLocator" } }));
    expectTypeOf<"pcm48KStereo">().toExtend<NonNullable<NonNullable<ConnectRequest["mediaStreamingOptions"]>["audioFormat"]>>();
  });

  it("rejects wrong types in the options", () => {
    const base = { callLocator: { roomId: "r" }, callbackUri: "https://a/cb" };
    // @ts-expect-error audioChannelType is required in media streaming options
    never(() => client.connect({ ...base, mediaStreamingOptions: { transportType: "websocket" } }));
    // @ts-expect-error transportType must name a mapped subtype
    never(() => client.connect({ ...base, mediaStreamingOptions: { transportType: "grpc", audioChannelType: "mixed" } }));
    // @ts-expect-error locale is required in transcription options
    never(() => client.connect({ ...base, transcriptionOptions: { transportType: "websocket" } }));
    // @ts-expect-error enableBidirectional is a boolean
    never(() => client.connect({ ...base, mediaStreamingOptions: { transportType: "websocket", audioChannelType: "mixed", enableBidirectional: "yes" } }));
    // @ts-expect-error repeatabilityFirstSent is a string or Date
    never(() => client.connect(base, { repeatabilityRequestId: "id", repeatabilityFirstSent: 1 }));
    // @ts-expect-error signal is an AbortSignal
    never(() => client.connect(base, { signal: new AbortController() }));
  });
});

describe("connect output", () => {
  it("is CallConnectionProperties", () => {
    expectTypeOf(client.connect).returns.toEqualTypeOf<Promise<CallConnectionProperties>>();
    expectTypeOf<CallConnectionProperties["callConnectionState"]>().toEqualTypeOf<CallConnectionStateModel | undefined>();
    expectTypeOf<(typeof callConnectionStateModelValues)[number]>().toExtend<NonNullable<CallConnectionProperties["callConnectionState"]>>();
    expectTypeOf<"a-state-from-a-newer-service">().toExtend<NonNullable<CallConnectionProperties["callConnectionState"]>>();
    expectTypeOf<CallConnectionProperties["answeredFor"]>().toEqualTypeOf<{ value: string } | undefined>();
  });
});

describe("client options", () => {
  it("takes one way of authenticating", () => {
    expectTypeOf<{ connectionString: string }>().toExtend<CallAutomationClientOptions>();
    expectTypeOf<{ endpoint: string; accessKey: string; allowInsecureConnection: boolean }>().toExtend<CallAutomationClientOptions>();
    expectTypeOf<{ endpoint: string; token: () => Promise<string>; timeoutMs: number }>().toExtend<CallAutomationClientOptions>();
    expectTypeOf<{ endpoint: string; token: () => string; retry: { maxRetries: number } }>().toExtend<CallAutomationClientOptions>();
    // @ts-expect-error a connection string and a token together
    never(() => createCallAutomationClient({ connectionString: "c", token: "t" }));
    // @ts-expect-error an endpoint needs a credential
    never(() => createCallAutomationClient({ endpoint: "https://x" }));
    // @ts-expect-error an access key and a token together
    never(() => createCallAutomationClient({ endpoint: "https://x", accessKey: "k", token: "t" }));
    // @ts-expect-error a token function returns a string
    never(() => createCallAutomationClient({ endpoint: "https://x", token: () => 42 }));
    // @ts-expect-error retry options are numbers
    never(() => createCallAutomationClient({ connectionString: "c", retry: { maxRetries: "3" } }));
  });

  it("accepts the global fetch", () => {
    expectTypeOf<typeof fetch>().toExtend<NonNullable<CallAutomationClientOptions["fetch"]>>();
  });
});

describe("CallAutomationError", () => {
  it("has the service's fields, typed", () => {
    expectTypeOf<CallAutomationError>().toExtend<Error>();
    expectTypeOf<CallAutomationError["status"]>().toEqualTypeOf<number>();
    expectTypeOf<CallAutomationError["code"]>().toEqualTypeOf<string>();
    expectTypeOf<CallAutomationError["target"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<CallAutomationError["details"]>().toEqualTypeOf<readonly CommunicationError[] | undefined>();
    expectTypeOf<CallAutomationError["innererror"]>().toEqualTypeOf<CommunicationError | undefined>();
    expectTypeOf<CallAutomationError["repeatabilityRequestId"]>().toEqualTypeOf<string | undefined>();
  });
});

describe("client.raw", () => {
  it("is the openapi-fetch client of the spec's paths, api-version optional", () => {
    expectTypeOf<CallAutomationClient["raw"]>().toEqualTypeOf<Client<RawPaths>>();
    never(async () => {
      const { data } = await client.raw.POST("/calling/callConnections:connect", {
        params: { query: { "api-version": "2025-05-15" } },
        body: { callLocator: {}, callbackUri: "https://a/cb" },
      });
      // openapi-fetch 0.17 maps responses through its Readable<> helper, which also maps the
      // `string & {}` of open enums into an object type; plain string fields come through as is.
      expectTypeOf(data).not.toBeAny();
      expectTypeOf<NonNullable<typeof data>["callConnectionId"]>().toEqualTypeOf<string | undefined>();
      expectTypeOf<"connected">().toExtend<NonNullable<typeof data>["callConnectionState"]>();
    });
    // The client's apiVersion is sent unless a call names one.
    never(() => client.raw.POST("/calling/callConnections:connect", { body: { callLocator: {}, callbackUri: "u" } }));
    never(() => client.raw.POST("/calling/callConnections:connect", { params: { query: {} }, body: { callLocator: {}, callbackUri: "u" } }));
    never(() => client.raw.POST("/calling/callConnections:connect", { params: { header: { "Repeatability-Request-ID": "x", "Repeatability-First-Sent": "y" } }, body: { callLocator: {}, callbackUri: "u" } }));
    // @ts-expect-error not a path of the spec
    never(() => client.raw.POST("/calling/callConnections", { body: {} }));
    // @ts-expect-error api-version is a string when given
    never(() => client.raw.POST("/calling/callConnections:connect", { params: { query: { "api-version": 5 } }, body: { callLocator: {}, callbackUri: "u" } }));
    // @ts-expect-error the body is still required
    never(() => client.raw.POST("/calling/callConnections:connect", {}));
  });
});

describe("credential", () => {
  it("accepts @azure/identity credentials and @azure/core-auth's TokenCredential", () => {
    expectTypeOf<DefaultAzureCredential>().toExtend<TokenCredential>();
    expectTypeOf<ManagedIdentityCredential>().toExtend<TokenCredential>();
    expectTypeOf<CoreAuthTokenCredential>().toExtend<TokenCredential>();
    never(() => createCallAutomationClient({ endpoint: "https://x.communication.azure.com", credential: {} as DefaultAzureCredential }));
    never(() => createCallAutomationClient({ endpoint: "https://x.communication.azure.com", credential: {} as CoreAuthTokenCredential }));
  });

  it("is one way of authenticating, not combined with another", () => {
    const credential = {} as DefaultAzureCredential;
    // @ts-expect-error a credential needs the endpoint
    never(() => createCallAutomationClient({ credential }));
    // @ts-expect-error not with an access key
    never(() => createCallAutomationClient({ endpoint: "https://x", credential, accessKey: "k" }));
    // @ts-expect-error not with a token
    never(() => createCallAutomationClient({ endpoint: "https://x", credential, token: "t" }));
    // @ts-expect-error getToken must resolve to { token, expiresOnTimestamp }
    never(() => createCallAutomationClient({ endpoint: "https://x", credential: { getToken: async () => "t" } }));
  });
});

describe("middleware", () => {
  it("is openapi-fetch's Middleware, on the client and on client.raw", () => {
    expectTypeOf<Middleware>().toEqualTypeOf<OpenapiFetchMiddleware>();
    expectTypeOf(client.use).parameters.toEqualTypeOf<Middleware[]>();
    expectTypeOf(client.raw.use).parameters.toEqualTypeOf<Middleware[]>();
    never(() => client.use({ onRequest: ({ request }) => void request.headers.set("traceparent", "00-x-y-01") }));
  });

  it("has a typed logger option", () => {
    never(() =>
      createCallAutomationClient({
        endpoint: "https://x",
        token: "t",
        logger: (entry) => {
          expectTypeOf(entry.attempt).toEqualTypeOf<number>();
          expectTypeOf(entry.status).toEqualTypeOf<number>();
          expectTypeOf(entry.delayMs).toEqualTypeOf<number | undefined>();
        },
      }),
    );
  });
});
