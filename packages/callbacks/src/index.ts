/**
 * Receive the callback events of the Azure Communication Services Call Automation Connect
 * operation (api-version 2025-05-15): `createCallbackHandler` is a Fetch handler that verifies
 * the service's bearer JWT (OpenID Connect discovery, `jose`), validates the CloudEvents against
 * validators generated from the OpenAPI document, and calls typed handlers per event;
 * `parseCallbackEvents` validates a body for any other framework.
 *
 * A package of its own (not a subpath of @acs-connect/client) so the client's bundle stays
 * free of `jose` and the event validators: callers and receivers are often different processes.
 *
 * @packageDocumentation
 */
export { CallbackError } from "./errors.ts";
export { createCallbackHandler, RECENT_EVENTS, type CallbackHandler, type CallbackHandlerOptions, type EventHandler, type WaitOptions } from "./handler.ts";
export { parseCallbackEvents } from "./parse.ts";
export { ACS_OPENID_CONFIGURATION_URL } from "./verify.ts";
export { toNodeListener, type NodeRequestLike, type NodeResponseLike } from "./node.ts";
export {
  callbackEventNames,
  callbackEventTypes,
  isKnownCallbackEvent,
  type CallbackEvent,
  type CallbackEventMap,
  type CallbackEventName,
  type KnownCallbackEvent,
  type UnknownCallbackEvent,
} from "@acs-connect/types";
