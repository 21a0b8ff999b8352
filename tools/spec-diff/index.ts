/**
 * `diffDocuments(base, head)`: every contract change between two OpenAPI 3.0 documents,
 * classified breaking, non-breaking or docs, and the version bump they require.
 */
import type { Change, DiffResult, Direction } from "./model.ts";
import { pointer, summarize } from "./model.ts";
import { OperationDiff } from "./operations.ts";
import { compareSchemas, schemaUsage, type WalkContext } from "./schema.ts";

const BOTH: ReadonlySet<Direction> = new Set(["request", "response"]);

export function diffDocuments(base: any, head: any): DiffResult {
  const changes: Change[] = [];
  const seen = new Set<string>();
  const ctx: WalkContext = {
    base,
    head,
    emit(change) {
      const key = `${change.id} ${change.location} ${change.message}`;
      if (seen.has(key)) return;
      seen.add(key);
      changes.push(change);
    },
  };
  const operations = new OperationDiff(ctx);
  operations.document();
  operations.operations();

  const [from, to] = [base.components?.schemas ?? {}, head.components?.schemas ?? {}];
  const [baseUsage, headUsage] = [schemaUsage(base), schemaUsage(head)];
  for (const name of Object.keys(from)) {
    if (!(name in to)) {
      ctx.emit({
        id: "schema-removed",
        level: "breaking",
        location: pointer("components", "schemas", name),
        message: `schema ${name} removed: its exported type disappears and every use of it changes`,
      });
    }
  }
  for (const name of Object.keys(to)) {
    if (!(name in from)) {
      ctx.emit({ id: "schema-added", level: "non-breaking", location: pointer("components", "schemas", name), message: `schema ${name} added: a new type; nothing existing changes` });
      continue;
    }
    // The directions it is used in on either side (a callback's payload is received: response).
    // A schema no operation or callback reaches is still an exported type, used either way: it
    // is judged both ways (the stricter verdict wins), and its changes say so.
    const directions = new Set<Direction>([...(baseUsage.get(name) ?? []), ...(headUsage.get(name) ?? [])]);
    const reached = directions.size > 0;
    const scoped: WalkContext = reached
      ? ctx
      : { ...ctx, emit: (change) => ctx.emit({ ...change, message: `${change.message} (${name} is used by no operation or callback, so it was judged as both request and response)` }) };
    compareSchemas(scoped, from[name], to[name], ["components", "schemas", name], reached ? directions : BOTH, true);
  }
  return summarize(changes);
}

export { summarize } from "./model.ts";
export type { Bump, Change, DiffResult, Direction, Level } from "./model.ts";
