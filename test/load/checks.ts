/**
 * After the run: what the readers were told against what PostgreSQL holds, the answers given
 * around the faults, and the properties a deployment of several instances behind a proxy needs.
 */
import { createHash } from "node:crypto";
import pg from "pg";
import type { Cluster } from "./cluster.ts";
import { HttpClient, type Outcome, type Recorder, type Sample } from "./client.ts";
import type { Ledger, Reader } from "./readers.ts";

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export type FaultKind = "kill" | "postgres" | "redis";

export interface FaultWindow {
  kind: FaultKind;
  label: string;
  /** ms since t0 */
  start: number;
  end: number;
}

/** After a fault is over, clients may still meet its tail for this long (pool and Redis reconnects). */
export const WINDOW_MARGIN_MS = 3_000;

/** What a fault may cost a request that overlaps it. Nothing else is acceptable anywhere. */
const ALLOWED: Record<FaultKind, (s: Sample, w: FaultWindow) => boolean> = {
  // The process dies with requests in flight: nginx answers 502 for those it must not send
  // again (POST), and an answer it was relaying ends early. For a moment after the kill nginx
  // may also write a POST on a connection it had pooled to the dead instance: sent, so not sent
  // again, so 502. Nothing else: a GET, or a POST it could not send, goes to the other instance.
  kill: (s, w) =>
    (s.outcome === "stream-cut" && inFlightAt(s, w.start)) ||
    (s.outcome === "502" && s.method !== "GET" && s.end >= w.start && s.start <= w.start + KILL_TAIL_MS),
  postgres: (s) => s.outcome === "503-retry-after" || s.outcome === "stream-unavailable",
  // Decision 010: only what needs the per-account throttle is refused; the rest is served.
  redis: (s) => s.outcome === "503-retry-after" && THROTTLED_ROUTES.has(s.route),
};

/** The routes behind the per-account password throttle, which fails closed while Redis is away. */
export const THROTTLED_ROUTES = new Set(["POST /api/auth/sign-in/email", "POST /api/v1/auth/token (password)"]);

/** How long after a kill -9 a POST may still meet a pooled connection to the dead instance. */
const KILL_TAIL_MS = 1_000;

/** The request was on its way when the fault struck (give or take the clocks' resolution). */
const inFlightAt = (s: Sample, at: number) => s.start <= at + 50 && s.end >= at - 50;

export const sha256 = (s: string) => createHash("sha256").update(s).digest("base64url");

/** The windows a sample overlaps (with the margin after each). */
export function windowsOf(s: Sample, windows: FaultWindow[]): FaultWindow[] {
  return windows.filter((w) => s.end >= w.start && s.start <= w.end + WINDOW_MARGIN_MS);
}

export function unexpectedAnswers(samples: Sample[], windows: FaultWindow[]): { sample: Sample; windows: FaultWindow[] }[] {
  return samples
    .filter((s) => s.outcome !== "ok" && s.outcome !== "429")
    .map((sample) => ({ sample, windows: windowsOf(sample, windows) }))
    .filter(({ sample, windows: ws }) => !ws.some((w) => ALLOWED[w.kind](sample, w)));
}

const short = (s: Sample) => `${(s.start / 1000).toFixed(1)}s ${s.route} → ${s.status ?? "-"} ${s.outcome}${s.detail ? ` ${s.detail.replace(/\s+/g, " ").slice(0, 120)}` : ""}`;

export async function runChecks(opts: {
  cluster: Cluster;
  ledger: Ledger;
  readers: Reader[];
  recorder: Recorder;
  windows: FaultWindow[];
}): Promise<{ checks: Check[]; figures: Record<string, number> }> {
  const { cluster, ledger, readers, recorder, windows } = opts;
  const checks: Check[] = [];
  const figures: Record<string, number> = {};
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  // 1. Answers: outside the fault windows nothing but the expected status or a 429; inside, only
  //    what that fault may cost. Never a 500, a reset or a hang.
  const bad = unexpectedAnswers(recorder.samples, windows);
  check(
    "no 5xx, resets or unexpected answers outside the fault windows; inside them only 503 + Retry-After (and, for kill -9, 502 on a POST sent at the kill, or an answer cut mid-body)",
    bad.length === 0,
    bad.length ? `${bad.length} unexpected:\n      ${bad.slice(0, 15).map((b) => short(b.sample) + (b.windows.length ? ` [in ${b.windows.map((w) => w.label).join(", ")}]` : "")).join("\n      ")}` : "none",
  );

  // Decision 010 under load: while Redis is away, password sign-ins are refused, not let through.
  const redisWindows = windows.filter((w) => w.kind === "redis");
  const duringRedis = recorder.samples.filter((s) => THROTTLED_ROUTES.has(s.route) && redisWindows.some((w) => s.start >= w.start + 500 && s.end <= w.end));
  const letThrough = duringRedis.filter((s) => s.status !== 503);
  check(
    "while Redis is away, password sign-in fails closed (503 + Retry-After) and nothing else is refused",
    letThrough.length === 0,
    `${duringRedis.length} password sign-ins inside the outage, ${duringRedis.length - letThrough.length} answered 503${letThrough.length ? `; let through: ${letThrough.slice(0, 3).map(short).join("; ")}` : ""}`,
  );

  // 2. Acknowledged writes, in PostgreSQL.
  const db = new pg.Client({ connectionString: cluster.pg.url });
  await db.connect();
  try {
    const inList = async (sqlText: string, values: string[]) => {
      const found = new Set<string>();
      for (let i = 0; i < values.length; i += 1000) {
        const { rows } = await db.query<{ v: string }>(sqlText, [values.slice(i, i + 1000)]);
        for (const r of rows) found.add(r.v);
      }
      return found;
    };
    const missing = (what: string, expected: string[], found: Set<string>) => {
      const lost = expected.filter((v) => !found.has(v));
      figures[`acknowledged ${what}`] = expected.length;
      figures[`lost ${what}`] = lost.length;
      check(`every acknowledged ${what} is in PostgreSQL (${expected.length})`, lost.length === 0, lost.length ? `missing ${lost.length}: ${lost.slice(0, 5).join(", ")}` : "all present");
    };
    const accounts = [...ledger.accounts];
    missing("account", accounts, await inList(`select email as v from "user" where email = any($1)`, accounts));
    const sessions = ledger.sessions.map((s) => s.token);
    missing("session", sessions, await inList(`select token as v from session where token = any($1)`, sessions));
    const chats = [...ledger.chats];
    missing("chat", chats, await inList(`select id as v from chat where id = any($1)`, chats));
    const contents = ledger.messages.map((m) => m.content);
    missing("chat message", contents, await inList(`select content as v from message where role = 'user' and content = any($1)`, contents));
    const hashes = ledger.refreshTokens.map(sha256);
    missing("refresh token", hashes, await inList(`select token_hash as v from refresh_token where token_hash = any($1)`, hashes));

    const { rows: multi } = await db.query(
      "select family_id, count(*)::int as n from refresh_token where rotated_at is null and revoked_at is null group by family_id having count(*) > 1",
    );
    const { rows: fam } = await db.query<{ families: number; reused: number }>(
      "select count(distinct family_id)::int as families, count(distinct family_id) filter (where revoked_reason = 'reuse_detected')::int as reused from refresh_token",
    );
    figures["refresh token families"] = fam[0]!.families;
    figures["families revoked for reuse"] = fam[0]!.reused;
    check("at most one live refresh token per family", multi.length === 0, multi.length ? `${multi.length} families with several: ${JSON.stringify(multi.slice(0, 3))}` : `${fam[0]!.families} families`);
    check(
      "no family revoked as reuse (a lost rotation answer is recovered inside the grace window)",
      fam[0]!.reused === 0 && ledger.familiesLost.length === 0,
      `${fam[0]!.reused} revoked for reuse; readers refused: ${ledger.familiesLost.length ? JSON.stringify(ledger.familiesLost.slice(0, 3)) : "none"}`,
    );

    const { rows: stuck } = await db.query<{ id: string; stream_owner: string }>("select id, stream_owner from message where status = 'streaming'");
    figures["answers interrupted (kill -9, retryable)"] = Number((await db.query("select count(*)::int as n from message where status = 'interrupted'")).rows[0].n);
    check("no answer left 'streaming' once the run is over (a reader could never retry it)", stuck.length === 0, stuck.length ? `${stuck.length} stuck, e.g. ${JSON.stringify(stuck.slice(0, 3))}` : "none");

    // The forwarded client address reached the app: sessions carry the reader's own address.
    const sample = ledger.sessions.slice(-50);
    const { rows: ips } = await db.query<{ token: string; ipAddress: string | null }>(`select token, "ipAddress" from session where token = any($1)`, [sample.map((s) => s.token)]);
    const ipOf = new Map(ips.map((r) => [r.token, r.ipAddress]));
    const wrongIp = sample.filter((s) => ipOf.has(s.token) && ipOf.get(s.token) !== s.ip);
    check(
      "sessions record the reader's own address (nginx's X-Forwarded-For, trusted from 127.0.0.1 only)",
      wrongIp.length === 0 && ips.length > 0,
      wrongIp.length ? `${wrongIp.length} differ, e.g. reader ${wrongIp[0]!.ip} recorded as ${ipOf.get(wrongIp[0]!.token)}` : `${ips.length} checked`,
    );

    // Every acknowledged sign-up's verification mail arrives (the durable outbox): mails of the
    // killed instance go out once it is back (or its leases lapse), so wait a little for them.
    const accountsMailed = () => {
      const mailed = new Set(cluster.mail.mails.filter((m) => /verify/i.test(m.subject)).flatMap((m) => m.to.map((t) => t.toLowerCase())));
      return accounts.filter((a) => !mailed.has(a.toLowerCase()));
    };
    const deadline = Date.now() + 30_000;
    while (accountsMailed().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    const unmailed = accountsMailed();
    const { rows: outbox } = await db.query<{ status: string; n: number }>("select status, count(*)::int as n from mail_outbox group by status");
    const byStatus = Object.fromEntries(outbox.map((r) => [r.status, r.n]));
    figures["verification mails missing"] = unmailed.length;
    check(
      "every acknowledged sign-up's verification mail arrived (durable mail outbox), none failed",
      unmailed.length === 0 && !byStatus.failed,
      `${accounts.length - unmailed.length} of ${accounts.length} arrived${unmailed.length ? `; missing e.g. ${unmailed.slice(0, 3).join(", ")}` : ""}; outbox: ${JSON.stringify(byStatus)}`,
    );
  } finally {
    await db.end();
  }

  // 3. A session or access token from one instance works on the other, asked directly.
  const signedIn = readers.filter((r) => r.signedIn && r.client.cookies.size).slice(0, 20);
  const crossFailures: string[] = [];
  for (const r of signedIn) {
    for (const app of cluster.apps) {
      const me = await fetch(`${app.direct}/api/v1/me`, { headers: { cookie: r.client.cookieHeader() } });
      if (me.status !== 200) crossFailures.push(`cookie of ${r.ip} on ${app.name}: ${me.status}`);
      if (r.access) {
        const bearer = await fetch(`${app.direct}/api/v1/me`, { headers: { authorization: `Bearer ${r.access}` } });
        if (bearer.status !== 200) crossFailures.push(`bearer of ${r.ip} on ${app.name}: ${bearer.status}`);
      }
    }
  }
  check(
    "sessions and access tokens are valid on both instances (asked directly, bypassing nginx)",
    crossFailures.length === 0 && signedIn.length > 0,
    crossFailures.length ? crossFailures.slice(0, 5).join("; ") : `${signedIn.length} readers × 2 instances`,
  );

  // 4. Per-IP limits are keyed on the address nginx saw, not on what a client claims.
  const limited = new HttpClient(cluster.url, "127.88.0.1", cluster.ca, recorder);
  const other = new HttpClient(cluster.url, "127.88.0.2", cluster.ca, recorder);
  const route = "POST /api/auth/sign-in/email (limit check)";
  // No email: counted by the per-IP sign-in rule (30 per 5 min), refused before any password work.
  const statuses: (number | null)[] = [];
  for (let i = 0; i < 30; i++) statuses.push((await limited.request("POST", "/api/auth/sign-in/email", route, { body: { password: "x" }, expect: [400] })).status);
  const over = await limited.request("POST", "/api/auth/sign-in/email", route, { body: { password: "x" }, expect: [429] });
  const escape = await limited.request("POST", "/api/auth/sign-in/email", route, { body: { password: "x" }, headers: { "x-forwarded-for": "127.99.0.9" }, expect: [429] });
  const fresh = await other.request("POST", "/api/auth/sign-in/email", route, { body: { password: "x" }, expect: [400] });
  const framed = await other.request("POST", "/api/auth/sign-in/email", route, { body: { password: "x" }, headers: { "x-forwarded-for": "127.88.0.1" }, expect: [400] });
  limited.close();
  other.close();
  check(
    "per-IP limits key on the forwarded client address: one address over its sign-in limit is 429, another is not, and a client-sent X-Forwarded-For changes neither",
    statuses.every((s) => s === 400) && over.status === 429 && Boolean(over.headers["retry-after"]) && escape.status === 429 && fresh.status === 400 && framed.status === 400,
    `30 × ${[...new Set(statuses)].join("/")}, 31st ${over.status} (Retry-After ${over.headers["retry-after"] ?? "-"}), with a forged XFF ${escape.status}; another address ${fresh.status}, claiming the first one ${framed.status}`,
  );

  // 5. nginx stops an oversized body with the app's own error shape.
  const big = new HttpClient(cluster.url, "127.88.0.3", cluster.ca, recorder);
  const tooLarge = await big.request("POST", "/api/v1/chats", "POST /api/v1/chats (100 KB body)", { rawBody: JSON.stringify({ title: "x".repeat(100_000) }), headers: { "content-type": "application/json" }, expect: [413] });
  big.close();
  check("a body over 64 KB is refused by nginx with the app's JSON error (413 PAYLOAD_TOO_LARGE)", tooLarge.status === 413 && tooLarge.json?.code === "PAYLOAD_TOO_LARGE", `${tooLarge.status} ${tooLarge.text.slice(0, 100)}`);

  return { checks, figures };
}

export function outcomeCounts(samples: Sample[]): Record<Outcome, number> {
  const out = {} as Record<Outcome, number>;
  for (const s of samples) out[s.outcome] = (out[s.outcome] ?? 0) + 1;
  return out;
}
