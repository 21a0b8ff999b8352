import { createRulesetFunction, type IFunctionResult } from "@stoplight/spectral-core";
import { COMPONENT_KINDS, componentRef, isObject, reachableComponents as reached } from "../../core/src/index.ts";

/**
 * Every component is reachable from an operation or its callbacks. This replaces Spectral's
 * oas3-unused-component, which follows only `$ref`s and so reports every subtype that a
 * discriminator `mapping` names (and nothing else references) as unused.
 */
export default createRulesetFunction({ input: null, options: null }, function reachableComponents(doc: any) {
  if (!isObject(doc) || !isObject(doc.components)) return [];
  const found = reached(doc);
  const results: IFunctionResult[] = [];
  for (const kind of COMPONENT_KINDS) {
    const group = doc.components[kind];
    if (!isObject(group)) continue;
    for (const name of Object.keys(group)) {
      if (!found.has(componentRef(name, kind))) {
        results.push({ message: `Component "${kind}/${name}" is not reachable from any operation.`, path: ["components", kind, name] });
      }
    }
  }
  return results;
});
