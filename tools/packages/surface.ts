/**
 * The part of a package's declarations (dist/index.d.mts) that its API report shows, as a key:
 * the tokens, and each comment as a marker with the TSDoc tags in it but not its text. API
 * Extractor's report leaves doc comments out, except for what a tag says (`@deprecated`,
 * `@beta`...) and a "(undocumented)" note where a declaration has none. A description edit in
 * the spec changes only the text of a comment, so it keeps the key and the report is reused
 * without running API Extractor (seconds per package).
 *
 * Babel's parser rather than TypeScript's scanner: it loads in a tenth of the time, and
 * `pnpm generate` after a description edit otherwise loads no TypeScript at all.
 */
import { parse } from "@babel/parser";

export function declarationSurface(declarations: string): string {
  const file = parse(declarations, { sourceType: "module", plugins: ["typescript"], tokens: true });
  return (file.tokens ?? [])
    .map((token: { type: unknown; start: number; end: number; value?: unknown }) => {
      const kind = typeof token.type === "string" ? token.type : "";
      if (kind === "CommentBlock" || kind === "CommentLine") return `/*${(String(token.value).match(/@\w+/g) ?? []).join(",")}*/`;
      return declarations.slice(token.start, token.end);
    })
    .join(" ");
}
