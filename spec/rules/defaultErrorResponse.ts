import { createRulesetFunction, type IFunctionResult } from "@stoplight/spectral-core";
import { deref, isObject, operations } from "../../core/src/index.ts";

const ERROR_SCHEMA = "#/components/schemas/CommunicationErrorResponse";

/**
 * Every operation documents its errors as a `default` response whose JSON body is
 * `CommunicationErrorResponse`, the shape every client error handler reads.
 */
export default createRulesetFunction(
  { input: null, options: null },
  function defaultErrorResponse(doc: any) {
    const results: IFunctionResult[] = [];
    for (const op of operations(doc)) {
      const responsesPath = [...op.path, "responses"];
      const response = deref(doc, op.operation.responses?.default);
      if (!isObject(response)) {
        results.push({
          message: `Operation "${op.name}" has no default error response.`,
          path: isObject(op.operation.responses) ? responsesPath : op.path,
        });
        continue;
      }
      const schema = response.content?.["application/json"]?.schema;
      if (!isObject(schema) || schema.$ref !== ERROR_SCHEMA) {
        results.push({
          message: `The default response of "${op.name}" must have an application/json body referencing ${ERROR_SCHEMA}.`,
          path: [...responsesPath, "default"],
        });
      }
    }
    return results;
  },
);
