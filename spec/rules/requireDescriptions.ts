import { createRulesetFunction, type IFunctionResult } from "@stoplight/spectral-core";
import { callbackOperations, isObject, operations, type Path } from "../../core/src/index.ts";

/**
 * Every component schema, every inline body schema (of operations and their callbacks) and every
 * property has a description. A property that is a bare
 * `$ref` cannot carry one in OpenAPI 3.0 (siblings of `$ref` are ignored), so the message says
 * how to fix that case.
 */
export default createRulesetFunction(
  { input: null, options: null },
  function requireDescriptions(doc: any) {
    const results: IFunctionResult[] = [];
    const schemas = isObject(doc?.components?.schemas) ? doc.components.schemas : {};

    function visitProperties(schema: any, owner: string, path: Path): void {
      if (!isObject(schema)) return;
      if (isObject(schema.properties)) {
        for (const [name, property] of Object.entries(schema.properties)) {
          const propertyPath = [...path, "properties", name];
          if (!isObject(property)) continue;
          if (typeof property.description !== "string" || property.description.trim() === "") {
            results.push({
              message:
                typeof property.$ref === "string"
                  ? `Property "${owner}.${name}" has no description; wrap the $ref in allOf to give it one.`
                  : `Property "${owner}.${name}" has no description.`,
              path: propertyPath,
            });
          }
          visitProperties(property, `${owner}.${name}`, propertyPath);
        }
      }
      for (const keyword of ["allOf", "oneOf", "anyOf"]) {
        if (Array.isArray(schema[keyword])) {
          schema[keyword].forEach((member: any, index: number) =>
            visitProperties(member, owner, [...path, keyword, index]),
          );
        }
      }
      if (isObject(schema.items)) visitProperties(schema.items, `${owner}[]`, [...path, "items"]);
      if (isObject(schema.additionalProperties)) {
        visitProperties(schema.additionalProperties, `${owner}{}`, [...path, "additionalProperties"]);
      }
    }

    // Inline schemas of message bodies (the callback's event batch, say) are schemas too.
    for (const op of [...operations(doc), ...callbackOperations(doc)]) {
      const bodies: Array<[unknown, Path]> = [[op.operation.requestBody, [...op.path, "requestBody"]]];
      for (const [status, response] of Object.entries(op.operation.responses ?? {})) bodies.push([response, [...op.path, "responses", status]]);
      for (const [body, bodyPath] of bodies) {
        if (!isObject(body) || !isObject(body.content)) continue;
        for (const [mediaType, media] of Object.entries<any>(body.content)) {
          const schema = media?.schema;
          if (!isObject(schema) || typeof schema.$ref === "string") continue;
          const schemaPath = [...bodyPath, "content", mediaType, "schema"];
          const owner = `${op.name} ${bodyPath.at(-1) === "requestBody" ? "request" : `response ${String(bodyPath.at(-1))}`} body`;
          if (typeof schema.description !== "string" || schema.description.trim() === "") {
            results.push({ message: `The inline schema of the ${owner} has no description.`, path: schemaPath });
          }
          visitProperties(schema, owner, schemaPath);
        }
      }
    }

    for (const [name, schema] of Object.entries(schemas)) {
      const path = ["components", "schemas", name];
      if (!isObject(schema) || typeof schema.description !== "string" || schema.description.trim() === "") {
        results.push({ message: `Schema "${name}" has no description.`, path });
      }
      visitProperties(schema, name, path);
    }
    return results;
  },
);
