// @ts-check
import { createRulesetFunction } from "@stoplight/spectral-core";
import { deref, effectiveParameters, isObject, operations, resolvePointer } from "./lib/openapi.js";
import { createValidator, formatJsonPath } from "./lib/json-schema.js";

/**
 * Every example of an operation (parameters, request body, response bodies and headers)
 * validates against its schema, with discriminators honoured so that subtype fields such as
 * `mediaStreamingOptions.audioFormat` are checked too. Examples use the values this API
 * version knows, so extensible enums are validated as closed here.
 */
export default createRulesetFunction(
  { input: null, options: null },
  function validExamples(doc) {
    /** @type {import("@stoplight/spectral-core").IFunctionResult[]} */
    const results = [];
    /** @type {{ request: ReturnType<typeof createValidator>, response: ReturnType<typeof createValidator> }} */
    let validators;
    try {
      validators = {
        request: createValidator(doc, { direction: "request" }),
        response: createValidator(doc, { direction: "response" }),
      };
    } catch (error) {
      return [{ message: `Examples cannot be validated: ${errorText(error)}`, path: ["components", "schemas"] }];
    }

    for (const op of operations(doc)) {
      /**
       * @param {string} label
       * @param {any} holder an object with `schema` and `example` / `examples`
       * @param {(string|number)[]} path
       * @param {"request" | "response"} direction
       */
      const check = (label, holder, path, direction) => {
        if (!isObject(holder) || !isObject(holder.schema)) return;
        /** @type {Array<[string, unknown, (string|number)[]]>} */
        const samples = [];
        if ("example" in holder) samples.push(["example", holder.example, [...path, "example"]]);
        for (const [name, raw] of Object.entries(isObject(holder.examples) ? holder.examples : {})) {
          let examplePath = [...path, "examples", name];
          let example = raw;
          if (isObject(raw) && typeof raw.$ref === "string") {
            const target = resolvePointer(doc, raw.$ref);
            example = target?.value;
            if (target) examplePath = target.path;
          }
          if (isObject(example) && "value" in example) {
            samples.push([`example "${name}"`, example.value, [...examplePath, "value"]]);
          }
        }
        for (const [sampleLabel, value, valuePath] of samples) {
          let issues;
          try {
            issues = validators[direction].validate(holder.schema, value);
          } catch (error) {
            results.push({ message: `The schema of ${label} of "${op.name}" cannot be compiled: ${errorText(error)}`, path: [...path, "schema"] });
            return;
          }
          for (const issue of issues) {
            results.push({
              message: `The ${sampleLabel} of ${label} of "${op.name}" is invalid: ${issue.path.length > 0 ? `${formatJsonPath(issue.path)} ` : ""}${issue.message}.`,
              path: [...valuePath, ...issue.path.slice(0, existingDepth(value, issue.path))],
            });
          }
        }
      };

      for (const { parameter, path } of effectiveParameters(doc, op)) {
        check(`parameter "${parameter.name}"`, parameter, path, "request");
      }
      const requestBody = deref(doc, op.operation.requestBody);
      for (const [mediaType, media] of Object.entries(requestBody?.content ?? {})) {
        check(`the request body (${mediaType})`, media, [...op.path, "requestBody", "content", mediaType], "request");
      }
      for (const [status, raw] of Object.entries(op.operation.responses ?? {})) {
        const response = deref(doc, raw);
        const responsePath = [...op.path, "responses", status];
        for (const [mediaType, media] of Object.entries(response?.content ?? {})) {
          check(`response ${status} (${mediaType})`, media, [...responsePath, "content", mediaType], "response");
        }
        for (const [header, rawHeader] of Object.entries(response?.headers ?? {})) {
          check(`header "${header}" of response ${status}`, deref(doc, rawHeader), [...responsePath, "headers", header], "response");
        }
      }
    }
    return results;
  },
);

/**
 * How many segments of `path` exist in `value`: a missing property is reported at its parent,
 * which is the nearest place in the file that has a line number.
 * @param {unknown} value
 * @param {(string|number)[]} path
 */
function existingDepth(value, path) {
  /** @type {any} */
  let node = value;
  let depth = 0;
  for (const segment of path) {
    if (node === null || typeof node !== "object" || !(segment in node)) break;
    node = node[segment];
    depth++;
  }
  return depth;
}

/** @param {unknown} error */
function errorText(error) {
  return error instanceof Error ? error.message : String(error);
}
