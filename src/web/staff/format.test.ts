import { describe, expect, it } from "vitest";
import type { AuditEvent } from "../../shared/api/staff.ts";
import { eventFacts, roleName, shortId, staffEventName } from "./format.ts";

const event = (type: string, detail: Record<string, unknown> | null, actorId: string | null = null): AuditEvent => ({
  id: "e1",
  type,
  userId: "reader-1",
  actorId,
  ip: null,
  userAgent: null,
  detail,
  createdAt: "2026-12-06T10:00:00.000Z",
});

describe("the console's words for audit events", () => {
  it("reads who acted, why and what changed from the detail staff routes record (plugins/staff.ts)", () => {
    expect(eventFacts(event("role_changed", { by: "admin-1", byRole: "admin", reason: "helps out", to: "moderator" }, "admin-1"))).toEqual({
      actorId: "admin-1",
      actorRole: "admin",
      byConfig: false,
      reason: "helps out",
      change: "now Moderator",
    });
    expect(eventFacts(event("user_banned", { by: "mod-1", byRole: "moderator", reason: "spam", expiresAt: null }, "mod-1")).change).toBe("until lifted");
    expect(eventFacts(event("user_banned", { by: "mod-1", reason: "spam", expiresAt: "2026-12-13T10:00:00.000Z" })).change).toMatch(/^until .*2026/);
  });

  it("names the ADMIN_EMAILS promotion as the setting, not as an account", () => {
    const facts = eventFacts(event("role_changed", { from: "user", to: "admin", by: "ADMIN_EMAILS" }, "ADMIN_EMAILS"));
    expect(facts).toMatchObject({ actorId: null, byConfig: true, reason: null, change: "now Admin" });
  });

  it("speaks about the account, not to its holder, and shortens ids", () => {
    expect(staffEventName("sign_up_existing")).toBe("Someone tried to sign up with this address");
    expect(staffEventName("user_banned")).toBe("Account suspended");
    expect(roleName("moderator")).toBe("Moderator");
    expect(roleName(null)).toBe("Reader");
    expect(shortId("0123456789abcdef")).toBe("01234567…");
    expect(shortId("short")).toBe("short");
  });
});
