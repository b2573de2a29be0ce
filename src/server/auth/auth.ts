import { betterAuth, type BetterAuthOptions } from "better-auth";
import { admin, anonymous, jwt, twoFactor } from "better-auth/plugins";
import type { AnonymousMerger } from "../chat/anonymous-merge.ts";
import type { Logger } from "pino";
import type { AppConfig } from "../config/index.ts";
import type { Db } from "../db/index.ts";
import type { AuditLog } from "../audit/audit.ts";
import type { MailOutbox } from "../email/mail-outbox.ts";
import {
  accountExistsMessage,
  changeEmailMessage,
  deleteAccountMessage,
  resetPasswordMessage,
  verifyEmailMessage,
} from "../email/templates.ts";
import { hashPassword, verifyPassword } from "./password-hash.ts";
import { passwordPolicyPlugin } from "./plugins/password-policy.ts";
import type { UnfinishedWork } from "./plugins/unfinished-work.ts";
import type { UsedTokens } from "./used-tokens.ts";
import type { RecoveryCodes } from "./recovery-codes.ts";
import type { AccountThrottle } from "../rate-limit/account-throttle.ts";
import type { TrustedDevices } from "../account/trusted-devices.ts";
import { recordTrustedDeviceRows } from "./trusted-device-rows.ts";
import { sessionCapPlugin } from "./plugins/session-cap.ts";
import { cachedAuthHandler } from "./better-auth/router.ts";
import { noticeEmailChange, notifyPasswordChanged, queueMail } from "./mail.ts";
import { eventsPlugin, verifiedDuring } from "./plugins/events.ts";
import { staffPlugin } from "./plugins/staff.ts";
import { secondFactorPlugin } from "./plugins/second-factor.ts";
import { secondFactorChangesPlugin } from "./plugins/second-factor-changes.ts";
import { signInChallengePlugin } from "./plugins/sign-in-challenge.ts";
import { guestThroughChallengePlugin } from "./plugins/guest-through-challenge.ts";
import { freshSessionPlugin } from "./plugins/fresh-session.ts";
import { accessControl, roles } from "./roles.ts";
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
  /** Single-use links and codes (used-tokens.ts): a TOTP code is used once. */
  usedTokens: UsedTokens;
  /** Recovery codes stored as keyed hashes (recovery-codes.ts, ASVS 6.5.2). */
  recoveryCodes: RecoveryCodes;
  /** Per-account failures (rate-limit/account-throttle.ts): wrong codes count like wrong passwords. */
  throttle: AccountThrottle;
  /** Devices trusted to skip the second factor, listed and revocable (account/trusted-devices.ts). */
  trustedDevices: TrustedDevices;
}

const minutes = (seconds: number) => Math.round(seconds / 60);

export function createAuth(deps: AuthDeps) {
  const { config, db, audit, logger } = deps;
  const env = config.env;

  // TOTP with recovery codes; a password sign-in of an account with a factor answers
  // { twoFactorRedirect: true } and no session until the code (Better Auth's routes, unchanged).
  // Recovery codes are stored as keyed hashes, not Better Auth's encryption (recovery-codes.ts).
  const secondFactor = twoFactor({ issuer: "AI Book", trustDeviceMaxAge: 30 * 86_400, backupCodeOptions: { storeBackupCodes: deps.recoveryCodes.store } });

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
      // timing would tell which accounts exist, is answered before any of it (routes/password-reset.ts).
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
        // A reset signs out every device; none stays trusted to skip the code either.
        await deps.trustedDevices.forgetAll(user.id, "password_reset");
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
        if (request) verifiedDuring(request, user.id);
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
      // Each trusted device, as Better Auth's two-factor plugin writes and renews its row.
      verification: { create: { after: recordTrustedDeviceRows(deps) } },
    },
    plugins: [
      passwordPolicyPlugin({ minLength: env.PASSWORD_MIN_LENGTH }),
      sessionCapPlugin({ absoluteSeconds: env.SESSION_ABSOLUTE_DAYS * 86_400 }),
      // Which role may call which admin route (roles.ts); the rank rules around it (plugins/staff.ts).
      admin({ ac: accessControl, roles, defaultRole: "user", adminRoles: ["admin"] }),
      staffPlugin(deps),
      secondFactor,
      // The same challenge on the sign-in paths Better Auth's plugin leaves out (OAuth, verification links).
      signInChallengePlugin(config.baseURL, secondFactor),
      // After both challenges: a guest challenged on the way in is moved by the right code.
      guestThroughChallengePlugin(deps),
      secondFactorPlugin(deps),
      freshSessionPlugin(),
      // After the freshness check: an old session is asked to sign in again before any code.
      secondFactorChangesPlugin(deps),
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
