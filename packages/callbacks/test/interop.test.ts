/**
 * The official SDK reads our events: `parseCallAutomationEvent` of @azure/communication-call-automation
 * parses each named example event of the spec, gives it the `kind` our tables name it by, and
 * keeps the ids. So an application may move between the SDK and this package on the same events.
 */
import { parseCallAutomationEvent } from "@azure/communication-call-automation";
import { callbackEventNames } from "@acs-connect/callbacks";
import { describe, expect, it } from "vitest";
import { callbackExamples, events } from "./helpers/examples.ts";

const examples = callbackExamples().flatMap(({ name, events: batch }) => batch.map((event: any) => ({ name, event })));

describe("the official SDK parses every named example event", () => {
  it("every known event has a named example", () => {
    expect(new Set(examples.map(({ event }) => event.type))).toEqual(new Set(events.map((event) => event.type)));
  });

  for (const { name, event } of examples) {
    it(`${name}: kind ${callbackEventNames[event.type as keyof typeof callbackEventNames]} with the ids`, () => {
      const parsed: any = parseCallAutomationEvent(JSON.stringify(event));
      expect(parsed.kind).toBe(callbackEventNames[event.type as keyof typeof callbackEventNames]);
      for (const id of ["callConnectionId", "serverCallId", "correlationId", "operationContext"] as const) {
        expect(parsed[id], id).toBe(event.data[id]);
      }
      if (event.data.resultInformation) expect(parsed.resultInformation).toMatchObject(event.data.resultInformation);
    });
  }
});
