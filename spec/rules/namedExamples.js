// @ts-check
import { createRulesetFunction } from "@stoplight/spectral-core";
import { deref, isObject, operations } from "./lib/openapi.js";

/**
 * Every request body and every response body of an operation shows at least one named
 * example (`examples`, not the anonymous `example`): reference pages, mocks and the spec diff
 * refer to examples by name.
 */
export default createRulesetFunction(
  { input: null, options: null },
  function namedExamples(doc) {
    /** @type {import("@stoplight/spectral-core").IFunctionResult[]} */
    const results = [];
    for (const op of operations(doc)) {
      /** @type {Array<[string, any, (string|number)[]]>} */
      const bodies = [];
      const requestBody = deref(doc, op.operation.requestBody);
      if (isObject(requestBody)) bodies.push(["the request body", requestBody, [...op.path, "requestBody"]]);
      for (const [status, raw] of Object.entries(op.operation.responses ?? {})) {
        const response = deref(doc, raw);
        if (isObject(response)) bodies.push([`response ${status}`, response, [...op.path, "responses", status]]);
      }
      for (const [label, body, path] of bodies) {
        if (!isObject(body.content)) continue;
        for (const [mediaType, media] of Object.entries(body.content)) {
          if (!isObject(media)) continue;
          if (!isObject(media.examples) || Object.keys(media.examples).length === 0) {
            results.push({
              message: `${label.charAt(0).toUpperCase()}${label.slice(1)} (${mediaType}) of "${op.name}" has no named examples.`,
              path: [...path, "content", mediaType],
            });
          }
        }
      }
    }
    return results;
  },
);
