/**
 * Parsing and validating a callback body: a JSON array of CloudEvents (one object is accepted
 * too, CloudEvents' single structured mode), each checked against the generated validators.
 * Events whose `type` this API version does not know pass when their envelope is valid, so a
 * receiver keeps working the day the service adds an event.
 */
import { callbackEventNames, type CallbackEvent } from "@acs-connect/types";
import { issuesOf } from "./generated/runtime/runtime.gen.ts";
import { eventValidators } from "./generated/validators/validators.gen.js";
import { CallbackError } from "./errors.ts";

/** The validator of the envelope base: it dispatches on `type` to each event's own schema. */
const validateEvent = eventValidators.CloudEvent;

/**
 * The events of a callback body, validated: `body` is the raw text (or bytes) of the request,
 * or a value a framework has already parsed from JSON. Throws {@link CallbackError} (status 400)
 * naming the first property at fault.
 */
export function parseCallbackEvents(body: string | Uint8Array | unknown): CallbackEvent[] {
  let value: unknown = body;
  if (typeof body === "string" || body instanceof Uint8Array) {
    const text = typeof body === "string" ? body : new TextDecoder("utf-8", { fatal: false }).decode(body);
    try {
      value = JSON.parse(text);
    } catch {
      throw new CallbackError(400, "BadRequest", "The request body is not valid JSON.", "$");
    }
  }
  const batch = Array.isArray(value) ? value : [value];
  if (batch.length === 0) throw new CallbackError(400, "BadRequest", "The request body is an empty array; it must hold at least one event.", "$");
  batch.forEach((event, index) => {
    if (validateEvent(event)) return;
    const [issue] = issuesOf(validateEvent.errors);
    const prefix = Array.isArray(value) ? `$[${index}]` : "$";
    const target = issue ? `${prefix}${issue.target.slice(1)}` : prefix;
    throw new CallbackError(400, issue?.code ?? "BadRequest", `${target} ${issue?.message ?? "is not a valid CloudEvent"}.`, target);
  });
  return batch as CallbackEvent[];
}

/** The event name of a known event (`CallConnected`), or undefined for a type this API version does not know. */
export function eventName(event: CallbackEvent): string | undefined {
  return Object.prototype.hasOwnProperty.call(callbackEventNames, event.type) ? callbackEventNames[event.type as keyof typeof callbackEventNames] : undefined;
}
