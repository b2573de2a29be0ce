/**
 * Routes as data (issue 9, part 3): the OpenAPI document is generated from the routes'
 * declarations, so it lists exactly the routes the app answers; a real validator accepts it; and
 * what the server sends matches the shared response schemas (src/shared/api/) that the document
 * and the web app are built from, on both databases.
 */
import SwaggerParser from "@apidevtools/swagger-parser";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { bookSchema, chapterSchema } from "../../src/shared/api/book.ts";
import { answerEvents, answerSchema, chatPageSchema, chatSchema, chatWithMessagesSchema } from "../../src/shared/api/chat.ts";
import { apiErrorSchema } from "../../src/shared/api/errors.ts";
import { healthSchema, openApiDocumentSchema, readySchema } from "../../src/shared/api/health.ts";
import { meSchema, preferences, securityEventsPageSchema } from "../../src/shared/api/me.ts";
import { authProvidersSchema } from "../../src/shared/api/providers.ts";
import { oauthErrorSchema, revokeResponseSchema, tokenResponseSchema } from "../../src/shared/api/tokens.ts";
import { anonymousReader, DB_KINDS, useTestInstance, type TestInstance, type TestResponse } from "../support/instance.ts";
import { parseSse } from "../support/sse.ts";

const METHODS = ["get", "put", "post", "patch", "delete", "head", "options"];

/** `METHOD /path/{param}` for every route (not middleware) the app has mounted. */
function routedOperations(t: TestInstance): Set<string> {
  return new Set(
    t.app.routes
      .filter((r) => r.method !== "ALL" && !r.path.includes("*"))
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`),
  );
}

function documentedOperations(doc: { paths: Record<string, Record<string, unknown>> }): Set<string> {
  return new Set(Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).filter((k) => METHODS.includes(k)).map((m) => `${m.toUpperCase()} ${path}`)));
}

/** The response is `status` and its body is what `schema` says the server sends (strict objects: no field more). */
function expectBody(res: TestResponse, status: number, schema: z.ZodType, what: string) {
  expect(res.status, `${what}: ${res.text.slice(0, 300)}`).toBe(status);
  const parsed = schema.safeParse(res.json);
  expect(parsed.success ? [] : parsed.error.issues, what).toEqual([]);
}

describe("the OpenAPI document", () => {
  let t!: TestInstance;
  useTestInstance("sqlite", (made) => (t = made));

  it("documents every /api/v1 route the app answers, and no route it does not", async () => {
    const doc = (await t.client().get("/api/v1/openapi.json")).json;
    const routed = routedOperations(t);
    const documented = documentedOperations(doc);
    const api = [...routed].filter((op) => op.split(" ")[1]!.startsWith("/api/v1/"));
    expect(api.length).toBeGreaterThanOrEqual(17);
    expect(api.filter((op) => !documented.has(op)), "routed but not documented").toEqual([]);
    expect([...documented].filter((op) => !routed.has(op)), "documented but not routed").toEqual([]);
  });

  it("is a valid OpenAPI 3.1 document (@apidevtools/swagger-parser)", async () => {
    const doc = (await t.client().get("/api/v1/openapi.json")).json;
    const api = await SwaggerParser.validate(structuredClone(doc));
    expect(api.info.title).toBe("AI Book API");
    expect(doc.openapi).toBe("3.1.0");
  });

  it("says what the hand-written document it replaced said: security schemes, the Error schema, Retry-After, the answer stream", async () => {
    const doc = (await t.client().get("/api/v1/openapi.json")).json;
    expect(doc.components.securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: "http", scheme: "bearer" }),
      session: expect.objectContaining({ type: "apiKey", in: "cookie" }),
    });
    expect(doc.security).toEqual([{ bearer: [] }, { session: [] }]);
    for (const [path, item] of Object.entries<Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }>; headers?: object }> }>>(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const what = `${method} ${path}`;
        if (path.startsWith("/api/v1/")) expect(op.responses["429"]?.headers, `${what}: 429 with Retry-After`).toHaveProperty("Retry-After");
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) < 400 || path === "/ready") continue;
          const schema = response.content?.["application/json"]?.schema;
          // Every error is { code, message }: our Error, RFC 6749's with ours, or a failed answer.
          expect(["Error", "OAuthError", "AnswerFailed"].map((name) => ({ $ref: `#/components/schemas/${name}` })), `${what} ${status}`).toContainEqual(schema);
        }
      }
    }
    const answer = doc.paths["/api/v1/chats/{id}/messages"].post.responses["200"].content;
    expect(Object.keys(answer)).toEqual(["text/event-stream", "application/json"]);
    expect(doc.paths["/api/v1/auth/token"].post.requestBody.content).toHaveProperty("application/x-www-form-urlencoded");
    expect(doc.paths["/api/v1/me"].get.summary).toMatch(/profile/);
  });
});

describe.each(DB_KINDS)("responses match the shared schemas on %s", (kind) => {
  let t!: TestInstance;
  useTestInstance(kind, (made) => (t = made));

  it("health, the document, the book and the sign-in providers", async () => {
    const anon = t.client();
    expectBody(await anon.get("/health"), 200, healthSchema, "GET /health");
    expectBody(await anon.get("/ready"), 200, readySchema, "GET /ready");
    expectBody(await anon.get("/api/v1/openapi.json"), 200, openApiDocumentSchema, "GET /api/v1/openapi.json");
    expectBody(await anon.get("/api/v1/auth/providers"), 200, authProvidersSchema, "GET /api/v1/auth/providers");
    const book = await anon.get("/api/v1/book");
    expectBody(book, 200, bookSchema, "GET /api/v1/book");
    expect(book.json.chapters.length).toBeGreaterThan(0);
    expectBody(await anon.get(`/api/v1/book/chapters/${book.json.chapters[0].slug}`), 200, chapterSchema, "GET a chapter");
    expectBody(await anon.get("/api/v1/book/chapters/no-such-chapter"), 404, apiErrorSchema, "an unknown chapter");
  });

  it("the caller's profile, preferences and security events", async () => {
    const { client } = await t.signedInUser();
    expectBody(await client.get("/api/v1/me"), 200, meSchema, "GET /api/v1/me");
    expectBody(await client.get("/api/v1/me/preferences"), 200, preferences, "GET /api/v1/me/preferences");
    expectBody(await client.patch("/api/v1/me/preferences", { theme: "dark" }), 200, preferences, "PATCH /api/v1/me/preferences");
    expectBody(await client.patch("/api/v1/me/preferences", { theme: "neon" }), 400, apiErrorSchema, "a bad patch");
    expectBody(await client.get("/api/v1/me/security-events?limit=2"), 200, securityEventsPageSchema, "GET /api/v1/me/security-events");
    expectBody(await t.client().get("/api/v1/me"), 401, apiErrorSchema, "GET /api/v1/me without a caller");
    const guest = await anonymousReader(t);
    expectBody(await guest.client.get("/api/v1/me"), 200, meSchema, "a guest's GET /api/v1/me");
  });

  it("chats, their messages and answers, as JSON and as server-sent events", async () => {
    const { client } = await t.signedInUser();
    const created = await client.post("/api/v1/chats", {});
    expectBody(created, 201, chatSchema, "POST /api/v1/chats");
    const chat = `/api/v1/chats/${created.json.id}`;
    const answer = await client.post(`${chat}/messages`, { content: "What is physical AI?" }, { headers: { accept: "application/json" } });
    expectBody(answer, 200, answerSchema, "an answer as JSON");
    const stream = await client.post(`${chat}/messages`, { content: "How do robots balance?" });
    expect(stream.headers.get("content-type")).toContain("text/event-stream");
    const events = parseSse(stream.text);
    expect(events.map((e) => e.event)).toContain("done");
    for (const ev of events) {
      const schema = answerEvents[ev.event as keyof typeof answerEvents];
      expect(schema, ev.event).toBeDefined();
      expectBody({ status: 200, json: ev.data, text: JSON.stringify(ev.data) } as TestResponse, 200, schema, `the ${ev.event} event`);
    }
    expectBody(await client.patch(chat, { title: "Renamed" }), 200, chatSchema, "PATCH a chat");
    expectBody(await client.get(chat), 200, chatWithMessagesSchema, "GET a chat");
    expectBody(await client.get(`${chat}?limit=1`), 200, chatWithMessagesSchema, "GET a chat's latest message");
    expectBody(await client.get("/api/v1/chats?limit=1"), 200, chatPageSchema, "GET /api/v1/chats");
    expectBody(await client.get("/api/v1/chats/no-such-chat"), 404, apiErrorSchema, "an unknown chat");
  });

  it("tokens: a password grant, a refresh, a refusal and a revocation", async () => {
    const { email, password } = await t.signedInUser();
    const c = t.client();
    const grant = await c.post("/api/v1/auth/token", { grant_type: "password", email, password });
    expectBody(grant, 200, tokenResponseSchema, "the password grant");
    const refreshed = await c.post("/api/v1/auth/token", { grant_type: "refresh_token", refresh_token: grant.json.refresh_token });
    expectBody(refreshed, 200, tokenResponseSchema, "the refresh grant");
    expectBody(await c.post("/api/v1/auth/token", { grant_type: "password", email, password: "not the password" }), 400, oauthErrorSchema, "a wrong password");
    expectBody(await c.post("/api/v1/auth/revoke", { token: refreshed.json.refresh_token }), 200, revokeResponseSchema, "a revocation");
    const bearer = await c.get("/api/v1/me", { headers: { authorization: `Bearer ${refreshed.json.access_token}` } });
    expectBody(bearer, 200, meSchema, "GET /api/v1/me with a bearer token");
  });
});
