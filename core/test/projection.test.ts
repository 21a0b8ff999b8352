import { describe, expect, it } from "vitest";
import { readSpec } from "../../generators/lib/spec.ts";
import { describedLater, fillDescriptions, isResponsePath, walk, withoutDescriptions } from "../src/index.ts";

describe("withoutDescriptions", () => {
  it("drops the description keyword of the structure, keeps what `keep` accepts, and leaves names and data alone", () => {
    const doc = {
      info: { title: "T", description: "about" },
      paths: {
        "/a": {
          post: {
            summary: "kept",
            description: "dropped",
            responses: { "200": { description: "OK", content: { "application/json": { schema: { $ref: "#/components/schemas/A" } } } } },
          },
        },
      },
      components: {
        schemas: {
          description: { type: "string", description: "a schema named description" },
          A: {
            type: "object",
            description: "dropped",
            properties: { description: { type: "string", description: "dropped" } },
            example: { description: "data" },
            "x-ms-enum": { values: [{ value: "a", description: "data" }] },
          },
        },
      },
    };
    const projected = withoutDescriptions(doc, isResponsePath) as any;
    expect(projected.info).toEqual({ title: "T" });
    expect(projected.paths["/a"].post.description).toBeUndefined();
    expect(projected.paths["/a"].post.summary).toBe("kept");
    expect(projected.paths["/a"].post.responses["200"].description).toBe("OK");
    expect(projected.components.schemas.description).toEqual({ type: "string" });
    expect(Object.keys(projected.components.schemas.A.properties)).toEqual(["description"]);
    expect(projected.components.schemas.A.properties.description).toEqual({ type: "string" });
    expect(projected.components.schemas.A.example).toEqual({ description: "data" });
    expect(projected.components.schemas.A["x-ms-enum"].values[0].description).toBe("data");
    // Without `keep`, the response's goes too; the input is untouched.
    expect((withoutDescriptions(doc) as any).paths["/a"].post.responses["200"].description).toBeUndefined();
    expect(doc.paths["/a"].post.description).toBe("dropped");
  });

  it("leaves no description text of the spec's structure, and changes nothing else of it", async () => {
    const { doc } = await readSpec();
    const projected = withoutDescriptions(doc);
    const left: string[] = [];
    walk(projected, (node, path) => {
      if (path.some((segment) => typeof segment === "string" && (segment.startsWith("x-") || segment === "example" || segment === "examples"))) return false;
      if (node && typeof node === "object" && !Array.isArray(node) && typeof node.description === "string" && !["properties", "schemas"].includes(String(path.at(-2)))) left.push(path.join("/"));
    });
    expect(left).toEqual([]);
    // Putting the descriptions back gives the spec: only descriptions were taken.
    const restore = (original: any, copy: any): any => {
      if (Array.isArray(original)) return original.map((item, index) => restore(item, copy[index]));
      if (!original || typeof original !== "object") return copy;
      // Only a description may be missing from the copy.
      return Object.fromEntries(Object.keys(original).map((key) => [key, key in copy ? restore(original[key], copy[key]) : key === "description" ? original[key] : "(missing)"]));
    };
    const dropped: string[] = [];
    walk(doc, (node, path) => {
      if (node && typeof node === "object" && "description" in node) {
        let copy: any = projected;
        for (const segment of path) copy = copy?.[segment];
        if (copy && !("description" in copy)) dropped.push(path.join("/"));
      }
    });
    expect(dropped.length).toBeGreaterThan(0);
    expect(restore(doc, projected)).toEqual(doc);
  });
});

describe("describedLater and fillDescriptions", () => {
  it("replace each description of the structure by a placeholder of as many lines, and put it back", () => {
    const doc = {
      info: { title: "T", description: "About\n  the API.\n" },
      components: { schemas: { A: { description: "", properties: { description: { type: "string", description: "One */ line." } }, example: { description: "data" } } } },
    };
    const { doc: projected, descriptions } = describedLater(doc) as { doc: any; descriptions: string[][] };
    expect(descriptions).toEqual([["About", "  the API."], ["One */ line."]]);
    expect(projected.info.description).toBe("@@description:0:0@@\n@@description:0:1@@");
    // An empty description stays empty; data is copied.
    expect(projected.components.schemas.A.description).toBe("");
    expect(projected.components.schemas.A.example).toEqual({ description: "data" });
    const rendered = `/**\n * @description ${projected.info.description.replace("\n", "\n *     ")}   \n */\n/** @description ${projected.components.schemas.A.properties.description.description} */`;
    expect(fillDescriptions(rendered, descriptions)).toBe("/**\n * @description About\n *       the API.\n */\n/** @description One *\\/ line. */");
    expect(() => fillDescriptions("@@description:9:0@@", descriptions)).toThrow(/no description for the placeholder @@description:9:0@@/);
  });
});
