/**
 * Each project rule of the lint gate fires on a small bad document (spec/test/fixtures/<rule>.yaml)
 * with the expected message at the expected place, and the real spec passes the whole gate.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { lintFile, loadRuleset, type LintResult } from "../../tools/lint.ts";
import { ROOT, SPEC_FILE } from "../../tools/paths.ts";
import { nodeScript } from "../../tools/sandbox.ts";

const fixture = (name: string) => path.join(ROOT, "spec/test/fixtures", `${name}.yaml`);

type Expected = { path: string; message: string };

/** Expected findings per rule, as `path` (dot-joined JSON path) and exact message. */
const cases: Record<string, Expected[]> = {
  "acs-schema-description": [
    {
      path: "paths./things.post.callbacks.Events.{$request.body#/callbackUri}.post.requestBody.content.application/json.schema",
      message: "The inline schema of the ThingEvents request body has no description.",
    },
    {
      path: "paths./things.post.callbacks.Events.{$request.body#/callbackUri}.post.requestBody.content.application/json.schema.items.properties.kind",
      message: 'Property "ThingEvents request body[].kind" has no description.',
    },
    { path: "components.schemas.Thing", message: 'Schema "Thing" has no description.' },
    { path: "components.schemas.Thing.properties.name", message: 'Property "Thing.name" has no description.' },
    {
      path: "components.schemas.Thing.properties.owner",
      message: 'Property "Thing.owner" has no description; wrap the $ref in allOf to give it one.',
    },
    {
      path: "components.schemas.Thing.properties.tags.items.properties.label",
      message: 'Property "Thing.tags[].label" has no description.',
    },
  ],
  "acs-property-camel-case": [
    {
      path: "components.schemas.Thing.properties.call_id",
      message: 'Property "call_id" is not camelCase (expected /^[a-z][a-zA-Z0-9]*$/).',
    },
    {
      path: "components.schemas.Thing.properties.CallId",
      message: 'Property "CallId" is not camelCase (expected /^[a-z][a-zA-Z0-9]*$/).',
    },
  ],
  "acs-enum-extensible": [
    {
      path: "paths./things.get.parameters.0.schema.enum",
      message: 'Enum at "paths./things.get.parameters.0.schema" is not marked extensible: add x-ms-enum with modelAsString: true.',
    },
    {
      path: "components.schemas.Plain.enum",
      message: 'Enum at "components.schemas.Plain" is not marked extensible: add x-ms-enum with modelAsString: true.',
    },
    {
      path: "components.schemas.Closed.x-ms-enum.modelAsString",
      message: 'Enum at "components.schemas.Closed" must set x-ms-enum.modelAsString to true: every enum is extensible.',
    },
    { path: "components.schemas.Undescribed.enum.1", message: 'Enum value "b" has no description in x-ms-enum.values.' },
    { path: "components.schemas.Undescribed.x-ms-enum.values.0", message: 'Enum value "a" has no description.' },
    {
      path: "components.schemas.Undescribed.x-ms-enum.values.1.value",
      message: 'x-ms-enum.values describes "c", which is not in the enum.',
    },
    {
      path: "components.schemas.Renamed.x-ms-enum.name",
      message: 'x-ms-enum.name "SomethingElse" must equal the schema name "Renamed".',
    },
  ],
  "acs-operation-api-version": [
    { path: "paths./missing.get", message: 'Operation "Missing" has no "api-version" query parameter.' },
    {
      path: "paths./optional.get.parameters.0",
      message: 'The "api-version" query parameter of "Optional" must be required.',
    },
  ],
  "acs-operation-default-error": [
    { path: "paths./no-default.get.responses", message: 'Operation "NoDefault" has no default error response.' },
    {
      path: "paths./wrong-schema.get.responses.default",
      message:
        'The default response of "WrongSchema" must have an application/json body referencing #/components/schemas/CommunicationErrorResponse.',
    },
  ],
  "acs-repeatability-headers": [
    {
      path: "paths./only-id.post.parameters.0",
      message: 'Operation "OnlyId" declares Repeatability-Request-ID without Repeatability-First-Sent.',
    },
    {
      path: "paths./only-first-sent.post.parameters.0",
      message: 'Operation "OnlyFirstSent" declares Repeatability-First-Sent without Repeatability-Request-ID.',
    },
  ],
  "acs-no-authorization-header": [
    {
      path: "paths./things.get.parameters.1.name",
      message: 'Header parameter "Authorization" is ignored by OpenAPI 3; describe credentials with the Authorization security scheme.',
    },
    {
      path: "components.parameters.Auth.name",
      message: 'Header parameter "Authorization" is ignored by OpenAPI 3; describe credentials with the Authorization security scheme.',
    },
  ],
  "acs-discriminator-mapping": [
    {
      path: "components.schemas.NoMapping.discriminator",
      message: 'Discriminator on "kind" needs an explicit mapping from each value to its schema.',
    },
    {
      path: "components.schemas.NotRequired.discriminator.propertyName",
      message: 'Discriminator property "kind" must be required.',
    },
    {
      path: "components.schemas.Base.discriminator.mapping.grpc",
      message: 'Discriminator mapping "grpc" points to "#/components/schemas/Missing", which does not exist.',
    },
    {
      path: "components.schemas.Base.discriminator.mapping.http",
      message:
        'Discriminator mapping "http" points to "#/components/schemas/Unrelated", which does not inherit from #/components/schemas/Base with allOf.',
    },
    {
      path: "components.schemas.Base.discriminator.mapping.http",
      message: 'Discriminator mapping key "http" is not a value of "kind" (websocket, grpc).',
    },
    {
      path: "components.schemas.Partial.discriminator.mapping",
      message: 'Discriminator on "kind" maps no schema for its known value "grpc".',
    },
  ],
  "acs-operation-named-examples": [
    {
      path: "paths./things.post.requestBody.content.application/json",
      message: 'The request body (application/json) of "CreateThing" has no named examples.',
    },
    {
      path: "paths./things.post.callbacks.Events.{$request.body#/callbackUri}.post.requestBody.content.application/json",
      message: 'The request body (application/json) of "ThingEvents" has no named examples.',
    },
    {
      path: "paths./things.post.responses.200.content.application/json",
      message: 'Response 200 (application/json) of "CreateThing" has no named examples.',
    },
  ],
  "acs-example-valid": [
    {
      path: "paths./things.post.parameters.0.example",
      message: 'The example of parameter "Repeatability-Request-ID" of "CreateThing" is invalid: must be a UUID, e.g. 5f4c1fd5-6f5e-4d5a-9b3a-6b8e2a7f6c10.',
    },
    {
      path: "paths./things.post.requestBody.content.application/json.examples.Bad.value.options.transportUrl",
      message:
        'The example "Bad" of the request body (application/json) of "CreateThing" is invalid: $.options.transportUrl must be string.',
    },
    {
      path: "paths./things.post.callbacks.Events.{$request.body#/callbackUri}.post.requestBody.content.application/json.examples.WrongType.value.id",
      message: 'The example "WrongType" of the request body (application/json) of "ThingEvents" is invalid: $.id must be string.',
    },
    {
      path: "paths./things.post.responses.200.content.application/json.examples.WrongState.value.state",
      message:
        'The example "WrongState" of response 200 (application/json) of "CreateThing" is invalid: $.state must be one of: active, inactive.',
    },
    {
      path: "components.examples.MissingOptions.value",
      message: 'The example "Shared" of the request body (application/json) of "CreateThing" is invalid: $.options is required.',
    },
  ],
  "acs-callback-contract": [
    { path: "paths./things.post.callbacks.Silent.{$request.body#/callbackUri}.post", message: 'Callback "Silent" of "CreateThing" has no description.' },
    {
      path: "paths./things.post.callbacks.Silent.{$request.body#/callbackUri}.post",
      message: 'Callback "Silent" of "CreateThing" declares no security requirement: name the scheme that authenticates the provider\'s requests.',
    },
    {
      path: "paths./things.post.callbacks.Silent.{$request.body#/callbackUri}.post.responses",
      message: 'Callback "Silent" of "CreateThing" has no 2xx response: say what the receiver answers once it has the payload.',
    },
    {
      path: "paths./things.post.callbacks.Borrowed.{$request.body#/callbackUri}.post.security.0.Caller",
      message: 'Callback "Borrowed" of "CreateThing" uses "Caller", the consumer\'s own credential; a callback needs a scheme of its own.',
    },
    {
      path: "paths./things.post.callbacks.Borrowed.{$request.body#/callbackUri}.post.security.1.Missing",
      message: 'Callback "Borrowed" of "CreateThing" names security scheme "Missing", which is not defined.',
    },
  ],
  "acs-reachable-components": [
    { path: "components.parameters.Unused", message: 'Component "parameters/Unused" is not reachable from any operation.' },
    { path: "components.schemas.Orphan", message: 'Component "schemas/Orphan" is not reachable from any operation.' },
  ],
};

const asExpected = (results: LintResult[], code: string): Expected[] =>
  results.filter((result) => result.code === code).map((result) => ({ path: result.path.join("."), message: result.message }));

beforeAll(async () => {
  await loadRuleset();
});

describe("project rules", () => {
  it("has a fixture case for every acs-* rule of the ruleset", async () => {
    const ruleset = await loadRuleset();
    const projectRules = Object.keys(ruleset.rules).filter((code) => code.startsWith("acs-"));
    expect(projectRules.sort()).toEqual(Object.keys(cases).sort());
  });

  for (const [code, expected] of Object.entries(cases)) {
    it(`${code} fires on its bad fixture`, async () => {
      const results = await lintFile(fixture(code));
      expect(asExpected(results, code)).toEqual(expected);
    });
  }

  it("acs-reachable-components counts discriminator mapping targets as used", async () => {
    const results = await lintFile(fixture("acs-reachable-components"));
    const reported = asExpected(results, "acs-reachable-components").map((result) => result.path);
    expect(reported).not.toContain("components.schemas.OnlyInMapping");
    expect(reported).not.toContain("components.schemas.ReachedThroughSubtype");
  });

  it("acs-reachable-components counts what only a callback uses as used", async () => {
    const results = await lintFile(fixture("acs-reachable-components"));
    const reported = asExpected(results, "acs-reachable-components").map((result) => result.path);
    expect(reported).not.toContain("components.schemas.OnlyInCallback");
    expect(reported).not.toContain("components.securitySchemes.OnlyInCallback");
  });
});

describe("the real spec", () => {
  it("passes the whole gate with no finding at any severity", async () => {
    const results = await lintFile(SPEC_FILE);
    expect(results.map((result) => `${result.line}:${result.column} ${result.code} ${result.message}`)).toEqual([]);
  });

  it("keeps every built-in recommended rule on", async () => {
    const ruleset = await loadRuleset();
    const off = Object.values(ruleset.rules)
      .filter((rule) => rule.recommended && !rule.enabled)
      .map((rule) => rule.name);
    // The one exception is replaced by acs-reachable-components (see .spectral.yaml).
    expect(off).toEqual(["oas3-unused-component"]);
  });

  it("fails when a description is removed, reporting the line", async () => {
    const broken = readFileSync(SPEC_FILE, "utf8").replace(
      "          description: The callback URI.\n        operationContext:",
      "        operationContext:",
    );
    const { lintText } = await import("../../tools/lint.ts");
    const results = await lintText(broken, "spec/openapi.yaml");
    expect(results.map((result) => `${result.code} ${result.message}`)).toEqual([
      'acs-schema-description Property "ConnectRequest.callbackUri" has no description.',
    ]);
    expect(results[0]?.line).toBe(broken.split("\n").findIndex((line) => line === "        callbackUri:") + 1);
  });
});

// Each test starts Node and Spectral (about 2 s of CPU): under the suite's load, or inside
// check:contract-edits' sandbox run, that took up to 30 s.
describe("pnpm lint", { timeout: 90_000 }, () => {
  const execute = promisify(execFile);
  // As package.json's `lint` script runs it (without pnpm).
  const run = async (args: string[], options: { cwd: string }) => execute(...(await nodeScript(ROOT, "lint", args)), options);

  it("prints file:line:column findings and exits 1 on a bad document", async () => {
    const failure = await run(["spec/test/fixtures/acs-repeatability-headers.yaml"], { cwd: ROOT }).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toContain(
      "spec/test/fixtures/acs-repeatability-headers.yaml:8:11 error acs-repeatability-headers " +
        'Operation "OnlyId" declares Repeatability-Request-ID without Repeatability-First-Sent.',
    );
    expect(failure?.stderr).toMatch(/lint: \d+ problem\(s\) in spec\/test\/fixtures\/acs-repeatability-headers\.yaml/);
  });

  it("exits 0 on the real spec", async () => {
    const { stdout } = await run([], { cwd: ROOT });
    expect(stdout).toMatch(/^lint: spec\/openapi\.yaml passes \d+ rules/m);
  });
});
