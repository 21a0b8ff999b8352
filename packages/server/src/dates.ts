/**
 * HTTP dates in the IMF-fixdate form (RFC 9110, section 5.6.7), e.g.
 * `Sun, 06 Nov 1994 08:49:37 GMT`: what `x-ms-date` and `Repeatability-First-Sent` carry. The
 * parser is the OpenAPI core's (the `date-time-rfc1123` format), generated into this package,
 * so the server accepts exactly what the lint gate and the client accept.
 */
export { parseImfFixdate } from "./generated/runtime/runtime.gen.ts";
