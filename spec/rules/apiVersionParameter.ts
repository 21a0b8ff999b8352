import { createRulesetFunction, type IFunctionResult } from "@stoplight/spectral-core";
import { effectiveParameters, operations } from "../../core/src/index.ts";

/** Every operation takes the required `api-version` query parameter, a string. */
export default createRulesetFunction(
  { input: null, options: null },
  function apiVersionParameter(doc: any) {
    const results: IFunctionResult[] = [];
    for (const op of operations(doc)) {
      const found = effectiveParameters(doc, op).find(
        ({ parameter }) => parameter.name === "api-version" && parameter.in === "query",
      );
      if (!found) {
        results.push({
          message: `Operation "${op.name}" has no "api-version" query parameter.`,
          path: op.path,
        });
      } else if (found.parameter.required !== true) {
        results.push({
          message: `The "api-version" query parameter of "${op.name}" must be required.`,
          path: found.path,
        });
      } else if ((found.parameter.schema as { type?: unknown } | undefined)?.type !== "string") {
        results.push({
          message: `The "api-version" query parameter of "${op.name}" must be a string.`,
          path: found.path,
        });
      }
    }
    return results;
  },
);
