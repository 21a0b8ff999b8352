/**
 * parseCallbackEvents against the spec's named examples (all valid) and against broken bodies,
 * each refused with a 400 CallbackError naming the property at fault.
 */
import { CallbackError, parseCallbackEvents } from "@acs-connect/callbacks";
import { describe, expect, it } from "vitest";
import { callbackExamples } from "./helpers/examples.ts";

const examples = callbackExamples();
const sample = () => structuredClone(examples[0]!.events[0]);

function refusal(body: unknown): CallbackError {
  try {
    parseCallbackEvents(body);
  } catch (error) {
    if (error instanceof CallbackError) return error;
    throw error;
  }
  throw new Error("parseCallbackEvents accepted the body");
}

describe("parseCallbackEvents", () => {
  for (const { name, events } of examples) {
    it(`accepts the named example ${name}, as text, bytes and a parsed value`, () => {
      const text = JSON.stringify(events);
      expect(parseCallbackEvents(text)).toEqual(events);
      expect(parseCallbackEvents(new TextEncoder().encode(text))).toEqual(events);
      expect(parseCallbackEvents(events)).toEqual(events);
    });
  }

  it("accepts one event outside an array (CloudEvents' single structured mode)", () => {
    expect(parseCallbackEvents(sample())).toEqual([sample()]);
  });

  it("accepts an event type and an enum value this API version does not know", () => {
    const future = { ...sample(), type: "Microsoft.Communication.SomethingNew", data: { anything: [1, 2] } };
    expect(parseCallbackEvents([future])).toEqual([future]);
    const media = structuredClone(examples.find(({ events }) => events[0].data.mediaStreamingUpdate)!.events);
    media[0].data.mediaStreamingUpdate.mediaStreamingStatus = "somethingNew";
    expect(parseCallbackEvents(media)).toEqual(media);
  });

  it("refuses text that is not JSON", () => {
    expect(refusal("[{").toJSON()).toEqual({ error: { code: "BadRequest", message: "The request body is not valid JSON.", target: "$" } });
  });

  it("refuses an empty batch", () => {
    expect(refusal("[]")).toMatchObject({ status: 400, target: "$" });
  });

  it("names the missing envelope property", () => {
    const { id: _id, ...noId } = sample();
    expect(refusal([sample(), noId])).toMatchObject({ status: 400, code: "MissingProperty", target: "$[1].id" });
  });

  it("names a payload property of the wrong type, by the event's own schema", () => {
    const event = sample();
    event.data.resultInformation.code = "200";
    const error = refusal([event]);
    expect(error).toMatchObject({ status: 400, code: "InvalidType", target: "$[0].data.resultInformation.code" });
    expect(error.message).toContain("$[0].data.resultInformation.code");
  });

  it("refuses a known event without its data", () => {
    const { data: _data, ...noData } = sample();
    expect(refusal([noData])).toMatchObject({ status: 400, target: "$[0].data" });
  });
});
