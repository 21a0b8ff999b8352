/**
 * The hand-written parsers on the request path: IMF-fixdate (x-ms-date's strict sibling for
 * Repeatability-First-Sent) and the query-string scan, each checked against the platform's own
 * implementation.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseImfFixdate } from "../src/generated/runtime/runtime.gen.ts";
import { queryValue } from "../src/validation.ts";

/** What the runtime accepted before: Date.parse, strict by a round trip through toUTCString. */
const reference = (value: string) => {
  const time = Date.parse(value);
  return !Number.isNaN(time) && new Date(time).toUTCString() === value ? time : Number.NaN;
};

describe("parseImfFixdate", () => {
  it.each([
    ["Sun, 06 Nov 1994 08:49:37 GMT", 784111777000],
    ["Mon, 06 Nov 1994 08:49:37 GMT", Number.NaN],
    ["Sun, 6 Nov 1994 08:49:37 GMT", Number.NaN],
    ["Thu, 31 Feb 2025 08:49:37 GMT", Number.NaN],
    ["Thu, 15 May 2025 24:00:00 GMT", Number.NaN],
    ["Thu, 15 May 2025 08:60:37 GMT", Number.NaN],
    ["Thu, 15 May 2025 08:49:60 GMT", Number.NaN],
    ["Thu, 15 May 2025 08:49:37 UTC", Number.NaN],
    ["Thursday, 15-May-25 08:49:37 GMT", Number.NaN],
    ["", Number.NaN],
  ])("%j -> %d", (value, expected) => {
    expect(parseImfFixdate(value)).toBe(expected);
    expect(parseImfFixdate(value)).toBe(expected); // answered from the one-entry memo
  });

  it("agrees with Date.parse on every real date", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date("1000-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }), (date) => {
        const text = date.toUTCString();
        expect(parseImfFixdate(text)).toBe(reference(text));
      }),
      { numRuns: 2_000 },
    );
  });

  it("refuses what Date.parse refuses, and more", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        if (Number.isNaN(reference(text))) expect(parseImfFixdate(text)).toBeNaN();
      }),
      { numRuns: 2_000 },
    );
  });
});

describe("queryValue", () => {
  it("reads a parameter as URLSearchParams does", () => {
    fc.assert(
      fc.property(fc.webQueryParameters(), fc.constantFrom("api-version", "a", "x y", "é"), (query, name) => {
        // The query is what follows a request target's first "?", as a URL's searchParams read
        // it. The URLSearchParams constructor drops a leading "?" of its argument (a query of
        // "?a" names the key "?a", not "a"); the "&" keeps it, and adds only an empty pair.
        const expected = new URLSearchParams(`&${query}`).get(name) ?? undefined;
        expect(queryValue(query, name)).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it.each([
    ["api-version=2025-05-15", "2025-05-15"],
    ["x=1&api-version=2025-05-15&api-version=2", "2025-05-15"],
    ["api%2Dversion=2025%2D05%2D15", "2025-05-15"],
    ["api-version", ""],
    ["api-version=", ""],
    ["api-versions=1", undefined],
    ["", undefined],
    ["api-version=%E0%A4%A", "%E0%A4%A"],
    // After "/path?", a second "?" belongs to the key, as in new URL("http://h/p??api-version=1").searchParams.
    ["?api-version=1", undefined],
  ])("%j", (query, expected) => {
    expect(queryValue(query, "api-version")).toBe(expected);
  });
});
