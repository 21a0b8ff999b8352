// @ts-check
import { createRulesetFunction } from "@stoplight/spectral-core";
import { isObject, resolvePointer } from "./lib/openapi.js";
import { mappingTargetRef } from "./lib/json-schema.js";

const COMPONENT_TYPES = [
  "schemas",
  "responses",
  "parameters",
  "examples",
  "requestBodies",
  "headers",
  "links",
  "callbacks",
  "securitySchemes",
];

/**
 * Every component is reachable from an operation. This replaces Spectral's
 * oas3-unused-component, which follows only `$ref`s and so reports every subtype that a
 * discriminator `mapping` names (and nothing else references) as unused.
 */
export default createRulesetFunction(
  { input: null, options: null },
  function reachableComponents(doc) {
    if (!isObject(doc) || !isObject(doc.components)) return [];
    /** @type {Set<string>} */
    const reached = new Set();
    /** @type {unknown[]} */
    const queue = [];

    /** @param {string} ref */
    const reach = (ref) => {
      if (reached.has(ref)) return;
      reached.add(ref);
      const target = resolvePointer(doc, ref);
      if (target) queue.push(target.value);
    };

    /**
     * Collects references in structure, not in example data or extension payloads.
     * @param {unknown} node
     * @param {string | undefined} key
     * @param {string | undefined} parentKey
     */
    const scan = (node, key, parentKey) => {
      if (Array.isArray(node)) {
        for (const child of node) scan(child, undefined, key);
        return;
      }
      if (!isObject(node)) return;
      if (typeof node.$ref === "string") reach(node.$ref);
      if (key === "discriminator" && isObject(node.mapping)) {
        for (const target of Object.values(node.mapping)) reach(mappingTargetRef(target));
      }
      if (key === "security" || parentKey === "security") {
        for (const name of Object.keys(node)) reach(`#/components/securitySchemes/${name}`);
      }
      for (const [childKey, child] of Object.entries(node)) {
        if (childKey.startsWith("x-")) continue;
        // Example payloads are data; a property *named* "example" is structure.
        if (childKey === "example" && key !== "properties") continue;
        if (childKey === "value" && parentKey === "examples") continue;
        scan(child, childKey, key);
      }
    };

    for (const [key, value] of Object.entries(doc)) {
      if (key !== "components") scan(value, key, undefined);
    }
    while (queue.length > 0) scan(queue.shift(), undefined, undefined);

    /** @type {import("@stoplight/spectral-core").IFunctionResult[]} */
    const results = [];
    for (const type of COMPONENT_TYPES) {
      const group = doc.components[type];
      if (!isObject(group)) continue;
      for (const name of Object.keys(group)) {
        const ref = `#/components/${type}/${name.replace(/~/g, "~0").replace(/\//g, "~1")}`;
        if (!reached.has(ref)) {
          results.push({
            message: `Component "${type}/${name}" is not reachable from any operation.`,
            path: ["components", type, name],
          });
        }
      }
    }
    return results;
  },
);
