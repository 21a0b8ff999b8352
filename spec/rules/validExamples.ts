import { createRulesetFunction, type IFunctionResult } from "@stoplight/spectral-core";
import {
  callbackOperations,
  createValidator,
  deref,
  effectiveParameters,
  formatJsonPath,
  isObject,
  operations,
  resolveRef,
  type Direction,
  type Path,
  type SchemaValidatorSet,
} from "../../core/src/index.ts";

/**
 * Every example of an operation and of its callbacks (parameters, request body, response
 * bodies and headers) validates against its schema, with discriminators honoured so that
 * subtype fields such as `mediaStreamingOptions.audioFormat` are checked too. Examples use the
 * values this API version knows, so extensible enums are validated as closed here.
 */
export default createRulesetFunction({ input: null, options: null }, function validExamples(doc: any) {
  const results: IFunctionResult[] = [];
  let validators: Record<Direction, SchemaValidatorSet>;
  try {
    validators = { request: createValidator(doc, { direction: "request" }), response: createValidator(doc, { direction: "response" }) };
  } catch (error) {
    return [{ message: `Examples cannot be validated: ${errorText(error)}`, path: ["components", "schemas"] }];
  }

  for (const op of operations(doc).concat(callbackOperations(doc))) {
    // A callback's request travels like a response: readOnly properties are sent in it.
    const [sent, received]: Direction[] = op.callback ? ["response", "request"] : ["request", "response"];
    const check = (label: string, holder: any, path: Path, direction: Direction) => {
      if (!isObject(holder) || !isObject(holder.schema)) return;
      const samples: Array<[string, unknown, Path]> = [];
      if ("example" in holder) samples.push(["example", holder.example, [...path, "example"]]);
      for (const [name, raw] of Object.entries(isObject(holder.examples) ? holder.examples : {})) {
        let examplePath: Path = [...path, "examples", name];
        let example: unknown = raw;
        if (isObject(raw) && typeof raw.$ref === "string") {
          const target = resolveRef(doc, raw.$ref);
          example = target?.value;
          if (target) examplePath = target.path;
        }
        if (isObject(example) && "value" in example) samples.push([`example "${name}"`, example.value, [...examplePath, "value"]]);
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

    for (const { parameter, path } of effectiveParameters(doc, op)) check(`parameter "${parameter.name}"`, parameter, path, sent!);
    const requestBody = deref<any>(doc, op.operation.requestBody);
    for (const [mediaType, media] of Object.entries<any>(requestBody?.content ?? {})) {
      check(`the request body (${mediaType})`, media, [...op.path, "requestBody", "content", mediaType], sent!);
    }
    for (const [status, raw] of Object.entries(op.operation.responses ?? {})) {
      const response = deref<any>(doc, raw);
      const responsePath = [...op.path, "responses", status];
      for (const [mediaType, media] of Object.entries<any>(response?.content ?? {})) {
        check(`response ${status} (${mediaType})`, media, [...responsePath, "content", mediaType], received!);
      }
      for (const [header, rawHeader] of Object.entries<any>(response?.headers ?? {})) {
        check(`header "${header}" of response ${status}`, deref(doc, rawHeader), [...responsePath, "headers", header], received!);
      }
    }
  }
  return results;
});

/**
 * How many segments of `path` exist in `value`: a missing property is reported at its parent,
 * which is the nearest place in the file that has a line number.
 */
function existingDepth(value: unknown, path: Path): number {
  let node: any = value;
  let depth = 0;
  for (const segment of path) {
    if (node === null || typeof node !== "object" || !(segment in node)) break;
    node = node[segment];
    depth++;
  }
  return depth;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
