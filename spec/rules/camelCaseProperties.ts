import { createRulesetFunction, type IFunctionResult } from "@stoplight/spectral-core";
import { isDataPath, walk } from "../../core/src/index.ts";

const CAMEL_CASE = /^[a-z][a-zA-Z0-9]*$/;

/** Property names are lowerCamelCase, as the service writes them on the wire. */
export default createRulesetFunction(
  { input: null, options: null },
  function camelCaseProperties(doc: any) {
    const results: IFunctionResult[] = [];
    walk(doc, (node, path, key) => {
      if (isDataPath(path)) return false;
      if (key !== "properties" || node === null || typeof node !== "object") return;
      for (const name of Object.keys(node)) {
        if (!CAMEL_CASE.test(name)) {
          results.push({
            message: `Property "${name}" is not camelCase (expected ${CAMEL_CASE}).`,
            path: [...path, name],
          });
        }
      }
    });
    return results;
  },
);
