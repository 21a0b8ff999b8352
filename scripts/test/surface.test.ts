import { describe, expect, it } from "vitest";
import { declarationSurface } from "../../tools/packages/surface.ts";

const BASE = `/**
 * The request.
 * @public
 */
export interface Request {
    /** @description The call locator. */
    callLocator: string;
    count?: number;
}
export declare const kinds: readonly ["a", "b // not a comment"];
`;

describe("declarationSurface: the key of an API report", () => {
  it("ignores the text of comments and the layout", () => {
    const edited = BASE.replace("The call locator.", "Where the call is, edited.").replace("The request.", "The request,\n * now on two lines.");
    expect(declarationSurface(edited)).toBe(declarationSurface(BASE));
    expect(declarationSurface(BASE.replace(/\n {4}/g, "\n  "))).toBe(declarationSurface(BASE));
  });

  it("changes with what the report shows: a declaration, a comment added or removed, a tag", () => {
    const surface = declarationSurface(BASE);
    expect(declarationSurface(BASE.replace("count?: number;", "count?: number;\n    total: number;"))).not.toBe(surface);
    expect(declarationSurface(BASE.replace('"b // not a comment"', '"b // changed"'))).not.toBe(surface);
    // API Extractor notes "(undocumented)" where a declaration has no doc comment.
    expect(declarationSurface(BASE.replace("    count?: number;", "    /** How many. */\n    count?: number;"))).not.toBe(surface);
    expect(declarationSurface(BASE.replace("    /** @description The call locator. */\n", ""))).not.toBe(surface);
    expect(declarationSurface(BASE.replace(" * @public", " * @beta"))).not.toBe(surface);
  });
});
