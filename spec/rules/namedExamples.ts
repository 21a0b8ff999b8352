import { createRulesetFunction, type IFunctionResult } from "@stoplight/spectral-core";
import { callbackOperations, deref, isObject, operations, type Path } from "../../core/src/index.ts";

/**
 * Every request body and every response body of an operation (and of its callbacks) shows at
 * least one named example (`examples`, not the anonymous `example`): reference pages, mocks and
 * the spec diff refer to examples by name.
 */
export default createRulesetFunction({ input: null, options: null }, function namedExamples(doc: any) {
  const results: IFunctionResult[] = [];
  for (const op of [...operations(doc), ...callbackOperations(doc)]) {
    const bodies: Array<{ label: string; body: any; path: Path }> = [];
    const requestBody = deref(doc, op.operation.requestBody);
    if (isObject(requestBody)) bodies.push({ label: "The request body", body: requestBody, path: [...op.path, "requestBody"] });
    for (const [status, raw] of Object.entries(op.operation.responses ?? {})) {
      const response = deref(doc, raw);
      if (isObject(response)) bodies.push({ label: `Response ${status}`, body: response, path: [...op.path, "responses", status] });
    }
    for (const { label, body, path } of bodies) {
      if (!isObject(body.content)) continue;
      for (const [mediaType, media] of Object.entries(body.content)) {
        if (!isObject(media)) continue;
        if (!isObject(media.examples) || Object.keys(media.examples).length === 0) {
          results.push({ message: `${label} (${mediaType}) of "${op.name}" has no named examples.`, path: [...path, "content", mediaType] });
        }
      }
    }
  }
  return results;
});
