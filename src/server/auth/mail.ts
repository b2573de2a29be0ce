import { scrubErrorMessage, type EmailMessage } from "../email/send-email.ts";
import { emailChangedNoticeMessage, passwordChangedMessage } from "../email/templates.ts";
import { currentRequest } from "../http/request-context.ts";
import type { AuthDeps } from "./auth.ts";
import { verificationLinkClaims } from "./better-auth/verification.ts";

/**
 * The mails Better Auth's callbacks and our hooks send: written to the outbox (email/mail-outbox.ts)
 * before the answer leaves; the outbox's sender delivers them.
 */

/**
 * A mail into the outbox. Better Auth swallows errors thrown by its mail callbacks and answers
 * 2xx anyway; a mail that could not be written must not be promised: the route answers 503
 * instead (plugins/unfinished-work.ts).
 */
export async function queueMail(deps: AuthDeps, msg: EmailMessage): Promise<void> {
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
export async function notifyPasswordChanged(deps: AuthDeps, user: { email: string; name: string }) {
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
export async function noticeEmailChange(
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
