// Start the built-in mock of the Connect operation on a free local port, connect to it with the
// client, print the call connection, and stop.
//
//   pnpm example:mock        (or: node examples/mock-server-and-client.mjs)
//
// Plain JavaScript importing the packages by name, as your application would after
// `npm install @acs-connect/client @acs-connect/server`.
import { randomBytes } from "node:crypto";
import { createCallAutomationClient } from "@acs-connect/client";
import { closeGracefully, createConnectHandler, createNodeServer, mockConnect } from "@acs-connect/server";

// The access key is the secret both sides share: the server verifies each request's
// HMAC-SHA256 signature with it, the client signs with it. Any 32 random bytes, base64.
const accessKey = randomBytes(32).toString("base64");

const server = createNodeServer(createConnectHandler({ connect: mockConnect, auth: { accessKey } }));
await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(0, "127.0.0.1", () => resolve(undefined)); // port 0: any free port
});
const address = server.address();
if (address === null || typeof address === "string") throw new Error("the server is not listening on a TCP port");
const endpoint = `http://127.0.0.1:${address.port}/`;
console.log(`mock server listening on ${endpoint}`);

try {
  // The same connection string format as an Azure Communication Services resource's.
  const client = createCallAutomationClient({ connectionString: `endpoint=${endpoint};accesskey=${accessKey}`, timeoutMs: 10_000 });
  const call = await client.connect({
    callLocator: { kind: "roomCallLocator", roomId: "99434917639286209" },
    callbackUri: "https://app.example/callback",
    mediaStreamingOptions: {
      transportType: "websocket",
      transportUrl: "wss://app.example/media",
      audioChannelType: "mixed",
      contentType: "audio",
      audioFormat: "pcm16KMono",
      startMediaStreaming: true,
    },
  });
  console.log("connected:");
  console.log(`  callConnectionId     ${call.callConnectionId}`);
  console.log(`  callConnectionState  ${call.callConnectionState}`);
  console.log(`  serverCallId         ${call.serverCallId}`);
  console.log(`  callbackUri          ${call.callbackUri}`);
  console.log(`  media streaming      ${call.mediaStreamingSubscription?.state} (${call.mediaStreamingSubscription?.subscribedContentTypes?.join(", ")})`);
} finally {
  await closeGracefully(server);
  console.log("mock server stopped");
}
