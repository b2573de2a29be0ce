/**
 * Auth email templates: plain text + simple, accessible HTML (no tables, no external
 * images or fonts, inline styles only). Every user-supplied value is HTML-escaped, and
 * anything that ends up in a subject has CR/LF stripped.
 */
import { sanitizeHeaderValue, type EmailMessage, type EmailTag } from "./send-email.ts";

export const APP_NAME = "AI Book";

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(value: string): string {
  return String(value ?? "").replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** Single line: control characters (CR/LF included) become spaces, whitespace collapsed. */
function oneLine(value: string | null | undefined, maxLength = 200): string {
  const s = sanitizeHeaderValue(String(value ?? "")).replace(/\s+/g, " ");
  const chars = [...s];
  return chars.length > maxLength ? `${chars.slice(0, maxLength - 1).join("")}…` : s;
}

// Names that look like links or domains are not echoed: otherwise anyone could sign up
// with someone else's address and a name such as "Win a prize at evil.example" and have
// us deliver their text (mail clients auto-link domains, even in plain text).
const LINKISH_RE = /[a-z][a-z0-9+.-]*:\/\/|www\.|@|[\p{L}\p{N}-]+\.(?:[a-z]{2,}|xn--)/iu;

/** The greeting name, or null when it is empty or looks like a link. */
function greetingName(name: string): string | null {
  const n = oneLine(name, 64);
  if (!n || LINKISH_RE.test(n)) return null;
  return n;
}

function appNameOf(appName: string | undefined): string {
  return oneLine(appName, 64) || APP_NAME;
}

/** Links in emails must be absolute http(s) URLs; returns the normalized URL. */
function httpUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error("email template: link is not a valid URL");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new Error("email template: link must be an http(s) URL");
  }
  return parsed.href;
}

export function formatDuration(minutes: number): string {
  const m = Math.max(1, Math.round(Number.isFinite(minutes) ? minutes : 0));
  const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? "" : "s"}`;
  if (m % 1440 === 0) return plural(m / 1440, "day");
  if (m % 60 === 0) return plural(m / 60, "hour");
  return plural(m, "minute");
}

function formatWhen(when: Date): string {
  const t = when instanceof Date ? when.getTime() : Number.NaN;
  if (!Number.isFinite(t)) return "recently";
  const iso = new Date(t).toISOString(); // 2025-01-31T12:34:56.789Z
  return `${iso.slice(0, 10)} at ${iso.slice(11, 16)} UTC`;
}

/* ------------------------------------------------------------------ layout */

/** A paragraph: plain-text and HTML renderings of the same content. */
interface Para {
  text: string;
  html: string;
}

/** Build a paragraph from literal strings and user values; values are escaped in the HTML. */
function para(strings: TemplateStringsArray, ...values: string[]): Para {
  let text = strings[0] ?? "";
  let html = escapeHtml(strings[0] ?? "");
  values.forEach((v, i) => {
    const rest = strings[i + 1] ?? "";
    text += v + rest;
    html += escapeHtml(v) + escapeHtml(rest);
  });
  return { text, html };
}

function plain(s: string): Para {
  return { text: s, html: escapeHtml(s) };
}

interface Layout {
  appName: string;
  subject: string;
  heading: string;
  greeting: string | null;
  before: Para[];
  action?: { label: string; url: string };
  after: Para[];
}

const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const P_STYLE = "margin:0 0 16px 0;";
const SMALL_STYLE = "margin:0 0 12px 0;font-size:14px;color:#52525b;";

function renderText(l: Layout): string {
  const parts: string[] = [l.greeting ? `Hi ${l.greeting},` : "Hi,"];
  for (const p of l.before) parts.push(p.text);
  if (l.action) parts.push(`${l.action.label}:\n${l.action.url}`);
  for (const p of l.after) parts.push(p.text);
  parts.push(`— ${l.appName}`);
  return `${parts.join("\n\n")}\n`;
}

function renderHtml(l: Layout): string {
  const greeting = l.greeting ? `Hi ${escapeHtml(l.greeting)},` : "Hi,";
  const before = l.before.map((p) => `<p style="${P_STYLE}">${p.html}</p>`).join("\n");
  const after = l.after.map((p) => `<p style="${SMALL_STYLE}">${p.html}</p>`).join("\n");
  let action = "";
  if (l.action) {
    const href = escapeHtml(l.action.url);
    action = [
      `<p style="margin:24px 0;"><a href="${href}" style="display:inline-block;padding:12px 24px;background-color:#1d4ed8;color:#ffffff;font-weight:600;text-decoration:none;border-radius:6px;">${escapeHtml(l.action.label)}</a></p>`,
      `<p style="${SMALL_STYLE}">If the button doesn't work, copy and paste this link into your browser:<br><a href="${href}" style="color:#1d4ed8;word-break:break-all;">${href}</a></p>`,
    ].join("\n");
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${escapeHtml(l.subject)}</title>
</head>
<body style="margin:0;padding:0;background-color:#f4f4f5;">
<div role="article" aria-label="${escapeHtml(l.subject)}" lang="en" style="max-width:560px;margin:0 auto;padding:32px 16px;font-family:${FONT};font-size:16px;line-height:1.5;color:#18181b;">
<div style="background-color:#ffffff;border-radius:8px;padding:32px 24px;">
<p style="margin:0 0 24px 0;font-size:14px;font-weight:600;color:#52525b;">${escapeHtml(l.appName)}</p>
<h1 style="margin:0 0 16px 0;font-size:22px;line-height:1.3;color:#18181b;">${escapeHtml(l.heading)}</h1>
<p style="${P_STYLE}">${greeting}</p>
${before}
${action}
${after}
</div>
<p style="margin:16px 0 0 0;font-size:12px;color:#71717a;text-align:center;">This is an automated message from ${escapeHtml(l.appName)}. Please don't reply.</p>
</div>
</body>
</html>
`;
}

function build(to: string, tag: EmailTag, l: Layout): EmailMessage {
  return { to, subject: sanitizeHeaderValue(l.subject), text: renderText(l), html: renderHtml(l), tag };
}

/* ---------------------------------------------------------------- messages */

/** A mail whose button is a link that expires (verification, reset, deletion). */
interface ExpiringLinkMail {
  to: string;
  name: string;
  url: string;
  expiresInMinutes: number;
  appName?: string;
}

const expiresIn = (p: ExpiringLinkMail) => plain(`This link expires in ${formatDuration(p.expiresInMinutes)}.`);

export function verifyEmailMessage(p: ExpiringLinkMail): EmailMessage {
  const app = appNameOf(p.appName);
  return build(p.to, "verify-email", {
    appName: app,
    subject: `Verify your email address for ${app}`,
    heading: "Verify your email address",
    greeting: greetingName(p.name),
    before: [plain(`Thanks for signing up for ${app}. Please confirm that this is your email address.`)],
    action: { label: "Verify email address", url: httpUrl(p.url) },
    after: [
      expiresIn(p),
      plain(`If you didn't sign up for ${app}, you can safely ignore this email.`),
    ],
  });
}

export function resetPasswordMessage(p: ExpiringLinkMail): EmailMessage {
  const app = appNameOf(p.appName);
  return build(p.to, "reset-password", {
    appName: app,
    subject: `Reset your ${app} password`,
    heading: "Reset your password",
    greeting: greetingName(p.name),
    before: [plain(`We received a request to reset the password for your ${app} account.`)],
    action: { label: "Choose a new password", url: httpUrl(p.url) },
    after: [
      expiresIn(p),
      plain("If you didn't ask to reset your password, you can ignore this email. Your password won't change."),
    ],
  });
}

export function passwordChangedMessage(p: {
  to: string;
  name: string;
  when: Date;
  ip?: string | null;
  resetUrl: string;
  appName?: string;
}): EmailMessage {
  const app = appNameOf(p.appName);
  const when = formatWhen(p.when);
  const ip = p.ip ? oneLine(p.ip, 64) : "";
  const changed = ip
    ? para`The password for your ${app} account was changed on ${when} from IP address ${ip}.`
    : para`The password for your ${app} account was changed on ${when}.`;
  return build(p.to, "password-changed", {
    appName: app,
    subject: `Your ${app} password was changed`,
    heading: "Your password was changed",
    greeting: greetingName(p.name),
    before: [
      changed,
      plain("If this was you, there's nothing else to do."),
      plain("If this wasn't you, someone else may know your password. Reset your password right away at the link below."),
    ],
    action: { label: "Reset your password", url: httpUrl(p.resetUrl) },
    after: [],
  });
}

export function changeEmailMessage(p: {
  to: string;
  name: string;
  newEmail: string;
  url: string;
  appName?: string;
}): EmailMessage {
  const app = appNameOf(p.appName);
  const newEmail = oneLine(p.newEmail, 254);
  return build(p.to, "change-email", {
    appName: app,
    subject: `Confirm the email change for your ${app} account`,
    heading: "Confirm your new email address",
    greeting: greetingName(p.name),
    before: [
      para`We received a request to change the email address of your ${app} account to ${newEmail}.`,
      plain("The change only takes effect after you approve it from this address."),
    ],
    action: { label: "Approve email change", url: httpUrl(p.url) },
    after: [
      plain("If you didn't request this, don't open the link. Your email address won't change, but consider changing your password."),
    ],
  });
}

export function emailChangedNoticeMessage(p: {
  to: string;
  name: string;
  newEmail: string;
  appName?: string;
}): EmailMessage {
  const app = appNameOf(p.appName);
  const newEmail = oneLine(p.newEmail, 254);
  return build(p.to, "email-changed", {
    appName: app,
    subject: `The email address of your ${app} account was changed`,
    heading: "Your email address was changed",
    greeting: greetingName(p.name),
    before: [
      para`The email address of your ${app} account was changed to ${newEmail}.`,
      plain("From now on, account emails will be sent to the new address."),
    ],
    after: [plain(`If you didn't make this change, contact the administrator of this ${app} site right away.`)],
  });
}

/**
 * Someone signed up with an address that has an account. The answer to the sign-up is the same
 * as for a new address (no enumeration); the owner hears of it here, with the ways back in.
 */
export function accountExistsMessage(p: { to: string; name: string; signInUrl: string; resetUrl: string; appName?: string }): EmailMessage {
  const app = appNameOf(p.appName);
  return build(p.to, "account-exists", {
    appName: app,
    subject: `Someone tried to create a ${app} account with your address`,
    heading: "You already have an account",
    greeting: greetingName(p.name),
    before: [
      para`Someone, probably you, just tried to create a new ${app} account with this email address. It already has an account, so nothing was created.`,
      plain("If it was you, sign in instead. Forgot your password? Reset it at the second link."),
    ],
    action: { label: "Sign in", url: httpUrl(p.signInUrl) },
    after: [para`Reset your password: ${httpUrl(p.resetUrl)}`, plain("If it wasn't you, you can ignore this email: your account is unchanged.")],
  });
}

export function deleteAccountMessage(p: ExpiringLinkMail): EmailMessage {
  const app = appNameOf(p.appName);
  return build(p.to, "delete-account", {
    appName: app,
    subject: `Confirm deleting your ${app} account`,
    heading: "Confirm account deletion",
    greeting: greetingName(p.name),
    before: [plain(`We received a request to permanently delete your ${app} account and its data. This can't be undone.`)],
    action: { label: "Delete my account", url: httpUrl(p.url) },
    after: [
      expiresIn(p),
      plain("If you didn't request this, ignore this email and your account will stay as it is. Consider changing your password."),
    ],
  });
}

export type SecondFactorChange = "added" | "removed" | "recovery-code-used";

/** A second factor was added or removed, or a recovery code used (ASVS 6.3.7): with a way back if it was not the reader. */
export function secondFactorNoticeMessage(p: {
  to: string;
  name: string;
  change: SecondFactorChange;
  when: Date;
  resetUrl: string;
  appName?: string;
}): EmailMessage {
  const app = appNameOf(p.appName);
  const when = formatWhen(p.when);
  const words = {
    added: { subject: `Two-step verification is on for your ${app} account`, heading: "Two-step verification is on", what: para`An authenticator app was added to your ${app} account on ${when}. Signing in now asks for its code.` },
    removed: { subject: `Two-step verification was turned off for your ${app} account`, heading: "Two-step verification is off", what: para`Two-step verification was turned off for your ${app} account on ${when}. Signing in now needs only the password.` },
    "recovery-code-used": { subject: `A recovery code was used to sign in to ${app}`, heading: "A recovery code was used", what: para`Someone signed in to your ${app} account with one of its recovery codes on ${when}. That code cannot be used again.` },
  }[p.change];
  return build(p.to, "second-factor", {
    appName: app,
    subject: words.subject,
    heading: words.heading,
    greeting: greetingName(p.name),
    before: [words.what, plain("If this was you, there's nothing else to do.")],
    action: { label: "Reset your password", url: httpUrl(p.resetUrl) },
    after: [plain("If this wasn't you, someone may know your password: reset it now, then check your account's security activity.")],
  });
}
