import { createRulesetFunction, type IFunctionResult } from "@stoplight/spectral-core";
import { isDataPath, isObject, walk } from "../../core/src/index.ts";

/**
 * OpenAPI 3 ignores header parameters named Authorization (OpenAPI 3.0.3, Parameter Object,
 * `name`); credentials belong to the security scheme.
 */
export default createRulesetFunction(
  { input: null, options: null },
  function noAuthorizationHeader(doc: any) {
    const results: IFunctionResult[] = [];
    walk(doc, (node, path) => {
      if (isDataPath(path)) return false;
      const isParameterPosition =
        path.at(-2) === "parameters" || (path.length === 3 && path[0] === "components" && path[1] === "parameters");
      if (!isParameterPosition || !isObject(node)) return;
      if (node.in === "header" && typeof node.name === "string" && node.name.toLowerCase() === "authorization") {
        results.push({
          message:
            'Header parameter "Authorization" is ignored by OpenAPI 3; describe credentials with the Authorization security scheme.',
          path: [...path, "name"],
        });
      }
    });
    return results;
  },
);
