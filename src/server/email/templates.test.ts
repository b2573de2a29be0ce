import { describe, expect, it } from "vitest";
import {
  changeEmailMessage,
  deleteAccountMessage,
  emailChangedNoticeMessage,
  escapeHtml,
  formatDuration,
  passwordChangedMessage,
  resetPasswordMessage,
  verifyEmailMessage,
} from "./templates.ts";

const url = "https://book.example/verify?token=abc&next=%2F";

describe("templates", () => {
  it("escapes HTML special characters", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });

  it("formats durations", () => {
    expect(formatDuration(1)).toBe("1 minute");
    expect(formatDuration(15)).toBe("15 minutes");
    expect(formatDuration(60)).toBe("1 hour");
    expect(formatDuration(120)).toBe("2 hours");
    expect(formatDuration(1440)).toBe("1 day");
  });

  it("verify email: subject, tag, link in text and (escaped) in html, expiry", () => {
    const m = verifyEmailMessage({ to: "a@b.c", name: "Ann", url, expiresInMinutes: 1440 });
    expect(m.tag).toBe("verify-email");
    expect(m.to).toBe("a@b.c");
    expect(m.subject).toBe("Verify your email address for AI Book");
    expect(m.text).toContain("Hi Ann,");
    expect(m.text).toContain(`\n${url}\n`);
    expect(m.text).toContain("1 day");
    expect(m.html).toContain(`href="${url.replace("&", "&amp;")}"`);
    expect(m.html).toContain(`>${url.replace("&", "&amp;")}</a>`);
    expect(m.html).not.toMatch(/<img|<table|<link|@import|url\(/i);
  });

  it("a custom app name cannot inject headers", () => {
    const m = verifyEmailMessage({ to: "a@b.c", name: "Ann", url, expiresInMinutes: 60, appName: "Evil\r\nBcc: x@y.z" });
    expect(m.subject).not.toMatch(/[\r\n]/);
  });

  it("escapes user values and strips CR/LF", () => {
    const m = changeEmailMessage({ to: "a@b.c", name: `"Ann" <i>`, newEmail: "x\r\n<y>@z.w", url });
    expect(m.html).toContain("&quot;Ann&quot; &lt;i&gt;");
    expect(m.html).toContain("x &lt;y&gt;@z.w");
    expect(m.text).toContain("x <y>@z.w");
    expect(m.subject).not.toMatch(/[\r\n]/);
    expect(m.tag).toBe("change-email");
  });

  it("does not echo names that look like links (spam via sign-up)", () => {
    for (const name of ["Visit evil.example now", "http://x", "www.spam", "me@evil.example"]) {
      const m = verifyEmailMessage({ to: "a@b.c", name, url, expiresInMinutes: 60 });
      expect(m.text.startsWith("Hi,\n")).toBe(true);
      expect(m.html).not.toContain(name);
    }
    expect(verifyEmailMessage({ to: "a@b.c", name: "J.R.R. Tolkien", url, expiresInMinutes: 60 }).text).toContain("Hi J.R.R. Tolkien,");
  });

  it("rejects non-http links", () => {
    expect(() => resetPasswordMessage({ to: "a@b.c", name: "A", url: "javascript:alert(1)", expiresInMinutes: 5 })).toThrow();
    expect(() => deleteAccountMessage({ to: "a@b.c", name: "A", url: "not a url", expiresInMinutes: 5 })).toThrow();
  });

  it("password changed: time, ip and reset link", () => {
    const m = passwordChangedMessage({ to: "a@b.c", name: "A", when: new Date("2025-03-04T05:06:07Z"), ip: "198.51.100.7", resetUrl: "https://book.example/forgot-password" });
    expect(m.tag).toBe("password-changed");
    expect(m.text).toContain("2025-03-04 at 05:06 UTC");
    expect(m.text).toContain("198.51.100.7");
    expect(m.text).toContain("If this wasn't you");
    expect(m.text).toContain("https://book.example/forgot-password");
    const noIp = passwordChangedMessage({ to: "a@b.c", name: "A", when: new Date(), ip: null, resetUrl: "https://book.example/f" });
    expect(noIp.text).not.toContain("IP address");
  });

  it("email changed notice and delete account", () => {
    const n = emailChangedNoticeMessage({ to: "old@b.c", name: "A", newEmail: "new@b.c" });
    expect(n.tag).toBe("email-changed");
    expect(n.text).toContain("new@b.c");
    const d = deleteAccountMessage({ to: "a@b.c", name: "A", url, expiresInMinutes: 60 });
    expect(d.tag).toBe("delete-account");
    expect(d.text).toContain("1 hour");
    expect(d.text).toContain(url);
  });
});
