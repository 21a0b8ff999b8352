/**
 * What the runtime offers beyond the web platform. This is the module of every build but the
 * browser one: dist/browser (picked by the "browser" export condition, see tsdown.config.ts)
 * has ./platform.browser.ts in its place, so a browser bundle carries none of the detection below
 * nor any code that only runs where it finds something.
 */
import type { CryptoBackend } from "./auth.ts";

type NodeCrypto = typeof import("node:crypto");
const runtime = globalThis as {
  process?: { versions?: { node?: string; bun?: string }; getBuiltinModule?: (id: string) => unknown };
  Deno?: unknown;
};

/** Node (or a runtime that says it is): a User-Agent can be set, and Node's fetch shows every header. */
export const isNode: boolean = !!runtime.process?.versions?.node;

const node = runtime.process?.getBuiltinModule?.("node:crypto") as NodeCrypto | undefined;

/**
 * node:crypto when the runtime offers it through `process.getBuiltinModule` (Node 20.16+), found
 * without an import so bundles for browsers stay clean; else null, and Web Crypto is used. Web
 * Crypto in Node runs every digest and signature as a thread-pool job, which costs more than the
 * rest of a call's client-side work together; node:crypto hashes these few hundred bytes synchronously.
 */
export const nodeCrypto: CryptoBackend | null = node
  ? {
      hash: (body) => node.createHash("sha256").update(body ?? "").digest("base64"),
      hmac(bytes) {
        const key = node.createSecretKey(bytes);
        return (text) => node.createHmac("sha256", key).update(text).digest("base64");
      },
    }
  : null;

/**
 * Loads the node:http sender, where there is one. Node's fetch (undici) is most of a local call's
 * cost: a WHATWG Request and a teed body stream per request, web streams for the response.
 * node:http does the same exchange for a fraction (as the official SDK does). Not in Bun or Deno,
 * whose node:http sits on their own fetch.
 */
export const loadNodeHttp: (() => Promise<typeof import("./node-http.ts")>) | undefined =
  isNode && typeof runtime.process?.getBuiltinModule === "function" && !runtime.process.versions?.bun && !runtime.Deno
    ? () => import("./node-http.ts")
    : undefined;
