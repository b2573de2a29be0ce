/**
 * Preferences through the API, end to end on both databases.
 */
import { describe, expect, it } from "vitest";
import { LANGUAGES } from "../../../src/shared/preferences.ts";
import { DB_KINDS, useTestInstance, type TestInstance } from "../../support/instance.ts";
import { BOSS, DEFAULTS, expectCleanError } from "./support.ts";

describe.each(DB_KINDS)("preferences on %s", (kind) => {
  let t!: TestInstance;
  useTestInstance(kind, (made) => (t = made), { ADMIN_EMAILS: BOSS });

  describe("preferences", () => {
    it("a new user gets the defaults", async () => {
      const { client } = await t.signedInUser();
      const res = await client.get("/api/v1/me/preferences");
      expect(res.status).toBe(200);
      expect(res.json).toEqual(DEFAULTS);
      expect((await client.get("/api/v1/me")).json.preferences).toEqual(DEFAULTS);
    });

    it("PATCH theme dark persists; other fields keep their values", async () => {
      const { client } = await t.signedInUser();
      const patched = await client.patch("/api/v1/me/preferences", { theme: "dark" });
      expect(patched.status, patched.text).toBe(200);
      expect(patched.json).toEqual({ ...DEFAULTS, theme: "dark" });
      expect((await client.get("/api/v1/me/preferences")).json).toEqual({ ...DEFAULTS, theme: "dark" });

      const more = await client.patch("/api/v1/me/preferences", { language: "fr", notifications: { product: true } });
      expect(more.status, more.text).toBe(200);
      const expected = { theme: "dark", language: "fr", notifications: { security: true, product: true } };
      expect(more.json).toEqual(expected);
      expect((await client.get("/api/v1/me/preferences")).json).toEqual(expected);
    });

    it.each([
      ["an invalid theme", { theme: "neon" }],
      ["turning security notifications off", { notifications: { security: false } }],
      ["an unknown key (15.3.3)", { theme: "dark", role: "admin" }],
      ["an unknown nested key", { notifications: { product: true, marketing: true } }],
      ["an unsupported language", { language: "xx" }],
      ["a non-boolean product flag", { notifications: { product: "yes" } }],
      ["a non-object body", ["theme", "dark"]],
    ])("refuses %s with 400 VALIDATION_FAILED and changes nothing", async (_label, body) => {
      const { client } = await t.signedInUser();
      const res = await client.patch("/api/v1/me/preferences", body);
      expectCleanError(res, t, 400, "VALIDATION_FAILED");
      expect((await client.get("/api/v1/me/preferences")).json).toEqual(DEFAULTS);
    });

    it("accepts every supported language", async () => {
      const { client } = await t.signedInUser();
      for (const language of LANGUAGES) {
        const res = await client.patch("/api/v1/me/preferences", { language });
        expect(res.status, language).toBe(200);
        expect(res.json.language).toBe(language);
      }
    });

    it("works with a bearer access token from the password grant", async () => {
      const { client, email, password } = await t.signedInUser();
      const token = await t.client().post("/api/v1/auth/token", { grant_type: "password", email, password });
      expect(token.status, token.text).toBe(200);
      const bearer = { authorization: `Bearer ${token.json.access_token}` };
      const api = t.client();
      expect((await api.get("/api/v1/me/preferences", { headers: bearer })).json).toEqual(DEFAULTS);
      const patched = await api.patch("/api/v1/me/preferences", { theme: "light" }, { headers: bearer });
      expect(patched.status, patched.text).toBe(200);
      expect(patched.json.theme).toBe("light");
      // The browser session sees the same preferences.
      expect((await client.get("/api/v1/me/preferences")).json.theme).toBe("light");
      expect((await api.patch("/api/v1/me/preferences", { theme: "neon" }, { headers: bearer })).json.code).toBe("VALIDATION_FAILED");
      // A refresh token is not an access token.
      const wrong = await api.get("/api/v1/me/preferences", { headers: { authorization: `Bearer ${token.json.refresh_token}` } });
      expectCleanError(wrong, t, 401, "UNAUTHORIZED");
    });

    it("unauthenticated PATCH is 401 and writes nothing", async () => {
      const res = await t.client().patch("/api/v1/me/preferences", { theme: "dark" });
      expectCleanError(res, t, 401, "UNAUTHORIZED");
    });
  });
});
