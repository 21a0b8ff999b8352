/**
 * The consumer project of the end-to-end test: what someone who ran `npm install` of our
 * packages writes. Kept as text here (not as .ts files in the repository) because it must compile
 * against the installed packages, not against the workspace sources the repository's tsconfig
 * maps `@acs-connect/*` to.
 */

/**
 * ESM: types from all four packages, two `@ts-expect-error`s proving the declarations are
 * precise (not `any`), then a real call of the running server, and one with a wrong key.
 * Prints one JSON line.
 */
export const ESM_CONSUMER = `import { CallAutomationError, createCallAutomationClient, type CallAutomationClient } from "@acs-connect/client";
import { createConnectHandler, mockConnect, type ConnectHandlerOptions } from "@acs-connect/server";
import { audioFormatValues, type CallConnectionProperties, type ConnectRequest, type KnownAudioFormat } from "@acs-connect/types";
import spec, { apiVersion } from "@acs-connect/spec";

const request: ConnectRequest = {
  callLocator: { kind: "roomCallLocator", roomId: "99434917639286209" },
  callbackUri: "https://app.example/callback",
};
// @ts-expect-error callbackUri is required by the ConnectRequest schema.
const incomplete: ConnectRequest = { callLocator: { kind: "roomCallLocator", roomId: "1" } };
void incomplete;
// @ts-expect-error the known audio formats are a closed union.
const unknownFormat: KnownAudioFormat = "mp3";
void unknownFormat;

// The server's handler options accept the built-in mock as the connect implementation.
const options: ConnectHandlerOptions = { connect: mockConnect, auth: { accessKey: Buffer.from("consumer-key").toString("base64") } };
const handle: (request: Request) => Promise<Response> = createConnectHandler(options);
void handle;

const connectionString = process.env.ACS_CONNECTION_STRING;
if (!connectionString) throw new Error("ACS_CONNECTION_STRING is not set");
const client: CallAutomationClient = createCallAutomationClient({ connectionString });
const call: CallConnectionProperties = await client.connect(request, { operationContext: "e2e" });

const wrongKey = connectionString.replace(/accesskey=.*$/, \`accesskey=\${Buffer.from("not the key").toString("base64")}\`);
let unauthorized: { status: number; code: string } | undefined;
try {
  await createCallAutomationClient({ connectionString: wrongKey, retry: { maxRetries: 0 } }).connect(request);
} catch (error) {
  if (!(error instanceof CallAutomationError)) throw error;
  unauthorized = { status: error.status, code: error.code };
}

console.log(JSON.stringify({ apiVersion, openapi: spec.openapi, paths: Object.keys(spec.paths), audioFormatValues, call, unauthorized }));
`;

/** CommonJS: the same packages through `require` (their .cjs builds and .d.cts declarations). */
export const CJS_CONSUMER = `import client = require("@acs-connect/client");
import server = require("@acs-connect/server");
import spec = require("@acs-connect/spec");
import types = require("@acs-connect/types");

const request: types.ConnectRequest = {
  callLocator: { kind: "serverCallLocator", serverCallId: "aHR0cHM6Ly9leGFtcGxlLmNvbS9jYWxs" },
  callbackUri: "https://app.example/callback",
};

async function main(): Promise<void> {
  const connection = client.createCallAutomationClient({ connectionString: process.env.ACS_CONNECTION_STRING! });
  const call = await connection.connect(request);
  console.log(
    JSON.stringify({
      call,
      openapi: spec.default.openapi,
      apiVersion: spec.apiVersion,
      yaml: require.resolve("@acs-connect/spec/openapi.yaml"),
      mockConnect: typeof server.mockConnect,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
`;

/** Strict NodeNext, no DOM library (a plain Node consumer), and the packages' declarations checked too. */
export const TSCONFIG = JSON.stringify(
  {
    compilerOptions: {
      target: "es2022",
      module: "nodenext",
      moduleResolution: "nodenext",
      lib: ["es2023"],
      types: ["node"],
      strict: true,
      skipLibCheck: false,
      outDir: "out",
    },
    files: ["consumer.ts", "consumer.cts"],
  },
  null,
  2,
);
