import { betterAuth, type BetterAuthOptions, type BetterAuthPlugin } from "better-auth";
import { APIError, createAuthMiddleware, getSessionFromCtx } from "better-auth/api";
import { admin, anonymous, jwt } from "better-auth/plugins";
import type { AnonymousMerger } from "../chat/anonymous-merge.ts";
import type { Logger } from "pino";
import type { AppConfig } from "../config/index.ts";
import type { Db } from "../db/index.ts";
import type { AuditLog } from "../audit/audit.ts";
import type { MailOutbox } from "../email/mail-outbox.ts";
import { scrubErrorMessage, type EmailMessage } from "../email/send-email.ts";
import {
  accountExistsMessage,
  changeEmailMessage,
  emailChangedNoticeMessage,
  deleteAccountMessage,
  passwordChangedMessage,
  resetPasswordMessage,
  verifyEmailMessage,
} from "../email/templates.ts";
import { currentRequest } from "../http/request-context.ts";
import { hashPassword, verifyPassword } from "./password-hash.ts";
import { passwordPolicyPlugin } from "./password-policy-plugin.ts";
import type { UnfinishedWork } from "./plugins/unfinished-work.ts";
import { sessionCapPlugin } from "./session-cap-plugin.ts";
import { cachedAuthHandler } from "./better-auth/router.ts";
import { verificationLinkClaims } from "./better-auth/verification.ts";
import { CLIENT_IP_HEADER } from "../http/client-ip-header.ts";
import { accessTokenClaims, JWKS_GRACE_SECONDS } from "../tokens/access-token-claims.ts";

export const VERIFY_EMAIL_TTL_SECONDS = 24 * 3600;
export const RESET_PASSWORD_TTL_SECONDS = 3600;
export const DELETE_ACCOUNT_TTL_SECONDS = 3600;

export interface AuthDeps {
  config: AppConfig;
  db: Db;
  /** Mails are rows in the outbox before the answer leaves; the sender delivers them. */
  mailer: MailOutbox;
  audit: AuditLog;
  logger: Logger;
  /** Per-address limit on verification mails (60 s): true when a mail may be sent now. */
  mayMailAddress(kind: "verify", email: string): Promise<boolean>;
  /** Revoke every refresh-token family of a user (password reset, sign out everywhere, ban). */
  revokeRefreshTokens(userId: string, reason: string): Promise<void>;
  /**
   * Refuse every access token of a user issued until now, on every instance within seconds
   * (password change or reset, sign out everywhere, ban: ASVS 7.4.1), and drop cached state.
   */
  cutAccessTokens(userId: string): Promise<void>;
  /** Something about this user changed: every per-user cache drops its entries (account/user-events.ts). */
  userChanged(userId: string): void;
  /** Runs after an email is verified (admin promotion by ADMIN_EMAILS). */
  onEmailVerified(user: { id: string; email: string }): Promise<void>;
  /** Moves anonymous readers' chats into accounts (docs/decisions/007-anonymous-readers.md). */
  anonymous: AnonymousMerger;
  /** Answers 503 for a route whose mail or database work did not happen (plugins/unfinished-work.ts). */
  unfinished: UnfinishedWork;
}

const minutes = (seconds: number) => Math.round(seconds / 60);

export function createAuth(deps: AuthDeps) {
  const { config, db, mailer, audit, logger } = deps;
  const env = config.env;

  const socialProviders: BetterAuthOptions["socialProviders"] = {};
  if (env.GITHUB_CLIENT_ID && env.GITHUB_CLIENT_SECRET) {
    socialProviders.github = { clientId: env.GITHUB_CLIENT_ID, clientSecret: env.GITHUB_CLIENT_SECRET };
  }
  if (env.GOOGLE_CLIENT_ID && env.GOOGLE_CLIENT_SECRET) {
    socialProviders.google = { clientId: env.GOOGLE_CLIENT_ID, clientSecret: env.GOOGLE_CLIENT_SECRET };
  }

  const options = {
    appName: "AI Book",
    baseURL: config.baseURL,
    basePath: "/api/auth",
    secret: config.secret,
    trustedOrigins: config.trustedOrigins,
    database: { db: db.kysely, type: db.kind, transaction: true },
    logger: {
      // Better Auth's own log lines may carry emails; route them through pino at debug.
      log: (level, message) => {
        const lvl = level === "error" ? "error" : level === "warn" ? "warn" : "debug";
        logger[lvl]({ component: "better-auth" }, message);
      },
    },
    // Our own limiter runs in front (per socket IP, Redis or SQL); Better Auth's keys on one header only.
    rateLimit: { enabled: false },
    // Unexpected errors (a database that is down, read-only or full) reach our onError, which
    // answers 503 { code, message } for those, instead of Better Auth's bare 500 (APIErrors,
    // redirects included, are still answered by Better Auth).
    onAPIError: { throw: true },
    advanced: {
      useSecureCookies: config.secureCookies,
      // Better Auth reads the client IP from headers only; ours is set from the socket (see client-ip.ts).
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
      // Better Auth skips its origin check when NODE_ENV=test; we want CSRF checks on in tests too.
      disableOriginCheck: false,
      // No backgroundTasks: Better Auth awaits our mail callbacks, which only write the mail to the
      // outbox (a row, before the answer leaves, so a crash right after loses nothing); delivery
      // happens in the outbox's sender and never holds an answer. The reset request, whose
      // timing would tell which accounts exist, is answered before any of it (auth-routes.ts).
      // One query for a user and its accounts (sign-in) or a session and its user, instead of
      // one per table: Better Auth's Kysely adapter joins natively.
      database: { joins: true },
      cookiePrefix: "better-auth",
    },
    emailAndPassword: {
      enabled: true,
      requireEmailVerification: env.REQUIRE_EMAIL_VERIFICATION,
      // Sign-up never signs in by itself: the answer is then the same for new and taken emails.
      autoSignIn: false,
      // The fake answer for a taken email must carry the admin plugin's fields as a real sign-up
      // does: without this it said `role: null` where a new account says "user" (enumeration).
      customSyntheticUser: ({ coreFields, additionalFields, id }) => ({
        ...coreFields,
        role: "user",
        banned: false,
        banReason: null,
        banExpires: null,
        isAnonymous: false,
        ...additionalFields,
        id,
      }),
      // Our policy (NFKC code points, 8..128) is the authority; these bounds only cap hashing cost.
      minPasswordLength: 1,
      maxPasswordLength: 1024,
      password: { hash: hashPassword, verify: verifyPassword },
      revokeSessionsOnPasswordReset: true,
      // A taken address gets the same answer as a new one, and the same work behind it (a mail
      // quota, a mail row, an audit row): the timing of the answer tells nothing either (ASVS 6.3.8).
      async onExistingUserSignUp({ user }) {
        await audit.record({ type: "sign_up_existing", userId: user.id });
        if (!(await deps.mayMailAddress("verify", user.email))) return;
        await queueMail(
          deps,
          accountExistsMessage({ to: user.email, name: user.name, signInUrl: `${config.baseURL}/`, resetUrl: `${config.baseURL}/forgot-password` }),
        );
      },
      resetPasswordTokenExpiresIn: RESET_PASSWORD_TTL_SECONDS,
      async sendResetPassword({ user, url }) {
        await queueMail(deps, 
          resetPasswordMessage({ to: user.email, name: user.name, url, expiresInMinutes: minutes(RESET_PASSWORD_TTL_SECONDS) }),
        );
        await audit.record({ type: "password_reset_requested", userId: user.id });
      },
      async onPasswordReset({ user }) {
        await deps.revokeRefreshTokens(user.id, "password_reset");
        await deps.cutAccessTokens(user.id);
        await audit.record({ type: "password_reset", userId: user.id });
        await notifyPasswordChanged(deps, user);
      },
    },
    emailVerification: {
      sendOnSignUp: true,
      sendOnSignIn: true,
      autoSignInAfterVerification: true,
      expiresIn: VERIFY_EMAIL_TTL_SECONDS,
      async sendVerificationEmail({ user, url }) {
        // At most one verification mail a minute per address, whatever path asked for it.
        if (!(await deps.mayMailAddress("verify", user.email))) return;
        await queueMail(deps, 
          verifyEmailMessage({ to: user.email, name: user.name, url, expiresInMinutes: minutes(VERIFY_EMAIL_TTL_SECONDS) }),
        );
      },
      async afterEmailVerification(user, request) {
        await audit.record({ type: "email_verified", userId: user.id });
        await deps.onEmailVerified(user);
        // Over HTTP the move waits for the end of /verify-email (eventsPlugin): deleting the anonymous
        // session now made Better Auth clear the new session cookie, signing the reader out.
        if (request) verifiedInRequest.set(request, user.id);
        else await deps.anonymous.onVerified(user.id);
      },
    },
    user: {
      changeEmail: {
        enabled: true,
        // Goes to the current (old) address: the change takes effect only once confirmed there,
        // then the new address is verified by the normal verification mail.
        async sendChangeEmailConfirmation({ user, newEmail, url }) {
          await queueMail(deps, changeEmailMessage({ to: user.email, name: user.name, newEmail, url }));
          await audit.record({ type: "email_change_requested", userId: user.id });
        },
      },
      deleteUser: {
        enabled: true,
        deleteTokenExpiresIn: DELETE_ACCOUNT_TTL_SECONDS,
        async sendDeleteAccountVerification({ user, url }) {
          await queueMail(deps, 
            deleteAccountMessage({ to: user.email, name: user.name, url, expiresInMinutes: minutes(DELETE_ACCOUNT_TTL_SECONDS) }),
          );
        },
        async afterDelete(user) {
          deps.userChanged(user.id);
          await audit.record({ type: "account_deleted", userId: null, detail: { userId: user.id } });
        },
      },
    },
    session: {
      expiresIn: env.SESSION_TTL_DAYS * 86_400,
      updateAge: 86_400,
      // Left off on purpose: a cookie cache keeps revoked sessions alive (and /token minting) until it expires.
      cookieCache: { enabled: false },
    },
    account: { accountLinking: { enabled: true, trustedProviders: [] } },
    socialProviders,
    databaseHooks: {
      user: {
        create: {
          // Every new account, by whatever path (ASVS 16.3.1); guests are not accounts of a person.
          async after(user, ctx) {
            if ((user as { isAnonymous?: boolean | null }).isAnonymous) return;
            deps.unfinished.userCreated(user.id);
            const path = ctx?.path ?? "";
            const provider = (ctx?.params as { id?: unknown } | undefined)?.id;
            const method = path === "/sign-up/email" ? "password" : path.startsWith("/callback/") && typeof provider === "string" ? provider : "other";
            await audit.record({ type: "sign_up", userId: user.id, detail: { method } });
          },
        },
        update: {
          async after(user, ctx) {
            deps.userChanged(user.id);
            await noticeEmailChange(deps, user, ctx);
          },
        },
      },
      session: {
        delete: {
          async after(session) {
            deps.userChanged(session.userId);
          },
        },
      },
    },
    plugins: [
      passwordPolicyPlugin({ minLength: env.PASSWORD_MIN_LENGTH }),
      sessionCapPlugin({ absoluteSeconds: env.SESSION_ABSOLUTE_DAYS * 86_400 }),
      admin({ defaultRole: "user", adminRoles: ["admin"] }),
      jwt({
        jwks: {
          keyPairConfig: { alg: "EdDSA", crv: "Ed25519" },
          rotationInterval: env.JWKS_ROTATION_DAYS * 86_400,
          // Old public keys stay published long enough for every token they signed to expire.
          gracePeriod: JWKS_GRACE_SECONDS,
        },
        jwt: {
          issuer: config.baseURL,
          audience: config.baseURL,
          expirationTime: `${env.ACCESS_TOKEN_TTL_SECONDS}s`,
          definePayload: ({ user }) => accessTokenClaims(user as { id: string; role?: string | null; emailVerified: boolean }),
        },
        // Better Auth would otherwise sign a JWT on every /get-session call.
        disableSettingJwtHeader: true,
      }),
      anonymous({
        emailDomainName: "anonymous.invalid",
        // We delete the anonymous user ourselves, inside the transaction that moves its data.
        disableDeleteAnonymousUser: true,
        async onLinkAccount({ anonymousUser, newUser }) {
          // Never throws out: Better Auth has already written the new session (decision 007).
          try {
            await deps.anonymous.link(anonymousUser.user.id, newUser.user.id);
          } catch (err) {
            logger.error({ err: err instanceof Error ? err.message : String(err) }, "anonymous link failed; the retry job will finish it");
          }
        },
      }),
      eventsPlugin(deps),
      deps.unfinished.plugin,
    ],
  } satisfies BetterAuthOptions;

  const auth = betterAuth(options);
  // FAST_PATHS=off: Better Auth's own handler, its router rebuilt on every request.
  const handler = config.fastPaths ? cachedAuthHandler(auth) : auth.handler;
  return Object.assign(auth, { handler, fetch: handler });
}

export type Auth = ReturnType<typeof createAuth>;

/**
 * A mail into the outbox. Better Auth swallows errors thrown by its mail callbacks and answers
 * 2xx anyway; a mail that could not be written must not be promised: the route answers 503
 * instead (plugins/unfinished-work.ts).
 */
async function queueMail(deps: AuthDeps, msg: EmailMessage): Promise<void> {
  try {
    await deps.mailer.enqueue(msg);
  } catch (err) {
    // A database error may quote the row it refused: no link or address reaches the log.
    deps.logger.error({ err: scrubErrorMessage(err instanceof Error ? err.message : String(err)), tag: msg.tag }, "mail could not be written to the outbox");
    deps.unfinished.mailNotQueued();
    throw err;
  }
}

/** "Your password was changed" (ASVS 6.3.7), with a way back if it was not the reader. */
async function notifyPasswordChanged(deps: AuthDeps, user: { email: string; name: string }) {
  await queueMail(deps, 
    passwordChangedMessage({
      to: user.email,
      name: user.name,
      when: new Date(),
      ip: currentRequest()?.ip ?? null,
      resetUrl: `${deps.config.baseURL}/forgot-password`,
    }),
  );
}

/**
 * A confirmed email change (Better Auth's /verify-email with `updateTo`) is a security event:
 * audit it and tell the previous address (ASVS 6.3.7).
 */
async function noticeEmailChange(
  deps: AuthDeps,
  user: { id: string; email: string; name: string },
  ctx: { path?: string; query?: Record<string, unknown> } | null | undefined,
) {
  if (ctx?.path !== "/verify-email" || typeof ctx.query?.token !== "string") return;
  const claims = verificationLinkClaims(ctx.query.token);
  const previous = claims?.email;
  if (!claims?.updateTo || !previous || user.email !== claims.updateTo || previous === user.email) return;
  await deps.audit.record({ type: "email_changed", userId: user.id });
  await queueMail(deps, emailChangedNoticeMessage({ to: previous, name: user.name, newEmail: user.email }));
}

/** Accounts verified during a /verify-email request, whose anonymous readers move at its end. */
const verifiedInRequest = new WeakMap<Request, string>();

/**
 * Security events and side effects that hang off Better Auth's own routes:
 * audit lines, refresh-token revocation on sign-out everywhere, password-changed notices.
 */
function eventsPlugin(deps: AuthDeps): BetterAuthPlugin {
  const { audit, mailer, config } = deps;
  const ok = (ctx: { context: { returned?: unknown } }) =>
    !(ctx.context.returned instanceof APIError) && !(ctx.context.returned instanceof Error);
  return {
    id: "aibook-events",
    hooks: {
      before: [
        {
          matcher: (ctx: { path?: string }) => ctx.path === "/sign-out",
          handler: createAuthMiddleware(async (ctx) => {
            const session = await getSessionFromCtx(ctx).catch(() => null);
            if (session) {
              await audit.record({ type: "sign_out", userId: session.user.id });
              deps.userChanged(session.user.id);
            }
          }),
        },
      ],
      after: [
        {
          // Runs after the anonymous plugin's own hook (which links the anonymous session of this
          // browser, if any): the waiting anonymous readers of the verified account move now.
          matcher: (ctx: { path?: string }) => ctx.path === "/verify-email",
          handler: createAuthMiddleware(async (ctx) => {
            const userId = ctx.request ? verifiedInRequest.get(ctx.request) : undefined;
            if (!userId) return;
            verifiedInRequest.delete(ctx.request!);
            try {
              await deps.anonymous.onVerified(userId);
            } catch (err) {
              deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, "anonymous merge after verification failed; the retry job will finish it");
            }
          }),
        },
        {
          // An anonymous reader signs up: their chats join the account once its email is verified,
          // whichever browser or device opens the link.
          matcher: (ctx: { path?: string }) => ctx.path === "/sign-up/email",
          handler: createAuthMiddleware(async (ctx) => {
            if (!ok(ctx)) return;
            const session = await getSessionFromCtx(ctx, { disableRefresh: true }).catch(() => null);
            if (!session?.user || !(session.user as { isAnonymous?: boolean }).isAnonymous) return;
            const returned = ctx.context.returned as { user?: { id?: string } } | undefined;
            const created = returned?.user?.id ? await ctx.context.internalAdapter.findUserById(returned.user.id) : null;
            // The duplicate-email answer carries a made-up user: only a real new account is claimed.
            if (created) await deps.anonymous.rememberSignUp(session.user.id, created.id);
          }),
        },
        {
          // Staff actions on another account: end its refresh tokens (and, for a password set by
          // an admin, its sessions), drop cached state, and audit (ASVS 7.4.2, 8.3.2).
          matcher: (ctx: { path?: string }) => ["/admin/set-user-password", "/admin/ban-user", "/admin/set-role"].includes(ctx.path ?? ""),
          handler: createAuthMiddleware(async (ctx) => {
            if (!ok(ctx)) return;
            const body = (ctx.body ?? {}) as { userId?: unknown; role?: unknown };
            if (typeof body.userId !== "string") return;
            const actor = ctx.context.session?.user.id ?? null;
            deps.userChanged(body.userId);
            if (ctx.path === "/admin/set-role") {
              await audit.record({ type: "role_changed", userId: body.userId, detail: { to: body.role, by: actor } });
              return;
            }
            await deps.revokeRefreshTokens(body.userId, ctx.path === "/admin/ban-user" ? "banned" : "password_set_by_admin");
            await deps.cutAccessTokens(body.userId);
            if (ctx.path === "/admin/set-user-password") {
              await ctx.context.internalAdapter.deleteUserSessions(body.userId);
              await audit.record({ type: "password_changed", userId: body.userId, detail: { by: actor } });
            }
          }),
        },
        {
          matcher: (ctx: { path?: string }) =>
            ["/change-password", "/revoke-sessions", "/revoke-other-sessions", "/revoke-session"].includes(ctx.path ?? ""),
          handler: createAuthMiddleware(async (ctx) => {
            if (!ok(ctx)) return;
            const session = ctx.context.session ?? (await getSessionFromCtx(ctx).catch(() => null));
            const user = session?.user;
            if (!user) return;
            deps.userChanged(user.id);
            if (ctx.path === "/change-password") {
              const body = (ctx.body ?? {}) as { revokeOtherSessions?: boolean };
              await audit.record({ type: "password_changed", userId: user.id, detail: { revokeOtherSessions: !!body.revokeOtherSessions } });
              if (body.revokeOtherSessions) await deps.revokeRefreshTokens(user.id, "password_changed");
              // Access tokens die with the old password either way; token clients refresh.
              await deps.cutAccessTokens(user.id);
              await notifyPasswordChanged(deps, user);
            } else if (ctx.path === "/revoke-session") {
              await audit.record({ type: "session_revoked", userId: user.id });
            } else {
              // Sign out everywhere ends the token families too (ASVS 7.4.1).
              await deps.revokeRefreshTokens(user.id, "sign_out_everywhere");
              await deps.cutAccessTokens(user.id);
              await audit.record({ type: "sessions_revoked", userId: user.id, detail: { others: ctx.path === "/revoke-other-sessions" } });
            }
          }),
        },
      ],
    },
  };
}
