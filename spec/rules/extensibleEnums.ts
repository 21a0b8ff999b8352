import { createRulesetFunction, type IFunctionResult } from "@stoplight/spectral-core";
import { isDataPath, isExtensibleEnum, isObject, walk } from "../../core/src/index.ts";

/**
 * Every enum is extensible and says so machine-readably with
 * `x-ms-enum: { name, modelAsString: true, values: [{ value, description }] }`, the marking the
 * generators and the spec diff read. The `values` list must describe exactly the enum's values.
 */
export default createRulesetFunction(
  { input: null, options: null },
  function extensibleEnums(doc: any) {
    const results: IFunctionResult[] = [];
    walk(doc, (node, path) => {
      if (isDataPath(path)) return false;
      if (!isObject(node) || !Array.isArray(node.enum)) return;
      const where = path.join(".");
      const marking = node["x-ms-enum"];
      if (!isObject(marking)) {
        results.push({
          message: `Enum at "${where}" is not marked extensible: add x-ms-enum with modelAsString: true.`,
          path: [...path, "enum"],
        });
        return;
      }
      const markingPath = [...path, "x-ms-enum"];
      if (!isExtensibleEnum(node)) {
        results.push({
          message: `Enum at "${where}" must set x-ms-enum.modelAsString to true: every enum is extensible.`,
          path: [...markingPath, ...("modelAsString" in marking ? ["modelAsString"] : [])],
        });
      }
      const componentName =
        path.length === 3 && path[0] === "components" && path[1] === "schemas" ? path[2] : undefined;
      if (typeof marking.name !== "string" || marking.name === "") {
        results.push({ message: `Enum at "${where}" needs x-ms-enum.name.`, path: markingPath });
      } else if (componentName !== undefined && marking.name !== componentName) {
        results.push({
          message: `x-ms-enum.name "${marking.name}" must equal the schema name "${componentName}".`,
          path: [...markingPath, "name"],
        });
      }
      if (!Array.isArray(marking.values)) {
        results.push({
          message: `Enum at "${where}" needs x-ms-enum.values with a description for each value.`,
          path: markingPath,
        });
        return;
      }
      const described = new Set();
      marking.values.forEach((entry: any, index: number) => {
        const entryPath = [...markingPath, "values", index];
        if (!isObject(entry) || !("value" in entry)) {
          results.push({ message: `x-ms-enum.values[${index}] needs a value.`, path: entryPath });
          return;
        }
        described.add(entry.value);
        if (!node.enum.includes(entry.value)) {
          results.push({
            message: `x-ms-enum.values describes "${entry.value}", which is not in the enum.`,
            path: [...entryPath, "value"],
          });
        }
        if (typeof entry.description !== "string" || entry.description.trim() === "") {
          results.push({
            message: `Enum value "${entry.value}" has no description.`,
            path: entryPath,
          });
        }
      });
      node.enum.forEach((value: unknown, index: number) => {
        if (!described.has(value)) {
          results.push({
            message: `Enum value "${String(value)}" has no description in x-ms-enum.values.`,
            path: [...path, "enum", index],
          });
        }
      });
    });
    return results;
  },
);
