/**
 * ./platform.ts for the browser build (dist/browser): no Node, no node:crypto, no node:http.
 * The constants let the bundler drop every branch that needs them.
 */
import type * as Platform from "./platform.ts";

/** Never Node: the User-Agent goes as x-ms-useragent, and a body is read chunk by chunk. */
export const isNode: typeof Platform.isNode = false;
/** Web Crypto only. */
export const nodeCrypto: typeof Platform.nodeCrypto = null;
/** fetch only. */
export const loadNodeHttp: typeof Platform.loadNodeHttp = undefined;
