// @ts-check
import { createRulesetFunction } from "@stoplight/spectral-core";
import { isDataPath, walk } from "./lib/openapi.js";

const CAMEL_CASE = /^[a-z][a-zA-Z0-9]*$/;

/** Property names are lowerCamelCase, as the service writes them on the wire. */
export default createRulesetFunction(
  { input: null, options: null },
  function camelCaseProperties(doc) {
    /** @type {import("@stoplight/spectral-core").IFunctionResult[]} */
    const results = [];
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
