/**
 * Serve (or simulate) the Azure Communication Services Call Automation Connect operation,
 * api-version 2025-05-15, spec-driven: routing, validation and the handler types come from the
 * layer `pnpm generate` renders from the OpenAPI document.
 *
 * The exports are exactly what the README documents. The route table, the compiled validators
 * and the transport-independent core stay internal, so that they can follow the spec and the
 * runtime without a breaking release.
 *
 * @example
 * ```ts
 * import { createConnectHandler, createNodeServer, mockConnect } from "@acs-connect/server";
 * const handle = createConnectHandler({ connect: mockConnect, auth: { accessKey: process.env.ACS_ACCESS_KEY! } });
 * createNodeServer(handle).listen(8080, "127.0.0.1");
 * ```
 * @packageDocumentation
 */
export {
  createConnectHandler,
  type ConnectContext,
  type ConnectFetchHandler,
  type ConnectHandlerOptions,
  type LogEntry,
  type Logger,
} from "./handler.ts";
export { closeGracefully, createNodeServer, requestsInFlight, type NodeServerOptions } from "./node.ts";
export { mockConnect } from "./mock.ts";
export {
  MemoryRepeatabilityStore,
  type MemoryRepeatabilityStoreOptions,
  type RepeatabilityClaim,
  type RepeatabilityStore,
  type StoredResponse,
} from "./repeatability.ts";
export { ServiceError, type ErrorDetail } from "./errors.ts";
export type { AuthOptions, TokenVerdict } from "./auth.ts";
export { apiVersion, type ConnectHandler, type ConnectParameters } from "./generated/stubs/index.ts";
