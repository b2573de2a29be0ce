import { createHash } from "node:crypto";
import path from "node:path";
import type { Redis } from "ioredis";
import pino, { type Logger } from "pino";
import type { AppConfig } from "./config/index.ts";
import { openDatabase, type Db } from "./db/index.ts";
import { migrateToLatest } from "./db/migrator.ts";
import { createAuditLog, type AuditLog } from "./audit/audit.ts";
import { createAuth, type Auth } from "./auth/auth.ts";
import { createCallerResolver, type CallerResolver } from "./auth/caller.ts";
import { currentEndpoint } from "./auth/better-auth/endpoint.ts";
import { sessionRules, type SessionRules } from "./auth/better-auth/session.ts";
import { createUserEvents, type UserEvents } from "./account/user-events.ts";
import { createPasswordSignIn, type PasswordSignIn } from "./auth/better-auth/sign-in.ts";
import { createCredentials, type Credentials } from "./auth/credentials.ts";
import { createUnfinishedWork } from "./auth/plugins/unfinished-work.ts";
import { createMailer, type Mailer } from "./email/send-email.ts";
import { createMailOutbox, type MailOutbox } from "./email/mail-outbox.ts";
import { createMaintenance, type MaintenanceReport } from "./maintenance/maintenance.ts";
import { tooManyRequests } from "./http/errors.ts";
import { createAccountThrottle, type AccountThrottle } from "./rate-limit/account-throttle.ts";
import { createSqlCounterStore, type CounterStore } from "./rate-limit/counter-store.ts";
import { connectRedisCounters } from "./rate-limit/redis-outage.ts";
import { createRateLimiter } from "./rate-limit/rate-limiter.ts";
import type { LimitDecision, RateRule } from "./rate-limit/rate-limiter.ts";
import { MAIL_PER_ADDRESS_WINDOW_MS, RULES } from "./rate-limit/rules.ts";
import { createBatchedRateLimiter } from "./rate-limit/batched-limiter.ts";
import { createRedirectCheck } from "./http/redirect.ts";
import { createAccessTokenCutoff } from "./tokens/access-token-cutoff.ts";
import { createAccessTokenVerifier, type AccessTokenVerifier } from "./tokens/access-token-verifier.ts";
import { createRefreshTokenService, type RefreshTokenService } from "./tokens/refresh-tokens.ts";
import { promoteConfiguredAdmins } from "./account/admin-emails.ts";
import { createAnonymousMerger, type AnonymousMerger } from "./chat/anonymous-merge.ts";
import { purgeAbandonedAnonymous } from "./chat/anonymous-purge.ts";
import { createChatStore, type ChatStore } from "./chat/chat-store.ts";
import { interruptOrphanedAnswers, newStreamOwner, streamInstance } from "./chat/answer-recovery.ts";
import { buildBookIndex, type BookIndex, type ChapterSource } from "./chat/retrieval.ts";
import { createBookStore, type BookStore } from "./book/book.ts";
import { createEmbeddedProvider, createOpenAIProvider, type AnswerProvider } from "./chat/providers.ts";

/** Everything the routes need, built once from the configuration. Tests build one per file. */
export interface Services {
  config: AppConfig;
  logger: Logger;
  db: Db;
  auth: Auth;
  /** POST /api/auth/sign-in/email in the plain case, without Better Auth's endpoint machinery. */
  passwordSignIn: PasswordSignIn;
  /** The one password check outside Better Auth's handler, with one timing defence (auth/credentials.ts). */
  credentials: Credentials;
  /** The durable mail outbox (email/mail-outbox.ts): `enqueue` writes a row, its sender delivers. */
  mailer: MailOutbox;
  audit: AuditLog;
  counters: CounterStore;
  limits: {
    consume(rule: RateRule, key: string): Promise<void>;
    /** `consume` of several rules in one store write; a 429 when any refuses (the longest wait). */
    consumeAll(rules: RateRule[], key: string): Promise<void>;
    /** `consume` without a promise when it can decide at once (the /api/v1 rule, counted in memory): the hot path. */
    consumeNow(rule: RateRule, key: string): Promise<void> | undefined;
    /** Count one against `rule` and say what it decided, whatever RATE_LIMIT says (quotas). */
    decide(rule: RateRule, key: string): Promise<LimitDecision>;
  };
  throttle: AccountThrottle;
  mailQuota: { take(kind: string, email: string): Promise<{ allowed: boolean; retryAfterSeconds: number }> };
  usedTokens: {
    claim(purpose: string, token: string, expiresAt: number): Promise<boolean>;
    /** Undo a claim whose use did not go through (Better Auth refused the link). */
    release(purpose: string, token: string): Promise<void>;
  };
  refreshTokens: RefreshTokenService;
  verifier: AccessTokenVerifier;
  callers: CallerResolver;
  /** Better Auth's session cookie, expiry and refresh rules, read from its context (auth/better-auth/session.ts). */
  session: SessionRules;
  /** "This user changed": every per-user cache drops its entries (account/user-events.ts). */
  userEvents: UserEvents;
  anonymous: AnonymousMerger;
  chats: ChatStore;
  answerer: AnswerProvider;
  /** The book's chapters as loaded (book/book.ts); closed with the services. */
  book: BookStore;
  /** The retrieval index over the book (rebuilt by `indexBook`). */
  bookIndex(): BookIndex;
  indexBook(chapters: ChapterSource[]): void;
  /**
   * Mark answers left "streaming" by dead processes as interrupted (chat/answer-recovery.ts).
   * `afterRestart` (once listening): also every answer of this instance's earlier processes.
   */
  recoverAnswers(opts?: { afterRestart?: boolean }): Promise<number>;
  /**
   * Housekeeping (maintenance/maintenance.ts): retry pending anonymous merges, purge abandoned
   * anonymous readers, recover orphaned answers, delete what has expired. `now` for tests.
   */
  runMaintenance(now?: number): Promise<MaintenanceReport>;
  isTrustedRedirect(url: string): boolean;
  close(): Promise<void>;
}

export interface ServiceOverrides {
  logger?: Logger;
  /** Sends one mail (tests: a transport of their own); the outbox around it is always the real one. */
  mailer?: Mailer;
  /** Skip running migrations at start (the CLI runs them itself). */
  skipMigrations?: boolean;
}

const sha = (s: string) => createHash("sha256").update(s).digest("base64url");

export async function createServices(config: AppConfig, overrides: ServiceOverrides = {}): Promise<Services> {
  const logger =
    overrides.logger ??
    pino({
      level: config.env.LOG_LEVEL,
      // Belt and braces: whatever a log call passes, these never reach the log (ASVS 16.2.5).
      redact: {
        paths: ["password", "*.password", "token", "*.token", "refresh_token", "*.refresh_token", "access_token", "secret", "*.secret", "req.headers.cookie", "req.headers.authorization"],
        censor: "[redacted]",
      },
    });
  for (const warning of config.warnings) logger.warn(warning);

  // Better Auth's routes answer 503 for work they could not finish (auth/plugins/unfinished-work.ts).
  const unfinished = createUnfinishedWork(logger);
  const db = openDatabase(config.database, { onQueryError: unfinished.queryFailed });
  if (!overrides.skipMigrations) {
    const { applied } = await migrateToLatest(db);
    if (applied.length) logger.info({ applied }, "database migrated");
  }

  let redis: Redis | undefined;
  let counters: CounterStore;
  // With Redis, the account throttle fails closed while it is unreachable, the rest fails open (decision 010).
  let throttleCounters: CounterStore;
  if (config.env.REDIS_URL) {
    ({ redis, lenient: counters, strict: throttleCounters } = connectRedisCounters(config.env.REDIS_URL, logger));
  } else {
    counters = throttleCounters = createSqlCounterStore(db.kysely);
  }

  const limiter = createRateLimiter(counters);
  // The generous per-IP rule on every /api/v1 request is counted in-process and added to the
  // store in batches (exact near the limit): a store write per request cost as much CPU as the
  // rest of a cached GET /api/v1/me (rate-limit/batched-limiter.ts, bench/README.md).
  const apiLimiter = createBatchedRateLimiter(counters);
  const limits = {
    async consume(rule: RateRule, key: string) {
      await limits.consumeNow(rule, key);
    },
    async consumeAll(rules: RateRule[], key: string) {
      if (!config.rateLimit) return;
      const denied = (await limiter.consumeAll(rules, key)).filter((d) => !d.allowed);
      if (denied.length) throw tooManyRequests(Math.max(...denied.map((d) => d.retryAfterSeconds)));
    },
    consumeNow(rule: RateRule, key: string): Promise<void> | undefined {
      if (!config.rateLimit) return undefined;
      const decision = rule.name === RULES.api.name ? apiLimiter.consumeNow(rule, key) : limiter.consume(rule, key);
      if (decision instanceof Promise) {
        return decision.then((d) => {
          if (!d.allowed) throw tooManyRequests(d.retryAfterSeconds);
        });
      }
      if (!decision.allowed) throw tooManyRequests(decision.retryAfterSeconds);
      return undefined;
    },
    decide: (rule: RateRule, key: string) => limiter.consume(rule, key),
  };
  const throttle = createAccountThrottle(throttleCounters);
  const mailQuota = {
    async take(kind: string, email: string) {
      if (!config.rateLimit) return { allowed: true, retryAfterSeconds: 0 };
      const state = await counters.increment(`mail:${kind}:${sha(email.trim().toLowerCase())}`, MAIL_PER_ADDRESS_WINDOW_MS);
      return { allowed: state.count <= 1, retryAfterSeconds: Math.max(1, Math.ceil((state.resetAt - Date.now()) / 1000)) };
    },
  };

  const usedTokens = {
    async claim(purpose: string, token: string, expiresAt: number) {
      const result = await db.kysely
        .insertInto("used_token")
        .values({ token_hash: sha(`${purpose}:${token}`), purpose, expires_at: expiresAt })
        .onConflict((oc) => oc.column("token_hash").doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    },
    async release(purpose: string, token: string) {
      await db.kysely.deleteFrom("used_token").where("token_hash", "=", sha(`${purpose}:${token}`)).execute();
    },
  };

  const sender =
    overrides.mailer ??
    createMailer({
      from: config.env.EMAIL_FROM,
      smtpUrl: config.env.SMTP_URL,
      resendApiKey: config.env.RESEND_API_KEY,
      resendBaseUrl: config.env.RESEND_BASE_URL,
      outboxDir: path.join(config.dataDir, "outbox"),
      logOutboxLinks: !config.production,
      logger,
    });
  const instance = streamInstance(config.port);
  const mailer = createMailOutbox({
    db: db.kysely,
    dialect: db.kind,
    mailer: sender,
    logger,
    instance,
    secret: config.secret,
    maxAttempts: config.env.MAIL_MAX_ATTEMPTS,
    baseDelayMs: config.env.MAIL_RETRY_BASE_SECONDS * 1000,
  });
  mailer.start();
  const audit = createAuditLog(db.kysely, logger);

  const refreshTokens = createRefreshTokenService({
    db: db.kysely,
    secret: config.secret,
    ttlMs: config.env.REFRESH_TOKEN_TTL_DAYS * 86_400_000,
    graceMs: config.env.REFRESH_REUSE_GRACE_SECONDS * 1000,
    onReuse: ({ userId, familyId }) => audit.record({ type: "token_refresh_reuse", userId, detail: { familyId } }),
  });

  const accessTokenCutoff = createAccessTokenCutoff(db.kysely);
  const userEvents = createUserEvents();
  const anonymous = createAnonymousMerger({ db: db.kysely, logger, audit, userChanged: userEvents.changed });
  const auth = createAuth({
    anonymous,
    unfinished,
    config,
    db,
    mailer,
    audit,
    logger,
    async mayMailAddress(kind, email) {
      // An explicit resend took this address's quota in its route (auth-routes.ts), answering 429 when used.
      if (currentEndpoint()?.path === "/send-verification-email") return true;
      return (await mailQuota.take(kind, email)).allowed;
    },
    revokeRefreshTokens: (userId, reason) => refreshTokens.revokeAllForUser(userId, reason),
    async cutAccessTokens(userId) {
      await accessTokenCutoff.cut(userId);
      userEvents.changed(userId); // after the write: a reload in between would cache the old cutoff
    },
    userChanged: userEvents.changed,
    onEmailVerified: (user) => promoteConfiguredAdmins(db.kysely, config.env.ADMIN_EMAILS, audit, user.email),
  });

  const authContext = await auth.$context;
  const session = sessionRules(authContext);
  // Read at each call: Better Auth's context is where its routes find the verifier too.
  const credentials = createCredentials(db.kysely, (input) => authContext.password.verify(input));
  const verifier = createAccessTokenVerifier({ db: db.kysely, issuer: config.baseURL, audience: config.baseURL });
  const callers = createCallerResolver({
    db: db.kysely,
    userEvents,
    auth,
    session,
    fastPaths: config.fastPaths,
    verifier,
    absoluteSessionMs: config.env.SESSION_ABSOLUTE_DAYS * 86_400_000,
  });

  const env = config.env;
  const streamOwner = newStreamOwner(instance);
  const chats = createChatStore(db.kysely, undefined, streamOwner);
  // No answer takes longer than this (the provider's own time limits, twice over).
  const orphanAfterMs = Math.max(10 * 60_000, 4 * env.OPENAI_TIMEOUT_MS);
  const recoverAnswers = async (opts: { afterRestart?: boolean } = {}) => {
    const interrupted = await interruptOrphanedAnswers(db.kysely, {
      self: streamOwner,
      instance: opts.afterRestart ? instance : undefined,
      olderThan: Date.now() - orphanAfterMs,
    });
    if (interrupted) logger.warn({ interrupted }, "answers left unfinished by a stopped process were marked interrupted");
    return interrupted;
  };
  const answerer = env.OPENAI_API_KEY
    ? createOpenAIProvider({
        apiKey: env.OPENAI_API_KEY,
        baseUrl: env.OPENAI_BASE_URL ?? "https://api.openai.com/v1",
        model: env.OPENAI_MODEL ?? "gpt-4o-mini",
        firstByteTimeoutMs: env.OPENAI_TIMEOUT_MS,
        totalTimeoutMs: Math.max(120_000, env.OPENAI_TIMEOUT_MS * 2),
      })
    : createEmbeddedProvider();
  let bookIndex = buildBookIndex([]);
  const indexBook = (chapters: ChapterSource[]) => {
    bookIndex = buildBookIndex(chapters);
    logger.info({ sections: bookIndex.size }, "book indexed for chat");
  };
  // The book, loaded now (and again on changes in development), indexed for the chat on every load.
  const book = createBookStore({
    dir: env.BOOK_DIR,
    logger,
    watch: env.NODE_ENV === "development",
    onLoad: (b) => indexBook([...b.chapters]),
  });

  // Accounts listed in ADMIN_EMAILS that are already verified become admins at start.
  await promoteConfiguredAdmins(db.kysely, config.env.ADMIN_EMAILS, audit);

  const isTrustedRedirect = createRedirectCheck(config.baseURL, config.trustedOrigins);
  const maintenance = createMaintenance({
    db: db.kysely,
    dialect: db.kind,
    logger,
    retention: {
      securityEventDays: env.RETENTION_SECURITY_EVENT_DAYS,
      expiredDays: env.RETENTION_EXPIRED_DAYS,
      mailLogDays: env.MAIL_LOG_RETENTION_DAYS,
      accessTokenTtlMs: env.ACCESS_TOKEN_TTL_SECONDS * 1000,
    },
    everyInstance: {
      retryMerges: () => anonymous.retryPending(),
      purgeAbandonedAnonymous: (now) => purgeAbandonedAnonymous(db.kysely, env.ANONYMOUS_RETENTION_DAYS, now),
      recoverAnswers: () => recoverAnswers(),
    },
  });

  return {
    config,
    logger,
    db,
    auth,
    // FAST_PATHS=off: never the plain case, Better Auth answers every sign-in.
    passwordSignIn: config.fastPaths
      ? createPasswordSignIn(auth, db, credentials, logger, { absoluteSessionMs: config.env.SESSION_ABSOLUTE_DAYS * 86_400_000 })
      : { attempt: async () => null },
    credentials,
    mailer,
    audit,
    counters,
    limits,
    throttle,
    mailQuota,
    usedTokens,
    refreshTokens,
    verifier,
    callers,
    session,
    userEvents,
    anonymous,
    chats,
    answerer,
    book,
    bookIndex: () => bookIndex,
    indexBook,
    recoverAnswers,
    runMaintenance: (now) => maintenance.run(now),
    isTrustedRedirect,
    async close() {
      book.close();
      await mailer.close().catch(() => {});
      if (redis) await redis.quit().catch(() => {});
      await db.close();
    },
  };
}
