// Provoke the failures a Connect call can meet and handle each as a CallAutomationError: the
// service's code, message, target and details, and the ids to quote to support.
//
//   pnpm example:errors      (or: node examples/handle-errors.mjs)
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { CallAutomationError, createCallAutomationClient } from "@acs-connect/client";
import { closeGracefully, createConnectHandler, createNodeServer, mockConnect } from "@acs-connect/server";

const accessKey = randomBytes(32).toString("base64");
const server = createNodeServer(createConnectHandler({ connect: mockConnect, auth: { accessKey } }));
await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(0, "127.0.0.1", () => resolve(undefined));
});
const address = server.address();
if (address === null || typeof address === "string") throw new Error("the server is not listening on a TCP port");
const endpoint = `http://127.0.0.1:${address.port}`;

const request = {
  callLocator: { kind: "roomCallLocator", roomId: "99434917639286209" },
  callbackUri: "https://app.example/callback",
};

/**
 * Runs a call that must fail and prints what the CallAutomationError carries.
 * @param {string} title
 * @param {() => Promise<unknown>} call
 * @returns {Promise<CallAutomationError>}
 */
async function expectFailure(title, call) {
  console.log(`\n${title}`);
  try {
    await call();
  } catch (error) {
    // Anything else (a TypeError for a malformed request, an AbortError) is a different kind of problem.
    if (!(error instanceof CallAutomationError)) throw error;
    console.log(`  message:  ${error.message}`);
    console.log(`  status:   ${error.status}`);
    console.log(`  code:     ${error.code}`);
    if (error.target) console.log(`  target:   ${error.target}`);
    for (const detail of error.details ?? []) console.log(`  detail:   ${detail.code} ${detail.target ?? ""}: ${detail.message}`);
    if (error.requestId) console.log(`  request:  x-ms-request-id ${error.requestId}`);
    return error;
  }
  throw new Error(`${title}: the call succeeded, but it should have failed`);
}

/** A local port with nothing listening on it. */
async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, "127.0.0.1", () => resolve(undefined)));
  const { port } = /** @type {import("node:net").AddressInfo} */ (probe.address());
  await new Promise((resolve) => probe.close(() => resolve(undefined)));
  return port;
}

try {
  const client = createCallAutomationClient({ endpoint, accessKey, timeoutMs: 10_000 });

  // 1. A value the service does not know for an enum (extensible enums are open to new values
  //    from the service; a request must still use one this API version accepts).
  const invalid = await expectFailure("1. an unknown audio format -> 400 naming the field", () =>
    client.connect({
      ...request,
      mediaStreamingOptions: { transportType: "websocket", audioChannelType: "mixed", audioFormat: "pcm48KStereo" },
    }),
  );

  // 2. A client that signs with another key.
  const wrongKey = createCallAutomationClient({ endpoint, accessKey: randomBytes(32).toString("base64"), timeoutMs: 10_000 });
  const denied = await expectFailure("2. a wrong access key -> 401", () => wrongKey.connect(request));

  // 3. Nothing listening (a port that was free a moment ago): no response at all. Retries are on
  //    by default (3, with back-off); none here, to fail at once.
  const closed = createCallAutomationClient({ endpoint: `http://127.0.0.1:${await freePort()}`, accessKey, retry: { maxRetries: 0 }, timeoutMs: 10_000 });
  const offline = await expectFailure("3. no server -> status 0, NetworkError", () => closed.connect(request));

  const outcome = [invalid.status === 400, denied.status === 401, offline.status === 0 && offline.code === "NetworkError"];
  if (outcome.includes(false)) throw new Error(`unexpected statuses: ${invalid.status}, ${denied.status}, ${offline.status}`);
  console.log("\nall three failures were handled as CallAutomationError");
} finally {
  await closeGracefully(server);
}
