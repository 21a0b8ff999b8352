/**
 * Type tests of the callback events: the known union narrows on `type`, each event is a named
 * type whose `data` is its payload, and an event type this API version does not know is a
 * `CallbackEvent` without a cast. Event types come from the generated tables, not from copies.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  callbackEventTypes,
  isKnownCallbackEvent,
  type CallbackEvent,
  type CallbackEventMap,
  type CallbackEventName,
  type CallConnected,
  type CallConnectedEvent,
  type CloudEvent,
  type KnownCallbackEvent,
  type ParticipantsUpdated,
} from "@acs-connect/types";

describe("callback events", () => {
  it("the known union narrows on type", () => {
    const handle = (event: KnownCallbackEvent) => {
      if (event.type === "Microsoft.Communication.CallConnected") {
        expectTypeOf(event).toEqualTypeOf<CallConnectedEvent>();
        expectTypeOf(event.data).toEqualTypeOf<CallConnected>();
      } else if (event.type === "Microsoft.Communication.ParticipantsUpdated") {
        expectTypeOf(event.data).toEqualTypeOf<ParticipantsUpdated>();
        // @ts-expect-error ParticipantsUpdated carries no operationContext
        void event.data.operationContext;
      }
    };
    expect(handle).toBeTypeOf("function");
  });

  it("CloudEvent (the envelope) is the known union", () => {
    expectTypeOf<CloudEvent>().toEqualTypeOf<KnownCallbackEvent>();
  });

  it("an unknown future event type is a CallbackEvent without a cast", () => {
    const future: CallbackEvent = { id: "1", source: "calling/callConnections/x", specversion: "1.0", type: "Microsoft.Communication.SomethingNew", data: { anything: 1 } };
    // @ts-expect-error an unknown type is not a known event
    const notKnown: KnownCallbackEvent = { id: "1", source: "s", specversion: "1.0", type: "Microsoft.Communication.SomethingNew", data: {} };
    expect([future, notKnown]).toHaveLength(2);
  });

  it("isKnownCallbackEvent narrows to the known union", () => {
    const handle = (event: CallbackEvent) => {
      if (isKnownCallbackEvent(event)) expectTypeOf(event).toEqualTypeOf<KnownCallbackEvent>();
    };
    expect(handle).toBeTypeOf("function");
  });

  it("CallbackEventMap maps each name to the envelope whose type it is", () => {
    expectTypeOf<CallbackEventMap["CallConnected"]["type"]>().toEqualTypeOf<"Microsoft.Communication.CallConnected">();
    expectTypeOf<CallbackEventName>().toEqualTypeOf<keyof CallbackEventMap>();
    expectTypeOf(callbackEventTypes[0]).toEqualTypeOf<(typeof callbackEventTypes)[0]>();
    expectTypeOf<KnownCallbackEvent["type"]>().toEqualTypeOf<(typeof callbackEventTypes)[number]>();
  });
});
