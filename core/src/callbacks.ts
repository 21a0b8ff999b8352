/**
 * Callback events: a callback operation whose request body is a polymorphic base (or an array of
 * one, a CloudEvents batch) delivers events told apart by the base's discriminator. Each mapped
 * subtype is one event: its discriminator value (the CloudEvents `type`), its envelope schema and
 * the schema of its `data`. The types and validators generators, the reference page and the
 * callbacks package's generated tables all read events from here.
 */
import { isObject } from "./document.ts";
import { componentName, deref } from "./pointer.ts";
import { polymorphicBases, usedRef } from "./polymorphism.ts";
import { callbackOperations, type OperationEntry } from "./walk.ts";

/** One event a callback delivers. */
export interface CallbackEvent {
  /** The discriminator value, e.g. `Microsoft.Communication.CallConnected`. */
  type: string;
  /** The component name of the envelope subtype, e.g. `CallConnectedEvent`. */
  envelope: string;
  /** The component name of the event's payload (the subtype's `data`), e.g. `CallConnected`; the event's name. */
  name: string;
}

/** The events of one polymorphic base that callbacks deliver. */
export interface CallbackEnvelope {
  /** The component name of the base, e.g. `CloudEvent`. */
  base: string;
  /** The discriminator property, e.g. `type`. */
  property: string;
  /** Whether the body is an array of envelopes (a batch) rather than one. */
  batch: boolean;
  /** The callback operations whose request body carries it. */
  operations: OperationEntry[];
  events: CallbackEvent[];
}

/** The payload schema a subtype adds under `property` (its `data`), through allOf members and the description wrapper. */
function payloadSchema(doc: any, subtype: unknown, property: string): string | undefined {
  const schema = deref<any>(doc, subtype);
  if (!isObject(schema)) return undefined;
  const direct = componentName(usedRef(schema.properties?.[property]));
  if (direct !== undefined) return direct;
  for (const member of Array.isArray(schema.allOf) ? schema.allOf : []) {
    if (typeof member?.$ref === "string") continue; // the base itself
    const found = payloadSchema(doc, member, property);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The envelopes callbacks deliver, by base. An event's name is its payload schema's name (the
 * subtype's `data`), or the envelope's name when the subtype has no `data`.
 */
export function callbackEnvelopes(doc: any, dataProperty = "data"): CallbackEnvelope[] {
  const bases = polymorphicBases(doc);
  const found = new Map<string, CallbackEnvelope>();
  for (const op of callbackOperations(doc)) {
    const body = deref<any>(doc, op.operation.requestBody);
    for (const media of Object.values<any>(isObject(body?.content) ? body.content : {})) {
      const schema = deref<any>(doc, media?.schema);
      const batch = schema?.type === "array";
      const base = bases.get(componentName(usedRef(batch ? schema.items : media?.schema)) ?? "");
      if (!base) continue;
      const entry = found.get(base.name) ?? {
        base: base.name,
        property: base.property,
        batch,
        operations: [],
        events: base.subtypes.map(({ value, schema: envelope }) => ({
          type: value,
          envelope,
          name: payloadSchema(doc, doc.components.schemas[envelope], dataProperty) ?? envelope,
        })),
      };
      if (!entry.operations.includes(op)) entry.operations.push(op);
      found.set(base.name, entry);
    }
  }
  return [...found.values()];
}
