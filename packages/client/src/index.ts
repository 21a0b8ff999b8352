/**
 * A typed client for the Connect operation (work in progress).
 * @packageDocumentation
 */
export {};
