import { createRulesetFunction, type IFunctionResult } from "@stoplight/spectral-core";
import { callbackOperations, deref, isObject } from "../../core/src/index.ts";

/**
 * Every callback operation says what it delivers (a description), how its receiver tells the
 * provider's requests from anyone else's (a security requirement naming a scheme of its own: the
 * document's own schemes authenticate the consumer, not the provider), and what the receiver
 * answers once it has the payload (a 2xx response).
 */
export default createRulesetFunction({ input: null, options: null }, function callbackContract(doc: any) {
  const results: IFunctionResult[] = [];
  const schemes = isObject(doc?.components?.securitySchemes) ? doc.components.securitySchemes : {};
  const consumerSchemes = new Set((Array.isArray(doc?.security) ? doc.security : []).flatMap((requirement: unknown) => (isObject(requirement) ? Object.keys(requirement) : [])));
  for (const op of callbackOperations(doc)) {
    const label = `Callback "${op.callback!.name}" of "${op.callback!.owner}"`;
    if (typeof op.operation.description !== "string" || op.operation.description.trim() === "") {
      results.push({ message: `${label} has no description.`, path: op.path });
    }
    const security = op.operation.security;
    const names = Array.isArray(security) ? security.flatMap((requirement) => (isObject(requirement) ? Object.keys(requirement) : [])) : [];
    if (names.length === 0) {
      results.push({ message: `${label} declares no security requirement: name the scheme that authenticates the provider's requests.`, path: op.path });
    }
    for (const [index, requirement] of (Array.isArray(security) ? security : []).entries()) {
      for (const name of Object.keys(isObject(requirement) ? requirement : {})) {
        if (!isObject(schemes[name])) {
          results.push({ message: `${label} names security scheme "${name}", which is not defined.`, path: [...op.path, "security", index, name] });
        } else if (consumerSchemes.has(name)) {
          results.push({ message: `${label} uses "${name}", the consumer's own credential; a callback needs a scheme of its own.`, path: [...op.path, "security", index, name] });
        }
      }
    }
    const statuses = Object.keys(isObject(op.operation.responses) ? op.operation.responses : {});
    if (!statuses.some((status) => /^2(\d\d|XX)$/.test(status) && isObject(deref(doc, op.operation.responses![status])))) {
      results.push({ message: `${label} has no 2xx response: say what the receiver answers once it has the payload.`, path: isObject(op.operation.responses) ? [...op.path, "responses"] : op.path });
    }
  }
  return results;
});
