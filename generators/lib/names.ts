/** Names that generated code and generated docs must agree on. */

/** The runtime list of an enum's known values: `AudioFormat` -> `audioFormatValues`. */
export function valuesName(schemaName: string): string {
  return `${schemaName.charAt(0).toLowerCase()}${schemaName.slice(1)}Values`;
}
