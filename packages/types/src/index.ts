/**
 * Types of the Azure Communication Services Call Automation Connect operation
 * (api-version 2025-05-15), generated from its OpenAPI document.
 *
 * - `paths`, `components`, `operations`: the openapi-typescript view of the whole document,
 *   as openapi-fetch and other typed clients consume it.
 * - One named type per schema (`ConnectRequest`, `CallConnectionProperties`, ...). Enums are
 *   extensible: `AudioFormat` accepts any string but autocompletes the known values; the known
 *   values are listed at runtime in `audioFormatValues` and as the closed type `KnownAudioFormat`.
 *
 * @example
 * ```ts
 * import { audioFormatValues, type ConnectRequest } from "@acs-connect/types";
 * const request: ConnectRequest = {
 *   callLocator: { kind: "roomCallLocator", roomId: "99434917639286209" },
 *   callbackUri: "https://app.example/callback",
 * };
 * console.log(audioFormatValues); // ["pcm16KMono", "pcm24KMono"]
 * ```
 * @packageDocumentation
 */
export type { components, operations, paths } from "./generated/openapi.gen.ts";
export * from "./generated/schemas.gen.ts";
