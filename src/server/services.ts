import path from "node:path";
import type { Logger } from "pino";
import type { AppConfig } from "./config/index.ts";
import { openDatabase, type Db } from "./db/index.ts";
import { migrateToLatest } from "./db/migrator.ts";
import { createLogger } from "./logger.ts";
import { createAuditLog, type AuditLog } from "./audit/audit.ts";
import { createAuth, type Auth } from "./auth/auth.ts";
import { createCallerResolver, type CallerResolver } from "./auth/caller.ts";
import { currentEndpoint } from "./auth/better-auth/endpoint.ts";
import { sessionRules, type SessionRules } from "./auth/better-auth/session.ts";
import { createPasswordSignIn, type PasswordSignIn } from "./auth/better-auth/sign-in.ts";
import { createCredentials, type Credentials } from "./auth/credentials.ts";
import { createUnfinishedWork } from "./auth/plugins/unfinished-work.ts";
import { createSecondFactorCheck, type SecondFactorCheck } from "./auth/second-factor.ts";
import { createUsedTokens, type UsedTokens } from "./auth/used-tokens.ts";
import { createRecoveryCodes } from "./auth/recovery-codes.ts";
import { createUserEvents, type UserEvents } from "./account/user-events.ts";
import { createTrustedDevices, type TrustedDevices } from "./account/trusted-devices.ts";
import { promoteConfiguredAdmins } from "./account/admin-emails.ts";
import { createMailer, type Mailer } from "./email/send-email.ts";
import { createMailOutbox, type MailOutbox } from "./email/mail-outbox.ts";
import { createMaintenance, type MaintenanceReport } from "./maintenance/maintenance.ts";
import { createAccountThrottle, type AccountThrottle } from "./rate-limit/account-throttle.ts";
import type { CounterStore } from "./rate-limit/counter-store.ts";
import { createLimits, createMailQuota, openCounterStores, type Limits, type MailQuota } from "./rate-limit/limits.ts";
import { createRedirectCheck } from "./http/redirect.ts";
import { createAccessTokenCutoff } from "./tokens/access-token-cutoff.ts";
import { createAccessTokenVerifier, type AccessTokenVerifier } from "./tokens/access-token-verifier.ts";
import { createRefreshTokenService, type RefreshTokenService } from "./tokens/refresh-tokens.ts";
import { createAnonymousMerger, type AnonymousMerger } from "./chat/anonymous-merge.ts";
import { purgeAbandonedAnonymous } from "./chat/anonymous-purge.ts";
import { createChatStore, type ChatStore } from "./chat/chat-store.ts";
import { createAnswerRecovery, newStreamOwner, streamInstance } from "./chat/answer-recovery.ts";
import { createLiveBookIndex, type BookIndex, type ChapterSource } from "./chat/retrieval.ts";
import { createBookStore, type BookStore } from "./book/book.ts";
import { providerFromEnv, type AnswerProvider } from "./chat/providers.ts";

/**
 * Everything the routes need, built once from the configuration. Tests build one per file.
 * This is the composition root: it builds and wires; what each part does lives in its feature folder.
 */
export interface Services {
  config: AppConfig;
  logger: Logger;
  db: Db;
  auth: Auth;
  /** POST /api/auth/sign-in/email in the plain case, without Better Auth's endpoint machinery. */
  passwordSignIn: PasswordSignIn;
  /** The one password check outside Better Auth's handler, with one timing defence (auth/credentials.ts). */
  credentials: Credentials;
  /** The token API's second-factor check, by Better Auth's two-factor routes (auth/second-factor.ts). */
  secondFactor: SecondFactorCheck;
  /** The durable mail outbox (email/mail-outbox.ts): `enqueue` writes a row, its sender delivers. */
  mailer: MailOutbox;
  audit: AuditLog;
  counters: CounterStore;
  /** Per-IP limits (rate-limit/limits.ts). */
  limits: Limits;
  throttle: AccountThrottle;
  mailQuota: MailQuota;
  /** Single-use verification links (auth/used-tokens.ts). */
  usedTokens: UsedTokens;
  refreshTokens: RefreshTokenService;
  verifier: AccessTokenVerifier;
  callers: CallerResolver;
  /** Better Auth's session cookie, expiry and refresh rules, read from its context (auth/better-auth/session.ts). */
  session: SessionRules;
  /** Devices trusted to skip the second factor: listed, forgotten (account/trusted-devices.ts). */
  trustedDevices: TrustedDevices;
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

export async function createServices(config: AppConfig, overrides: ServiceOverrides = {}): Promise<Services> {
  const logger = overrides.logger ?? createLogger(config);
  for (const warning of config.warnings) logger.warn(warning);
  const env = config.env;

  // Better Auth's routes answer 503 for work they could not finish (auth/plugins/unfinished-work.ts).
  const unfinished = createUnfinishedWork(logger);
  const db = openDatabase(config.database, { onError: unfinished.databaseFailed });
  if (!overrides.skipMigrations) {
    const { applied } = await migrateToLatest(db);
    if (applied.length) logger.info({ applied }, "database migrated");
  }

  const { counters, throttleCounters, redis } = openCounterStores(config, db, logger);
  const limits = createLimits(counters, config.rateLimit);
  const mailQuota = createMailQuota(counters, config.rateLimit);
  const throttle = createAccountThrottle(throttleCounters);
  const usedTokens = createUsedTokens(db.kysely);

  const sender =
    overrides.mailer ??
    createMailer({
      from: env.EMAIL_FROM,
      smtpUrl: env.SMTP_URL,
      resendApiKey: env.RESEND_API_KEY,
      resendBaseUrl: env.RESEND_BASE_URL,
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
    maxAttempts: env.MAIL_MAX_ATTEMPTS,
    baseDelayMs: env.MAIL_RETRY_BASE_SECONDS * 1000,
  });
  mailer.start();
  const audit = createAuditLog(db.kysely, logger);

  const refreshTokens = createRefreshTokenService({
    db: db.kysely,
    secret: config.secret,
    ttlMs: env.REFRESH_TOKEN_TTL_DAYS * 86_400_000,
    graceMs: env.REFRESH_REUSE_GRACE_SECONDS * 1000,
    onReuse: ({ userId, familyId }) => audit.record({ type: "token_refresh_reuse", userId, detail: { familyId } }),
  });
  const accessTokenCutoff = createAccessTokenCutoff(db.kysely);
  const userEvents = createUserEvents();
  const recoveryCodes = createRecoveryCodes(config.secret);
  const trustedDevices = createTrustedDevices(db.kysely, audit);
  // Accounts enrolled while Better Auth stored the codes encrypted: hashes from now on (decision 015).
  await recoveryCodes.rehashEncrypted(db, logger);
  const anonymous = createAnonymousMerger({ db: db.kysely, logger, audit, userChanged: userEvents.changed });
  const auth = createAuth({
    anonymous,
    unfinished,
    usedTokens,
    recoveryCodes,
    throttle,
    trustedDevices,
    config,
    db,
    mailer,
    audit,
    logger,
    async mayMailAddress(kind, email) {
      // An explicit resend took this address's quota in its route (auth/routes/sign-up.ts), answering 429 when used.
      if (currentEndpoint()?.path === "/send-verification-email") return true;
      return (await mailQuota.take(kind, email)).allowed;
    },
    revokeRefreshTokens: (userId, reason) => refreshTokens.revokeAllForUser(userId, reason),
    async cutAccessTokens(userId) {
      await accessTokenCutoff.cut(userId);
      userEvents.changed(userId); // after the write: a reload in between would cache the old cutoff
    },
    userChanged: userEvents.changed,
    onEmailVerified: (user) => promoteConfiguredAdmins(db.kysely, env.ADMIN_EMAILS, audit, user.email),
  });

  const authContext = await auth.$context;
  const session = sessionRules(authContext);
  // Better Auth's configured verifier and length limit, as its own routes use them.
  const credentials = createCredentials(db.kysely, {
    verify: (input) => authContext.password.verify(input),
    maxPasswordLength: authContext.password.config.maxPasswordLength,
  });
  const absoluteSessionMs = env.SESSION_ABSOLUTE_DAYS * 86_400_000;
  const verifier = createAccessTokenVerifier({ db: db.kysely, issuer: config.baseURL, audience: config.baseURL });
  const callers = createCallerResolver({ db: db.kysely, userEvents, auth, session, fastPaths: config.fastPaths, verifier, absoluteSessionMs });
  // FAST_PATHS=off: never the plain case, Better Auth answers every sign-in.
  const passwordSignIn: PasswordSignIn = config.fastPaths
    ? createPasswordSignIn(auth, db, credentials, logger, { absoluteSessionMs })
    : { attempt: async () => null };

  const streamOwner = newStreamOwner(instance);
  const chats = createChatStore(db.kysely, undefined, streamOwner);
  // No answer takes longer than this (the provider's own time limits, twice over).
  const orphanAfterMs = Math.max(10 * 60_000, 4 * env.OPENAI_TIMEOUT_MS);
  const recoverAnswers = createAnswerRecovery({ db: db.kysely, logger, instance, self: streamOwner, orphanAfterMs });
  const bookIndex = createLiveBookIndex(logger);
  // The book, loaded now (and again on changes in development), indexed for the chat on every load.
  // The chat draws on the listed docs only (not unlisted pages, nor those the sidebar leaves out).
  const book = await createBookStore({
    dir: env.BOOK_DIR,
    logger,
    watch: env.NODE_ENV === "development",
    cacheDir: path.join(config.dataDir, "cache", "book"),
    onLoad: (b) => bookIndex.rebuild([...b.forChat]),
  });

  // Accounts listed in ADMIN_EMAILS that are already verified become admins at start.
  await promoteConfiguredAdmins(db.kysely, env.ADMIN_EMAILS, audit);

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
    passwordSignIn,
    credentials,
    secondFactor: createSecondFactorCheck(auth, session, config.baseURL),
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
    trustedDevices,
    anonymous,
    chats,
    answerer: providerFromEnv(env),
    book,
    bookIndex: bookIndex.current,
    indexBook: bookIndex.rebuild,
    recoverAnswers,
    runMaintenance: (now) => maintenance.run(now),
    isTrustedRedirect: createRedirectCheck(config.baseURL, config.trustedOrigins),
    async close() {
      book.close();
      await mailer.close().catch(() => {});
      if (redis) await redis.quit().catch(() => {});
      await db.close();
    },
  };
}
