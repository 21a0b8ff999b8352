/**
 * A small, typed client for the Azure Communication Services Call Automation **Connect**
 * operation (`POST {endpoint}/calling/callConnections:connect`), typed by `@acs-connect/types`,
 * with the openapi-fetch client of the whole spec as `client.raw`.
 *
 * - Access-key (HMAC-SHA256) or bearer-token auth, including any `TokenCredential` of
 *   `@azure/identity` (cached, renewed before expiry): node:crypto where the runtime has it, Web
 *   Crypto elsewhere (browsers).
 * - Repeatable requests: one Repeatability-Request-ID / First-Sent pair per logical call, sent
 *   unchanged on every retry, so a retried connect executes once.
 * - Retries with exponential back-off and full jitter on network errors, 408, 429 and 5xx
 *   (not 501/505), honouring Retry-After; abort signal and overall timeout.
 * - node:http in Node (Node's shared keep-alive agents), `fetch` in browsers, Deno and Bun or
 *   when the `fetch` option gives one.
 * - `client.raw`: an openapi-fetch client with all of the above, loaded on first use.
 * - One middleware list (`client.use`) for `connect` and `client.raw`, run before signing; a
 *   `logger` option that reports every attempt.
 *
 * @example
 * ```ts
 * import { createCallAutomationClient, CallAutomationError } from "@acs-connect/client";
 * const client = createCallAutomationClient({ connectionString: process.env.ACS_CONNECTION_STRING! });
 * try {
 *   const call = await client.connect({
 *     callLocator: { kind: "roomCallLocator", roomId: "99434917639286209" },
 *     callbackUri: "https://app.example/callback",
 *   });
 *   console.log(call.callConnectionId);
 * } catch (error) {
 *   if (error instanceof CallAutomationError) console.error(error.status, error.code, error.message);
 *   throw error;
 * }
 * ```
 * @packageDocumentation
 */
export {
  createCallAutomationClient,
  DEFAULT_API_VERSION,
  type AccessKeyCredentialOptions,
  type AzureCredentialOptions,
  type CallAutomationClient,
  type CallAutomationClientBaseOptions,
  type CallAutomationClientOptions,
  type ConnectionStringCredentialOptions,
  type ConnectOptions,
  type OptionalApiVersion,
  type RawPaths,
  type TokenCredentialOptions,
} from "./client.ts";
export { CallAutomationError, type CallAutomationErrorInit } from "./errors.ts";
export type { AccessToken, GetTokenOptions, TokenCredential, TokenProvider } from "./auth.ts";
export type { AttemptLog, FetchLike, Logger, RetryOptions } from "./transport.ts";
export type { Middleware } from "openapi-fetch";
export type { CallConnectionProperties, CommunicationError, CommunicationErrorResponse, ConnectRequest } from "@acs-connect/types";
