import { createRulesetFunction, type IFunctionResult } from "@stoplight/spectral-core";
import { deref, isDataPath, isObject, mappingTargetRef, pointer, resolveRef, valueAt, walk } from "../../core/src/index.ts";

/**
 * Every discriminator names a required property and maps each value explicitly to a schema
 * that exists and inherits from the base, so that code generators and validators agree on the
 * subtypes instead of guessing them from schema names; and every value the property's enum lists
 * has a mapping, so receivers (of callback events too) can narrow every known value.
 */
export default createRulesetFunction(
  { input: null, options: null },
  function discriminatorMapping(doc: any) {
    const results: IFunctionResult[] = [];
    walk(doc, (node, path, key) => {
      if (isDataPath(path)) return false;
      if (key !== "discriminator" || !isObject(node)) return;
      const basePath = path.slice(0, -1);
      const base = valueAt(doc, basePath);
      const baseRef = pointer(...basePath);
      const property = node.propertyName;
      if (typeof property !== "string") return; // oas3-schema reports the missing propertyName
      if (!isObject(base?.properties?.[property])) {
        results.push({
          message: `Discriminator property "${property}" is not a property of the schema.`,
          path: [...path, "propertyName"],
        });
      } else if (!Array.isArray(base.required) || !base.required.includes(property)) {
        results.push({
          message: `Discriminator property "${property}" must be required.`,
          path: [...path, "propertyName"],
        });
      }
      if (!isObject(node.mapping) || Object.keys(node.mapping).length === 0) {
        results.push({
          message: `Discriminator on "${property}" needs an explicit mapping from each value to its schema.`,
          path,
        });
        return;
      }
      const known = knownValues(doc, base?.properties?.[property]);
      // A known value without a subtype leaves receivers (e.g. of callback events) nothing to narrow to.
      for (const value of known ?? []) {
        if (!(String(value) in node.mapping)) {
          results.push({ message: `Discriminator on "${property}" maps no schema for its known value "${String(value)}".`, path: [...path, "mapping"] });
        }
      }
      for (const [value, target] of Object.entries(node.mapping)) {
        const targetPath = [...path, "mapping", value];
        const ref = mappingTargetRef(target);
        const schema = resolveRef(doc, ref)?.value;
        if (!isObject(schema)) {
          results.push({ message: `Discriminator mapping "${value}" points to "${String(target)}", which does not exist.`, path: targetPath });
          continue;
        }
        const inherits =
          ref === baseRef ||
          (Array.isArray(schema.allOf) && schema.allOf.some((m: any) => m?.$ref === baseRef));
        if (!inherits) {
          results.push({
            message: `Discriminator mapping "${value}" points to "${ref}", which does not inherit from ${baseRef} with allOf.`,
            path: targetPath,
          });
        }
        if (known && !known.includes(value)) {
          results.push({
            message: `Discriminator mapping key "${value}" is not a value of "${property}" (${known.join(", ")}).`,
            path: targetPath,
          });
        }
      }
    });
    return results;
  },
);

/** The enum values of a discriminator property, following `$ref` and the `allOf` wrapper. */
function knownValues(doc: unknown, schema: any): unknown[] | undefined {
  const resolved = deref(doc, schema);
  if (!isObject(resolved)) return undefined;
  if (Array.isArray(resolved.enum)) return resolved.enum;
  if (Array.isArray(resolved.allOf) && resolved.allOf.length === 1) return knownValues(doc, resolved.allOf[0]);
  return undefined;
}
