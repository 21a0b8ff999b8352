// Serve Connect with your own handler, protected by a shared secret (the access key), and call
// it with the client. Then repeat the call with the same repeatability pair: the server
// answers with the first result and does not run the handler again.
//
//   pnpm example:handler     (or: node examples/custom-handler.mjs)
//
// Set ACS_CONNECT_ACCESS_KEY to use your own key (base64); otherwise a random one is made.
import { randomBytes, randomUUID } from "node:crypto";
import { createCallAutomationClient } from "@acs-connect/client";
import { ServiceError, closeGracefully, createConnectHandler, createNodeServer } from "@acs-connect/server";

const sharedSecret = process.env.ACS_CONNECT_ACCESS_KEY ?? randomBytes(32).toString("base64");

// What your service keeps: here, the calls it knows, by server call id.
const knownCalls = new Set(["aHR0cHM6Ly9jb252ZXJzYXRpb251cmwvdGVzdA"]);
let handlerRuns = 0;

const handle = createConnectHandler({
  // Runs only for authenticated requests whose body matched ConnectRequest; `request` is typed
  // and validated, `context` has the request id, parameters and a disconnect signal.
  connect: async (request, context) => {
    handlerRuns++;
    const { callLocator } = request;
    if (callLocator.kind === "serverCallLocator" && !knownCalls.has(callLocator.serverCallId ?? "")) {
      // Becomes a 404 CommunicationErrorResponse; the client throws it as a CallAutomationError.
      throw new ServiceError(404, "CallNotFound", "No call has that server call id.", { target: "callLocator.serverCallId" });
    }
    return {
      callConnectionId: randomUUID(),
      serverCallId: callLocator.serverCallId,
      callConnectionState: "connecting",
      callbackUri: request.callbackUri,
      correlationId: context.requestId,
    };
  },
  auth: { accessKey: sharedSecret },
});

const server = createNodeServer(handle);
await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(0, "127.0.0.1", () => resolve(undefined));
});
const address = server.address();
if (address === null || typeof address === "string") throw new Error("the server is not listening on a TCP port");
const endpoint = `http://127.0.0.1:${address.port}`;
console.log(`custom handler listening on ${endpoint}`);

try {
  const client = createCallAutomationClient({ endpoint, accessKey: sharedSecret, timeoutMs: 10_000 });
  const request = {
    callLocator: { kind: "serverCallLocator", serverCallId: "aHR0cHM6Ly9jb252ZXJzYXRpb251cmwvdGVzdA" },
    callbackUri: "https://app.example/callback",
  };

  // One repeatability pair per logical call: keep it to repeat the call safely later, e.g.
  // after a crash, within the 5-minute window.
  const pair = { repeatabilityRequestId: randomUUID(), repeatabilityFirstSent: new Date() };
  const first = await client.connect(request, pair);
  console.log(`first call:  ${first.callConnectionId} (${first.callConnectionState})`);
  const repeat = await client.connect(request, pair);
  console.log(`repeat:      ${repeat.callConnectionId} (${repeat.callConnectionId === first.callConnectionId ? "same connection" : "A NEW CONNECTION"})`);
  const another = await client.connect(request);
  console.log(`new call:    ${another.callConnectionId} (a fresh pair, so a new connection)`);
  console.log(`the handler ran ${handlerRuns} time(s) for 3 requests`);
  if (repeat.callConnectionId !== first.callConnectionId || handlerRuns !== 2) {
    throw new Error("the repeated request was executed again");
  }
} finally {
  await closeGracefully(server);
  console.log("server stopped");
}
