import { createRulesetFunction, type IFunctionResult } from "@stoplight/spectral-core";
import { effectiveParameters, operations } from "../../core/src/index.ts";

const REQUEST_ID = "repeatability-request-id";
const FIRST_SENT = "repeatability-first-sent";

/**
 * Repeatable requests (OASIS Repeatable Requests 1.0) need both headers: the server cannot
 * apply its window to a Request-ID without the First-Sent date, and First-Sent alone means
 * nothing.
 */
export default createRulesetFunction(
  { input: null, options: null },
  function repeatabilityHeaders(doc: any) {
    const results: IFunctionResult[] = [];
    for (const op of operations(doc)) {
      const headers = new Map(
        effectiveParameters(doc, op)
          .filter(({ parameter }) => parameter.in === "header" && typeof parameter.name === "string")
          .map((entry) => [entry.parameter.name.toLowerCase(), entry]),
      );
      const requestId = headers.get(REQUEST_ID);
      const firstSent = headers.get(FIRST_SENT);
      if (requestId && !firstSent) {
        results.push({
          message: `Operation "${op.name}" declares Repeatability-Request-ID without Repeatability-First-Sent.`,
          path: requestId.path,
        });
      }
      if (firstSent && !requestId) {
        results.push({
          message: `Operation "${op.name}" declares Repeatability-First-Sent without Repeatability-Request-ID.`,
          path: firstSent.path,
        });
      }
    }
    return results;
  },
);
