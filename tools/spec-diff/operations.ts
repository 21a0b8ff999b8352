/**
 * Operation-level and document-level rules of `pnpm spec:diff`: paths (matched by template) and
 * methods, operation ids, parameters, request bodies, responses, callbacks, security, servers
 * and documentation.
 */
import { deref, HTTP_METHODS as METHODS } from "../../core/src/index.ts";
import type { Change, Direction, Level } from "./model.ts";
import { pointer } from "./model.ts";
import { compareSchemas, type WalkContext } from "./schema.ts";

const REQUEST: ReadonlySet<Direction> = new Set(["request"]);
const RESPONSE: ReadonlySet<Direction> = new Set(["response"]);

const show = (value: unknown): string => JSON.stringify(value);
const same = (a: unknown, b: unknown): boolean => show(a) === show(b);

export class OperationDiff {
  constructor(private readonly ctx: WalkContext) {}

  private change(id: string, level: Level, location: Array<string | number>, message: string): void {
    this.ctx.emit({ id, level, location: pointer(...location), message });
  }

  private docs(id: string, before: any, after: any, keys: readonly string[], location: Array<string | number>, subject: string): void {
    for (const key of keys) {
      if (!same(before?.[key], after?.[key])) this.change(id, "docs", [...location, key], `${subject}: ${key} changed: documentation only`);
    }
  }

  /**
   * Every path and operation. Paths are matched by template, regardless of parameter names: a
   * path whose parameter was renamed (`/participants/{participantMri}` to `{participantRawId}`) is
   * the same URL on the wire, so it is reported as a rename and its operations are compared.
   */
  operations(): void {
    const { base, head } = this.ctx;
    const basePaths = base.paths ?? {};
    const headPaths = head.paths ?? {};
    const renamedTo = new Map<string, string>();
    const unmatchedHead = new Map<string, string>();
    for (const path of Object.keys(headPaths)) if (!(path in basePaths)) unmatchedHead.set(pathTemplate(path), path);
    for (const path of Object.keys(basePaths)) {
      if (path in headPaths) continue;
      const renamed = unmatchedHead.get(pathTemplate(path));
      if (renamed !== undefined) {
        unmatchedHead.delete(pathTemplate(path));
        renamedTo.set(renamed, path);
        const pairs = pathParameterRenames(path, renamed);
        this.change(
          "path-parameter-renamed",
          "breaking",
          ["paths", renamed],
          `path ${path} became ${renamed} (${[...pairs].map(([from, to]) => `${from} renamed to ${to}`).join(", ")}): the URL on the wire is the same, but generated clients name the path parameter after it`,
        );
        continue;
      }
      this.change("path-removed", "breaking", ["paths", path], `path ${path} removed: clients calling it get 404`);
    }
    for (const path of Object.keys(headPaths)) {
      const basePath = path in basePaths ? path : renamedTo.get(path);
      if (basePath === undefined) {
        this.change("path-added", "non-breaking", ["paths", path], `path ${path} added: a new operation`);
        continue;
      }
      const renames = pathParameterRenames(basePath, path);
      this.pathItem(basePath === path ? path : `${basePath} -> ${path}`, deref(base, basePaths[basePath]), deref(head, headPaths[path]), ["paths", path], renames);
    }
  }

  private pathItem(label: string, fromItem: any, toItem: any, location: Array<string | number>, renames: ReadonlyMap<string, string> = new Map(), callback = false): void {
    for (const method of METHODS) {
      const [from, to] = [fromItem?.[method], toItem?.[method]];
      const at = [...location, method];
      const name = `${method.toUpperCase()} ${label}`;
      if (from && !to) this.change("operation-removed", "breaking", at, `${name} removed: clients calling it get 405`);
      else if (!from && to) this.change("operation-added", "non-breaking", at, `${name} added: a new operation`);
      else if (from && to) this.operation(name, fromItem, toItem, from, to, at, renames, callback);
    }
  }

  /**
   * An operation's callbacks. What a callback carries travels from the provider to the consumer,
   * so its request body is judged like a response (a property or an enum value added does not
   * break a receiver; one removed does), and its responses like a request.
   */
  private callbacks(from: Record<string, any>, to: Record<string, any>, location: Array<string | number>): void {
    const { base, head } = this.ctx;
    for (const name of Object.keys(from)) {
      if (!(name in to)) this.change("callback-removed", "breaking", [...location, name], `callback ${name} removed: receivers no longer get what it delivered`);
    }
    for (const [name, raw] of Object.entries(to)) {
      if (!(name in from)) {
        this.change("callback-added", "non-breaking", [...location, name], `callback ${name} added: the service sends more to the consumer's endpoint, which answers what it does not handle`);
        continue;
      }
      const [before, after] = [deref(base, from[name]) ?? {}, deref(head, raw) ?? {}];
      for (const expression of Object.keys(before)) {
        if (!(expression in after)) this.change("callback-removed", "breaking", [...location, name, expression], `callback ${name} no longer goes to ${expression}: receivers there no longer get it`);
      }
      for (const expression of Object.keys(after)) {
        if (!(expression in before)) {
          this.change("callback-added", "non-breaking", [...location, name, expression], `callback ${name} also goes to ${expression}`);
          continue;
        }
        this.pathItem(`callback ${name} ${expression}`, deref(base, before[expression]), deref(head, after[expression]), [...location, name, expression], new Map(), true);
      }
    }
  }

  private operation(
    name: string,
    fromItem: any,
    toItem: any,
    from: any,
    to: any,
    location: Array<string | number>,
    renames: ReadonlyMap<string, string> = new Map(),
    callback = false,
  ): void {
    const { base, head } = this.ctx;
    if (from.operationId !== to.operationId) {
      this.change(
        "operation-id-changed",
        "breaking",
        [...location, "operationId"],
        `operationId changed from ${show(from.operationId)} to ${show(to.operationId)}: generated clients and server stubs name their methods after it`,
      );
    }
    if (!same(from.tags, to.tags)) {
      this.change("operation-tags-changed", "breaking", [...location, "tags"], `tags changed from ${show(from.tags)} to ${show(to.tags)}: generated server stubs group handlers by tag`);
    }
    this.docs("operation-docs-changed", from, to, ["summary", "description", "externalDocs"], location, name);
    if (Boolean(from.deprecated) !== Boolean(to.deprecated)) {
      this.change("operation-deprecation-changed", "non-breaking", [...location, "deprecated"], `${name} ${to.deprecated ? "deprecated" : "no longer deprecated"}: it still works`);
    }
    this.security(from.security ?? base.security, to.security ?? head.security, [...location, "security"], name);
    this.parameters(fromItem, toItem, from, to, location, renames, callback ? RESPONSE : REQUEST);
    this.requestBody(from.requestBody, to.requestBody, [...location, "requestBody"], callback ? RESPONSE : REQUEST);
    this.responses(from.responses ?? {}, to.responses ?? {}, [...location, "responses"], callback ? REQUEST : RESPONSE);
    if (!callback) this.callbacks(from.callbacks ?? {}, to.callbacks ?? {}, [...location, "callbacks"]);
  }

  /** Security requirement alternatives: a new requirement, or one that changed or went away, breaks clients. */
  security(from: any[] | undefined, to: any[] | undefined, location: Array<string | number>, subject: string): void {
    const key = (requirement: Record<string, string[]>) =>
      Object.entries(requirement ?? {})
        .map(([scheme, scopes]) => `${scheme}[${[...(scopes ?? [])].sort().join(",")}]`)
        .sort()
        .join("+");
    const before = new Set((from ?? []).map(key));
    const after = new Set((to ?? []).map(key));
    const anonymousBefore = before.size === 0 || before.has("");
    const removed = [...before].filter((alternative) => !after.has(alternative));
    const added = [...after].filter((alternative) => !before.has(alternative));
    if (anonymousBefore && after.size > 0 && !after.has("")) {
      this.change("security-requirement-added", "breaking", location, `${subject}: security requirement ${[...after].join(" or ")} added: anonymous clients are refused`);
    } else if (removed.length > 0) {
      this.change(
        "security-requirement-changed",
        "breaking",
        location,
        `${subject}: security requirement ${removed.join(" or ")} ${added.length ? `replaced by ${added.join(" or ")}` : "removed"}: clients authenticating that way are refused`,
      );
    } else if (added.length > 0) {
      this.change("security-alternative-added", "non-breaking", location, `${subject}: clients may also authenticate with ${added.join(" or ")}`);
    }
  }

  private parameters(
    fromItem: any,
    toItem: any,
    from: any,
    to: any,
    location: Array<string | number>,
    renames: ReadonlyMap<string, string>,
    directions: ReadonlySet<Direction>,
  ): void {
    const { base, head } = this.ctx;
    const collect = (doc: any, item: any, operation: any, where: Array<string | number>) => {
      const map = new Map<string, { parameter: any; location: Array<string | number> }>();
      const add = (list: any[] | undefined, at: Array<string | number>) =>
        (list ?? []).forEach((raw, index) => {
          const parameter = deref(doc, raw);
          if (!parameter?.name) return;
          // A renamed path parameter (reported with its path) is compared with its new self.
          const renamed = doc === base && parameter.in === "path" ? (renames.get(parameter.name) ?? parameter.name) : parameter.name;
          const name = parameter.in === "header" ? String(parameter.name).toLowerCase() : renamed;
          map.set(`${parameter.in}:${name}`, { parameter, location: [...at, index] });
        });
      add(item?.parameters, [...where.slice(0, -1), "parameters"]);
      add(operation?.parameters, [...where, "parameters"]);
      return map;
    };
    const before = collect(base, fromItem, from, location);
    const after = collect(head, toItem, to, location);
    for (const [key, { parameter, location: at }] of before) {
      if (!after.has(key)) {
        this.change("request-parameter-removed", "breaking", at, `${parameter.in} parameter ${parameter.name} removed: clients that send it lose its effect`);
      }
    }
    for (const [key, { parameter, location: at }] of after) {
      const old = before.get(key)?.parameter;
      const label = `${parameter.in} parameter ${parameter.name}`;
      if (!old) {
        if (parameter.required) this.change("request-parameter-added-required", "breaking", at, `required ${label} added: requests without it are refused`);
        else this.change("request-parameter-added-optional", "non-breaking", at, `optional ${label} added: clients may leave it out`);
        continue;
      }
      if (Boolean(old.required) !== Boolean(parameter.required)) {
        if (parameter.required) this.change("request-parameter-became-required", "breaking", [...at, "required"], `${label} became required: requests without it are refused`);
        else this.change("request-parameter-became-optional", "non-breaking", [...at, "required"], `${label} became optional: clients may leave it out`);
      }
      if (!same(old.style, parameter.style) || !same(old.explode, parameter.explode)) {
        this.change("request-parameter-serialization-changed", "breaking", at, `${label}: style or explode changed: the value is written differently on the wire`);
      }
      if (Boolean(old.deprecated) !== Boolean(parameter.deprecated)) {
        this.change("request-parameter-deprecation-changed", "non-breaking", [...at, "deprecated"], `${label} ${parameter.deprecated ? "deprecated" : "no longer deprecated"}: it still works`);
      }
      this.docs("request-parameter-docs-changed", old, parameter, ["description", "example", "examples"], at, label);
      compareSchemas(this.ctx, old.schema, parameter.schema, [...at, "schema"], directions);
    }
  }

  private requestBody(fromRaw: any, toRaw: any, location: Array<string | number>, directions: ReadonlySet<Direction>): void {
    const { base, head } = this.ctx;
    const [from, to] = [deref(base, fromRaw), deref(head, toRaw)];
    if (!from && !to) return;
    if (from && !to) {
      this.change("request-body-removed", "breaking", location, "request body removed: what clients send is no longer read");
      return;
    }
    if (!from && to) {
      if (to.required) this.change("request-body-added-required", "breaking", location, "required request body added: requests without it are refused");
      else this.change("request-body-added-optional", "non-breaking", location, "optional request body added: clients may leave it out");
      return;
    }
    if (Boolean(from.required) !== Boolean(to.required)) {
      if (to.required) this.change("request-body-became-required", "breaking", [...location, "required"], "request body became required: requests without it are refused");
      else this.change("request-body-became-optional", "non-breaking", [...location, "required"], "request body became optional: clients may leave it out");
    }
    this.docs("request-body-docs-changed", from, to, ["description"], location, "request body");
    this.media(from.content ?? {}, to.content ?? {}, [...location, "content"], directions, "request");
  }

  private media(from: Record<string, any>, to: Record<string, any>, location: Array<string | number>, directions: ReadonlySet<Direction>, side: "request" | "response"): void {
    for (const type of Object.keys(from)) {
      if (!(type in to)) {
        this.change(`${side}-media-type-removed`, "breaking", [...location, type], `${side} media type ${type} removed: ${side === "request" ? "clients sending it are refused" : "clients expecting it no longer get it"}`);
      }
    }
    for (const [type, media] of Object.entries(to)) {
      const old = from[type];
      if (!old) {
        this.change(
          `${side}-media-type-added`,
          "non-breaking",
          [...location, type],
          `${side} media type ${type} added: ${side === "request" ? "clients may also send it" : "clients asking for it get it"}`,
        );
        continue;
      }
      this.docs(`${side}-example-changed`, old, media, ["example", "examples"], [...location, type], `${side} ${type}`);
      compareSchemas(this.ctx, old.schema, media.schema, [...location, type, "schema"], directions);
    }
  }

  private responses(from: Record<string, any>, to: Record<string, any>, location: Array<string | number>, directions: ReadonlySet<Direction>): void {
    const { base, head } = this.ctx;
    for (const status of Object.keys(from)) {
      if (!(status in to)) this.change("response-status-removed", "breaking", [...location, status], `response ${status} removed: clients handling it get something else`);
    }
    for (const [status, raw] of Object.entries(to)) {
      if (!(status in from)) {
        this.change("response-status-added", "non-breaking", [...location, status], `response ${status} added: a new documented outcome`);
        continue;
      }
      const [old, response] = [deref(base, from[status]), deref(head, raw)];
      const at = [...location, status];
      this.docs("response-docs-changed", old, response, ["description"], at, `response ${status}`);
      this.media(old?.content ?? {}, response?.content ?? {}, [...at, "content"], directions, "response");
      const [oldHeaders, headers] = [old?.headers ?? {}, response?.headers ?? {}];
      for (const name of Object.keys(oldHeaders)) {
        if (!(name in headers)) this.change("response-header-removed", "breaking", [...at, "headers", name], `response ${status} header ${name} removed: clients that read it no longer get it`);
      }
      for (const [name, rawHeader] of Object.entries<any>(headers)) {
        const header = deref(head, rawHeader);
        if (!(name in oldHeaders)) {
          this.change("response-header-added", "non-breaking", [...at, "headers", name], `response ${status} header ${name} added: clients may read it`);
          continue;
        }
        const oldHeader = deref(base, oldHeaders[name]);
        if (Boolean(oldHeader?.required) && !header?.required) {
          this.change("response-header-became-optional", "breaking", [...at, "headers", name], `response ${status} header ${name} became optional: clients that rely on it may not get it`);
        }
        this.docs("response-header-docs-changed", oldHeader, header, ["description"], [...at, "headers", name], `response ${status} header ${name}`);
        compareSchemas(this.ctx, oldHeader?.schema, header?.schema, [...at, "headers", name, "schema"], directions);
      }
    }
  }

  /** info, servers, security schemes, tags and top-level documentation. */
  document(): void {
    const { base, head } = this.ctx;
    this.docs("info-changed", base.info, head.info, ["title", "description", "version", "contact", "license", "termsOfService"], ["info"], "info");
    this.docs("document-docs-changed", base, head, ["externalDocs", "tags"], [], "document");
    this.servers(base.servers ?? [], head.servers ?? []);
    this.securitySchemes(base.components?.securitySchemes ?? {}, head.components?.securitySchemes ?? {});
  }

  private servers(from: any[], to: any[]): void {
    const byUrl = (servers: any[]) => new Map(servers.map((server, index) => [server.url, { server, index }]));
    const [before, after] = [byUrl(from), byUrl(to)];
    for (const [url, { index }] of before) {
      if (!after.has(url)) this.change("server-removed", "breaking", ["servers", index], `server ${url} removed: clients configured for it must change`);
    }
    for (const [url, { server, index }] of after) {
      const old = before.get(url)?.server;
      if (!old) {
        this.change("server-added", "non-breaking", ["servers", index], `server ${url} added: clients may also use it`);
        continue;
      }
      this.docs("server-docs-changed", old, server, ["description"], ["servers", index], `server ${url}`);
      const [oldVariables, variables] = [old.variables ?? {}, server.variables ?? {}];
      for (const name of Object.keys(oldVariables)) {
        if (!(name in variables)) this.change("server-variable-removed", "breaking", ["servers", index, "variables", name], `server variable ${name} removed: clients that set it build a wrong URL`);
      }
      for (const [name, variable] of Object.entries<any>(variables)) {
        const oldVariable = oldVariables[name];
        const at = ["servers", index, "variables", name];
        if (!oldVariable) {
          this.change("server-variable-added", "non-breaking", at, `server variable ${name} added with default ${show(variable.default)}: clients that do not set it get the default`);
          continue;
        }
        if (oldVariable.default !== variable.default) {
          this.change("server-variable-default-changed", "non-breaking", [...at, "default"], `server variable ${name} default changed from ${show(oldVariable.default)} to ${show(variable.default)}: clients that set it are unaffected`);
        }
        const removedValues = (oldVariable.enum ?? []).filter((value: unknown) => variable.enum && !variable.enum.includes(value));
        if (removedValues.length > 0 || (!oldVariable.enum && variable.enum)) {
          this.change("server-variable-values-restricted", "breaking", [...at, "enum"], `server variable ${name} accepts fewer values: clients using the others break`);
        }
        this.docs("server-variable-docs-changed", oldVariable, variable, ["description"], at, `server variable ${name}`);
      }
    }
  }

  private securitySchemes(from: Record<string, any>, to: Record<string, any>): void {
    for (const name of Object.keys(from)) {
      if (!(name in to)) this.change("security-scheme-removed", "breaking", ["components", "securitySchemes", name], `security scheme ${name} removed: clients using it are refused`);
    }
    for (const [name, scheme] of Object.entries<any>(to)) {
      const old = from[name];
      const at = ["components", "securitySchemes", name];
      if (!old) {
        this.change("security-scheme-added", "non-breaking", at, `security scheme ${name} added: a new way to authenticate; nothing existing changes`);
        continue;
      }
      const { description: _a, ...oldShape } = old;
      const { description: _b, ...shape } = scheme;
      if (!same(oldShape, shape)) this.change("security-scheme-changed", "breaking", at, `security scheme ${name} changed: clients must send credentials differently`);
      this.docs("security-scheme-docs-changed", old, scheme, ["description"], at, `security scheme ${name}`);
    }
  }
}

/** A path template with its parameter names left out: `/a/{x}/b` and `/a/{y}/b` are the same URL. */
export function pathTemplate(path: string): string {
  return path.replace(/\{[^}]*\}/g, "{}");
}

/** The path parameters renamed between two paths of the same template, old name to new name. */
export function pathParameterRenames(from: string, to: string): Map<string, string> {
  const names = (path: string) => [...path.matchAll(/\{([^}]*)\}/g)].map((match) => match[1]!);
  const [before, after] = [names(from), names(to)];
  return new Map(before.flatMap((name, index) => (after[index] !== undefined && after[index] !== name ? [[name, after[index]!] as [string, string]] : [])));
}

export type { Change };
