/**
 * The callback's named examples, read from the spec: each is a batch of CloudEvents.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { callbackEnvelopes, callbackOperations, deref } from "../../../../core/src/index.ts";

export const spec = parse(readFileSync(path.resolve(import.meta.dirname, "../../../../spec/openapi.yaml"), "utf8"));

/** Every named example of every callback request body, by example name. */
export function callbackExamples(): Array<{ name: string; events: any[] }> {
  return callbackOperations(spec).flatMap((op) =>
    Object.values<any>(deref<any>(spec, op.operation.requestBody)?.content ?? {}).flatMap((media) =>
      Object.entries<any>(media.examples ?? {}).map(([name, example]) => ({ name, events: deref<any>(spec, example).value })),
    ),
  );
}

/** The events the spec maps, with their names. */
export const events = callbackEnvelopes(spec).flatMap((envelope) => envelope.events);
