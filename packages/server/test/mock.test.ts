/** The built-in mock answers like the service. */
import { describe, expect, it } from "vitest";
import { mockConnect, type ConnectContext } from "@acs-connect/server";
// The compiled validators are internal to the package; tests reach them through the source.
import { responseValidators } from "../src/generated/validators/validators.gen.js";
import type { CallConnectionProperties, ConnectRequest } from "@acs-connect/types";

const call = (request: ConnectRequest) => mockConnect(request, {} as ConnectContext) as CallConnectionProperties;
const locator = { kind: "roomCallLocator", roomId: "99434917639286209" } as const;

describe("mockConnect", () => {
  it("creates a fresh connection in state connecting with the callback echoed", () => {
    const first = call({ callLocator: locator, callbackUri: "https://app.example/cb" });
    const second = call({ callLocator: locator, callbackUri: "https://app.example/cb" });
    expect(first).toMatchObject({ callConnectionState: "connecting", callbackUri: "https://app.example/cb", targets: [] });
    expect(first.callConnectionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.callConnectionId).not.toBe(second.callConnectionId);
    expect(first.serverCallId).not.toBe(second.serverCallId);
    expect(first.mediaStreamingSubscription).toBeUndefined();
    expect(first.transcriptionSubscription).toBeUndefined();
    expect(responseValidators.CallConnectionProperties(first)).toBe(true);
  });

  it("keeps the server call id of a server call locator", () => {
    const result = call({ callLocator: { kind: "serverCallLocator", serverCallId: "abc" }, callbackUri: "https://x" });
    expect(result.serverCallId).toBe("abc");
  });

  it("subscribes to media streaming exactly when asked, active only when started", () => {
    const media = (startMediaStreaming?: boolean) =>
      call({
        callLocator: locator,
        callbackUri: "https://x",
        mediaStreamingOptions: { transportType: "websocket", audioChannelType: "mixed", contentType: "audio", ...(startMediaStreaming === undefined ? {} : { startMediaStreaming }) },
      }).mediaStreamingSubscription;
    expect(media(true)).toMatchObject({ state: "active", subscribedContentTypes: ["audio"] });
    expect(media(false)).toMatchObject({ state: "inactive", subscribedContentTypes: ["audio"] });
    expect(media()).toMatchObject({ state: "inactive" });
  });

  it("subscribes to transcription exactly when asked, with the requested result types", () => {
    const transcription = (startTranscription: boolean, enableIntermediateResults: boolean) =>
      call({
        callLocator: locator,
        callbackUri: "https://x",
        transcriptionOptions: { transportType: "websocket", locale: "de-DE", startTranscription, enableIntermediateResults },
      }).transcriptionSubscription;
    expect(transcription(true, false)).toMatchObject({ state: "active", subscribedResultTypes: ["final"], locale: "de-DE" });
    expect(transcription(false, true)).toMatchObject({ state: "inactive", subscribedResultTypes: ["final", "intermediate"] });
  });
});
