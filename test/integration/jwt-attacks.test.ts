/**
 * Every known JWT attack a verifier must reject,
 * against GET /api/v1/me, on both databases: each must get 401 UNAUTHORIZED, never a 500.
 *
 * Forged tokens that are validly signed but wrong are signed with OUR private key, decrypted
 * from the `jwks` table the way Better Auth does it, so each case isolates one check; a control
 * token forged the same way with correct claims is accepted, which proves the forging is right.
 * ASVS ids (9.1.x, 9.2.x) are in the test names.
 */
import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { symmetricDecrypt } from "better-auth/crypto";
import fc from "fast-check";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestInstance, DB_KINDS, STRONG_PASSWORD, uniqueEmail, type TestInstance, type TestResponse } from "../support/instance.ts";

const b64u = (v: string | Buffer) => Buffer.from(v).toString("base64url");
const json64 = (v: unknown) => b64u(JSON.stringify(v));

/** header.payload.signature with any header and payload; Ed25519 signature when a key is given. */
function forge(header: unknown, payload: unknown, key?: KeyObject): string {
  const h = typeof header === "string" ? b64u(header) : json64(header);
  const p = typeof payload === "string" ? b64u(payload) : json64(payload);
  const sig = key ? sign(null, Buffer.from(`${h}.${p}`), key) : Buffer.alloc(0);
  return `${h}.${p}.${b64u(sig)}`;
}

function expectRejected(res: TestResponse, label: string) {
  expect(res.status, `${label}: ${res.text}`).toBe(401);
  expect(res.json?.code, label).toBe("UNAUTHORIZED");
  expect(res.headers.get("www-authenticate"), label).toMatch(/^Bearer/);
}

describe.each(DB_KINDS)("JWT attacks against /api/v1/me on %s", (kind) => {
  let t: TestInstance;
  let base: string;
  let userId: string;
  let email: string;
  let validToken: string;
  let refreshToken: string;
  let ourKid: string;
  let ourKey: KeyObject;
  let ourPublicJwk: Record<string, string>;
  let storedPublicKey: string;
  const attacker = generateKeyPairSync("ed25519");
  const attackerJwk = attacker.publicKey.export({ format: "jwk" }) as Record<string, string>;

  const me = (token: string) => t.client().get("/api/v1/me", { headers: { authorization: `Bearer ${token}` } });
  const nowS = () => Math.floor(Date.now() / 1000);
  /** A claim set that the verifier accepts: overrides replace, `undefined` removes. */
  const claims = (overrides: Record<string, unknown> = {}) => {
    const c: Record<string, unknown> = {
      sub: userId,
      role: "user",
      email_verified: true,
      token_use: "access",
      jti: randomUUID(),
      iat: nowS(),
      exp: nowS() + 900,
      iss: base,
      aud: base,
      ...overrides,
    };
    for (const k of Object.keys(c)) if (c[k] === undefined) delete c[k];
    return c;
  };
  const ours = (overrides: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
    forge({ alg: "EdDSA", kid: ourKid, ...header }, claims(overrides), ourKey);

  beforeAll(async () => {
    t = await createTestInstance(kind);
    base = t.services.config.baseURL;
    const user = await t.signedInUser();
    userId = user.userId;
    email = user.email;
    const grant = await t.client().post("/api/v1/auth/token", { grant_type: "password", email, password: user.password });
    expect(grant.status, grant.text).toBe(200);
    validToken = grant.json.access_token;
    refreshToken = grant.json.refresh_token;
    ourKid = decodeProtectedHeader(validToken).kid!;
    const row = await t.services.db.kysely.selectFrom("jwks").selectAll().where("id", "=", ourKid).executeTakeFirstOrThrow();
    const privateJwk = JSON.parse(await symmetricDecrypt({ key: t.services.config.secret, data: JSON.parse(row.privateKey) })) as Record<string, string>;
    ourKey = createPrivateKey({ key: privateJwk, format: "jwk" });
    storedPublicKey = row.publicKey;
    ourPublicJwk = JSON.parse(row.publicKey);
    expect(createPublicKey(ourKey).export({ format: "jwk" }).x).toBe(ourPublicJwk.x);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("controls: the issued token and a token forged with our key and correct claims are accepted", async () => {
    const issued = await me(validToken);
    expect(issued.status, issued.text).toBe(200);
    expect(issued.json).toMatchObject({ id: userId, authenticatedVia: "bearer" });
    const forged = await me(ours());
    expect(forged.status, forged.text).toBe(200);
    // The same claims Better Auth signs: the forged and issued claim sets match.
    expect(Object.keys(decodeJwt(ours())).sort()).toEqual(Object.keys(decodeJwt(validToken)).sort());
    // Padding under the 8 KB limit is fine (the > 8 KB case below fails for its size alone).
    expect((await me(ours({ pad: "p".repeat(5000) }))).status).toBe(200);
  });

  it("9.1.2 alg none in any case, with and without a signature", async () => {
    const [h, p, s] = validToken.split(".") as [string, string, string];
    const payload = decodeJwt(validToken);
    for (const alg of ["none", "None", "NONE", "nOnE"]) {
      const header = { alg, kid: ourKid };
      const hn = json64(header);
      for (const token of [
        `${hn}.${p}.`,
        `${hn}.${p}`,
        `${hn}.${p}.${s}`,
        forge(header, payload),
        `${json64({ alg, typ: "JWT" })}.${p}.`,
        `${hn}.${json64({ ...payload, role: "admin" })}.`,
      ]) {
        expectRejected(await me(token), `alg ${alg}: ${token.slice(0, 40)}`);
      }
    }
    expect(h).not.toBe("");
  });

  it("9.1.1 stripped, altered and all-zero signatures", async () => {
    const [h, p, s] = validToken.split(".") as [string, string, string];
    expectRejected(await me(`${h}.${p}.`), "stripped");
    expectRejected(await me(`${h}.${p}`), "stripped, two parts");
    for (const index of [0, 31, 63]) {
      const sig = Buffer.from(s, "base64url");
      sig[index] = sig[index]! ^ 0x01;
      expectRejected(await me(`${h}.${p}.${b64u(sig)}`), `flipped byte ${index}`);
    }
    expectRejected(await me(`${h}.${p}.${b64u(Buffer.from(s, "base64url").subarray(0, 63))}`), "63-byte signature");
    expectRejected(await me(`${h}.${p}.${s}${b64u(Buffer.from([0]))}`), "65-byte signature");
    // ECDSA "psychic signature" style r = s = 0: 64 zero bytes, under every label.
    const zeros = b64u(Buffer.alloc(64));
    expectRejected(await me(`${h}.${p}.${zeros}`), "EdDSA, zero signature");
    for (const alg of ["ES256", "ES384", "ES512"]) {
      expectRejected(await me(`${json64({ alg, kid: ourKid })}.${p}.${zeros}`), `${alg}, zero signature`);
    }
    // Another user's valid signature pasted on: signature over other bytes.
    const other = ours({ sub: "someone-else" }).split(".")[2];
    expectRejected(await me(`${h}.${p}.${other}`), "signature of another token");
  });

  it("9.1.1 payload altered after signing (role: admin, another sub) is refused", async () => {
    const [h, , s] = validToken.split(".") as [string, string, string];
    const payload = decodeJwt(validToken);
    expectRejected(await me(`${h}.${json64({ ...payload, role: "admin" })}.${s}`), "role admin");
    expectRejected(await me(`${h}.${json64({ ...payload, exp: payload.exp! + 86_400 })}.${s}`), "exp extended");
    const staff = await t.signedInUser();
    expectRejected(await me(`${h}.${json64({ ...payload, sub: staff.userId })}.${s}`), "another sub");
    // The header is signed too.
    expectRejected(await me(`${json64({ alg: "EdDSA", kid: ourKid, typ: "JWT" })}.${validToken.split(".")[1]}.${s}`), "header altered");
  });

  it("9.1.2 HS256 signed with our public key (x bytes, x string, stored JSON, JWKS JSON, PEM) is refused", async () => {
    const jwks = await t.client().get("/api/auth/jwks");
    const published = (jwks.json.keys as Array<Record<string, string>>).find((k) => k.kid === ourKid)!;
    expect(published).toBeDefined();
    const pem = createPublicKey(ourKey).export({ format: "pem", type: "spki" }) as string;
    const der = createPublicKey(ourKey).export({ format: "der", type: "spki" });
    const secrets: Array<[string, Buffer | string]> = [
      ["x bytes", Buffer.from(ourPublicJwk.x!, "base64url")],
      ["x string", ourPublicJwk.x!],
      ["stored publicKey JSON", storedPublicKey],
      ["published JWK JSON", JSON.stringify(published)],
      ["JWKS document", jwks.text],
      ["PEM", pem],
      ["PEM without trailing newline", pem.trim()],
      ["DER", der],
    ];
    for (const alg of ["HS256", "HS384", "HS512"]) {
      for (const [label, secret] of secrets) {
        for (const kid of [ourKid, undefined]) {
          const h = json64({ alg, ...(kid ? { kid } : {}) });
          const p = json64(claims());
          const hash = `sha${alg.slice(2)}`;
          const sig = createHmac(hash, secret).update(`${h}.${p}`).digest();
          expectRejected(await me(`${h}.${p}.${b64u(sig)}`), `${alg} with ${label}, kid ${kid ? "ours" : "none"}`);
        }
      }
    }
  });

  it("9.1.2 right key, other algorithm label (ES256, RS256, PS256, HS256, Ed25519, eddsa)", async () => {
    for (const alg of ["ES256", "RS256", "PS256", "HS256", "Ed25519", "Ed448", "eddsa", "EDDSA", "", null, 1, ["EdDSA"]]) {
      expectRejected(await me(forge({ alg, kid: ourKid }, claims(), ourKey)), `alg ${JSON.stringify(alg)}`);
    }
    expectRejected(await me(forge({ kid: ourKid }, claims(), ourKey)), "no alg");
  });

  it("9.1.3 an embedded jwk header with an attacker key is ignored", async () => {
    const payload = claims({ role: "admin" });
    for (const kid of [ourKid, attackerJwk.x, undefined]) {
      const header = { alg: "EdDSA", jwk: { ...attackerJwk, ...(kid ? { kid } : {}) }, ...(kid ? { kid } : {}) };
      expectRejected(await me(forge(header, payload, attacker.privateKey)), `embedded jwk, kid ${kid === ourKid ? "ours" : kid ? "attacker's" : "none"}`);
    }
  });

  it("9.1.3 jku and x5u headers are never fetched", async () => {
    let hits = 0;
    const server: Server = createServer((req, res) => {
      hits++;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ keys: [{ ...attackerJwk, kid: "attacker", alg: "EdDSA" }] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const headers = [
        { alg: "EdDSA", kid: "attacker", jku: `${url}/jwks.json` },
        { alg: "EdDSA", kid: ourKid, jku: `${url}/jwks.json` },
        { alg: "EdDSA", kid: "attacker", x5u: `${url}/cert.pem` },
        { alg: "EdDSA", kid: ourKid, x5u: `${url}/cert.pem` },
        { alg: "EdDSA", jku: `${url}/jwks.json`, x5u: `${url}/cert.pem` },
        { alg: "EdDSA", kid: "attacker", x5c: ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"] },
      ];
      for (const header of headers) {
        expectRejected(await me(forge(header, claims({ role: "admin" }), attacker.privateKey)), JSON.stringify(header));
      }
      await new Promise((r) => setTimeout(r, 200));
      expect(hits).toBe(0);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("9.1.3 kid injection: path traversal, SQL, very long, wrong types", async () => {
    const kids: unknown[] = [
      "../../etc/passwd",
      "../../../../../../dev/null",
      "/dev/null",
      "' OR 1=1 --",
      `${ourKid}' OR '1'='1`,
      "\" OR \"\"=\"",
      "%00",
      "k".repeat(129),
      "k".repeat(4000),
      "",
      null,
      123,
      { $ne: null },
      [ourKid],
    ];
    for (const kid of kids) {
      for (const key of [attacker.privateKey, ourKey]) {
        const label = `kid ${JSON.stringify(kid).slice(0, 40)} signed by ${key === ourKey ? "us" : "attacker"}`;
        expectRejected(await me(forge({ alg: "EdDSA", kid }, claims(), key)), label);
      }
    }
    // Without a kid at all, even our own signature is not tried against every key.
    expectRejected(await me(forge({ alg: "EdDSA" }, claims(), ourKey)), "no kid");
    expect(await t.services.db.kysely.selectFrom("jwks").select("id").execute()).toHaveLength(1);
  });

  it("9.2.1 expired, not yet valid, missing or malformed exp", async () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ["expired", { iat: nowS() - 1000, exp: nowS() - 10 }],
      ["expires now", { exp: nowS() }],
      ["nbf in the future", { nbf: nowS() + 600 }],
      ["nbf not a number", { nbf: "0" }],
      ["missing exp", { exp: undefined }],
      ["exp as a string", { exp: String(nowS() + 900) }],
      ["exp null", { exp: null }],
    ];
    for (const [label, overrides] of cases) expectRejected(await me(ours(overrides)), label);
    // A past nbf is fine (control for the nbf case).
    expect((await me(ours({ nbf: nowS() - 5 }))).status).toBe(200);
  });

  it("9.2.3 wrong or missing iss and aud", async () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ["wrong iss", { iss: "https://evil.example" }],
      ["iss with trailing slash", { iss: `${base}/` }],
      ["missing iss", { iss: undefined }],
      ["wrong aud", { aud: "https://evil.example" }],
      ["aud array without us", { aud: ["https://evil.example", "https://other.example"] }],
      ["empty aud array", { aud: [] }],
      ["missing aud", { aud: undefined }],
      ["aud as an object", { aud: { [base]: true } }],
    ];
    for (const [label, overrides] of cases) expectRejected(await me(ours(overrides)), label);
    // The same through Better Auth's own signer (it lets the payload set iss/aud).
    const { token } = await t.services.auth.api.signJWT({
      body: { payload: { ...claims(), aud: "https://evil.example", exp: undefined, iat: undefined } },
    });
    expect(decodeJwt(token).aud).toBe("https://evil.example");
    expectRejected(await me(token), "Better Auth signJWT with a wrong aud");
  });

  it("9.2.2 a refresh token, a verification-mail token or a non-access JWT is not an access token", async () => {
    expectRejected(await me(refreshToken), "refresh token");

    const newEmail = uniqueEmail("unverified");
    const since = Date.now();
    const signUp = await t.client().post("/api/auth/sign-up/email", { name: "Unverified", email: newEmail, password: STRONG_PASSWORD });
    expect(signUp.status, signUp.text).toBe(200);
    const mail = await t.mail.waitFor(newEmail, { subject: /verify/i, since });
    const verificationToken = new URL(t.mail.linkFrom(mail, "/api/auth/verify-email")).searchParams.get("token")!;
    expect(decodeProtectedHeader(verificationToken).alg).toBe("HS256");
    expectRejected(await me(verificationToken), "email verification token");

    expectRejected(await me(ours({ token_use: "refresh" }, { typ: "JWT" })), "typ JWT, token_use refresh");
    expectRejected(await me(ours({ token_use: undefined })), "no token_use");
    expectRejected(await me(ours({ token_use: "id" })), "token_use id");
    expectRejected(await me(ours({ token_use: ["access"] })), "token_use array");
    expectRejected(await me(ours({ sub: undefined })), "no sub");
    expectRejected(await me(ours({ sub: "" })), "empty sub");
    expectRejected(await me(ours({ sub: "no-such-user" })), "unknown sub");
  });

  it("crit headers are refused", async () => {
    expectRejected(await me(ours({}, { crit: ["exp"] })), "crit exp");
    expectRejected(await me(ours({}, { crit: ["b64"], b64: false })), "crit b64");
    expectRejected(await me(ours({}, { crit: [] })), "empty crit");
    expectRejected(await me(ours({}, { crit: ["urn:example:unknown"], "urn:example:unknown": 1 })), "crit unknown");
  });

  it("malformed tokens: 1, 2, 4 segments, bad base64url, non-JSON or array headers, > 8 KB", async () => {
    const [h, p, s] = validToken.split(".") as [string, string, string];
    const cases: Array<[string, string]> = [
      ["one segment", h],
      ["two segments", `${h}.${p}`],
      ["four segments", `${h}.${p}.${s}.${s}`],
      ["five segments", `${h}.${p}.${s}..`],
      ["empty segments", ".."],
      ["padding '='", `${h}=.${p}.${s}`],
      ["'+' in header", `${h.slice(0, -1)}+.${p}.${s}`],
      ["'/' in payload", `${h}.${p.slice(0, -1)}/.${s}`],
      ["'*' in signature", `${h}.${p}.${s.slice(0, -1)}*`],
      ["non-ASCII", `${h}.${p}é.${s}`],
      ["non-JSON header", `${b64u("not json")}.${p}.${s}`],
      ["JSON array header", `${json64([{ alg: "EdDSA", kid: ourKid }])}.${p}.${s}`],
      ["JSON null header", `${json64(null)}.${p}.${s}`],
      ["JSON string header", `${json64("EdDSA")}.${p}.${s}`],
      ["JSON number header", `${json64(42)}.${p}.${s}`],
      ["signed non-JSON payload", forge({ alg: "EdDSA", kid: ourKid }, "not json", ourKey)],
      ["signed JSON array payload", forge({ alg: "EdDSA", kid: ourKid }, [claims()], ourKey)],
      ["signed null payload", forge({ alg: "EdDSA", kid: ourKid }, "null", ourKey)],
      ["signed, > 8 KB", ours({ pad: "p".repeat(9000) })],
      ["garbage > 8 KB", "a".repeat(9000)],
      ["1 MB", `${h}.${"A".repeat(1_000_000)}.${s}`],
    ];
    for (const [label, token] of cases) expectRejected(await me(token), label);

    // Not a Bearer credential at all.
    for (const authorization of ["Bearer", "Bearer ", `Bearer ${validToken} extra`, `Basic ${b64u("a:b")}`, `Token ${validToken}`, `Bearer\t${validToken}x`]) {
      const res = await t.client().get("/api/v1/me", { headers: { authorization } });
      expectRejected(res, `authorization ${authorization.slice(0, 20)}`);
    }
  });

  it("random token-shaped garbage never gets anything but 401 (property)", async () => {
    const segment = fc.oneof(
      fc.string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".split("")), maxLength: 120 }),
      fc.jsonValue({ maxDepth: 2 }).map((v) => json64(v)),
      fc.record({ alg: fc.constantFrom("EdDSA", "none", "HS256", "ES256"), kid: fc.oneof(fc.constant(ourKid), fc.string({ maxLength: 40 })) }).map(json64),
      fc.uint8Array({ minLength: 0, maxLength: 80 }).map((a) => b64u(Buffer.from(a))),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 5 }), async (parts) => {
        const res = await me(parts.join("."));
        expect(res.status).toBe(401);
        expect(res.json?.code).toBe("UNAUTHORIZED");
      }),
      { numRuns: 150 },
    );
  });

  it("9.1.3 an unknown-kid flood does not turn into a JWKS reload storm", async () => {
    const db = t.services.db.kysely;
    const spy = vi.spyOn(db, "selectFrom");
    const started = Date.now();
    try {
      const client = t.client();
      for (let round = 0; round < 4; round++) {
        const batch = await Promise.all(
          Array.from({ length: 50 }, () =>
            client.get("/api/v1/me", {
              headers: { authorization: `Bearer ${forge({ alg: "EdDSA", kid: randomBytes(16).toString("hex") }, claims(), attacker.privateKey)}` },
            }),
          ),
        );
        for (const res of batch) expectRejected(res, "random kid");
      }
      const jwksReads = spy.mock.calls.filter(([table]) => String(table) === "jwks").length;
      // At most one reload a second, however many unknown kids arrive (200 here).
      expect(jwksReads).toBeLessThanOrEqual(1 + Math.floor((Date.now() - started) / 1000));
      // Known keys keep working during the flood.
      expect((await me(validToken)).status).toBe(200);
      // The spy does see the verifier's reads (so the bound above is not vacuous).
      await t.services.verifier.reloadKeys();
      expect(spy.mock.calls.filter(([table]) => String(table) === "jwks").length).toBe(jwksReads + 1);
    } finally {
      spy.mockRestore();
    }
  });

  it("the JWKS publishes public parameters only", async () => {
    const res = await t.client().get("/api/auth/jwks");
    expect(res.status).toBe(200);
    const keys = res.json.keys as Array<Record<string, unknown>>;
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      for (const secret of ["d", "p", "q", "dp", "dq", "qi", "k", "oth", "privateKey"]) expect(key, secret).not.toHaveProperty(secret);
      expect(key).toMatchObject({ kty: "OKP", crv: "Ed25519" });
      expect(typeof key.x).toBe("string");
      expect(typeof key.kid).toBe("string");
    }
    const privateJwk = ourKey.export({ format: "jwk" }) as Record<string, string>;
    expect(res.text).not.toContain(privateJwk.d!);
  });

  // Runs near the end: it rotates the signing key of this instance.
  // Regression: a key rotated in right after an unknown-kid probe was refused for 30 s (reload cooldown).
  it("9.1.3 a newly rotated signing key is accepted at once, even right after an unknown-kid probe", async () => {
    const ctx = await t.services.auth.$context;
    const user = await t.signedInUser();
    const retireCurrentKey = async (kid: string) => {
      // An unknown kid starts the reload cooldown...
      expectRejected(await me(forge({ alg: "EdDSA", kid: "probe-" + randomUUID() }, claims(), attacker.privateKey)), "probe");
      // ...then the current key reaches its rotation date: the next token is signed by a new key.
      await ctx.adapter.update({ model: "jwks", where: [{ field: "id", value: kid }], update: { expiresAt: new Date(Date.now() - 1000) } });
    };

    // Rotation seen first by Better Auth's session-minted JWT (GET /api/auth/token)...
    await retireCurrentKey(ourKid);
    const viaSession = await user.client.get("/api/auth/token");
    expect(viaSession.status).toBe(200);
    const secondKid = decodeProtectedHeader(viaSession.json.token).kid!;
    expect(secondKid).not.toBe(ourKid);
    const bySession = await me(viaSession.json.token);
    expect(bySession.status, bySession.text).toBe(200);

    // ...and by our token endpoint.
    await retireCurrentKey(secondKid);
    const grant = await t.client().post("/api/v1/auth/token", { grant_type: "password", email: user.email, password: user.password });
    expect(grant.status, grant.text).toBe(200);
    const thirdKid = decodeProtectedHeader(grant.json.access_token).kid!;
    expect(new Set([ourKid, secondKid, thirdKid]).size).toBe(3);
    const byGrant = await me(grant.json.access_token);
    expect(byGrant.status, byGrant.text).toBe(200);

    // Tokens of the previous keys stay valid until they expire (the keys are within their grace period);
    // `ours()` is a token never seen before, so it is not answered from the verified-token cache.
    expect((await me(ours())).status).toBe(200);
    expect((await me(validToken)).status).toBe(200);
    expect((await me(viaSession.json.token)).status).toBe(200);
  });

  // Regression: the verifier trusted every key ever stored, also those /jwks no longer publishes.
  it("9.1.3 a key past its grace period (no longer at /jwks) is not trusted", async () => {
    const ctx = await t.services.auth.$context;
    await ctx.adapter.update({ model: "jwks", where: [{ field: "id", value: ourKid }], update: { expiresAt: new Date(Date.now() - 8 * 86_400_000) } });
    const jwks = await t.client().get("/api/auth/jwks");
    expect((jwks.json.keys as Array<{ kid: string }>).map((k) => k.kid)).not.toContain(ourKid);
    await t.services.verifier.reloadKeys();
    expectRejected(await me(ours()), "token signed by a retired key");
  });
});
