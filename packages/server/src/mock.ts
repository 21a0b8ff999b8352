/**
 * The built-in mock of the Connect operation: it answers the way the service does, so that
 * clients can be developed and tested without an Azure resource.
 */
import { randomUUID } from "node:crypto";
import type { CallConnectionProperties, ConnectRequest } from "@acs-connect/types";
import type { ConnectHandler } from "./generated/stubs/index.ts";
import type { ConnectContext } from "./handler.ts";

/**
 * An opaque server call id. The service's are base64 text that clients never parse, so a UUID's
 * 32 hex digits serve; randomUUID draws from a cached entropy pool (randomBytes makes a system
 * call per id and showed up in profiles).
 */
function newServerCallId(): string {
  return randomUUID().replaceAll("-", "");
}

/**
 * Answers like the service: a fresh `callConnectionId`, the locator's `serverCallId` (or a new
 * one for group and room calls), state `connecting`, the `callbackUri` echoed, and a
 * media-streaming or transcription subscription exactly when the request asks for one (active
 * when its start flag is true, else inactive; content and result types as requested).
 */
export const mockConnect: ConnectHandler<ConnectContext> = (request: ConnectRequest): CallConnectionProperties => {
  const media = request.mediaStreamingOptions;
  const transcription = request.transcriptionOptions;
  const properties: CallConnectionProperties = {
    callConnectionId: randomUUID(),
    serverCallId: request.callLocator.serverCallId ?? newServerCallId(),
    targets: [],
    callConnectionState: "connecting",
    callbackUri: request.callbackUri,
    correlationId: randomUUID(),
  };
  if (media) {
    properties.mediaStreamingSubscription = {
      id: randomUUID(),
      state: media.startMediaStreaming ? "active" : "inactive",
      subscribedContentTypes: [media.contentType ?? "audio"],
    };
  }
  if (transcription) {
    properties.transcriptionSubscription = {
      id: randomUUID(),
      state: transcription.startTranscription ? "active" : "inactive",
      subscribedResultTypes: transcription.enableIntermediateResults ? ["final", "intermediate"] : ["final"],
      locale: transcription.locale,
    };
  }
  return properties;
};
