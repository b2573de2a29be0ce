import { describe, expect, it } from "vitest";
import { auditCsv } from "./audit.ts";

describe("audit log as CSV", () => {
  const event = { id: "e1", type: "user_banned", userId: "u1", actorId: "a1", ip: "203.0.113.9", userAgent: "Mozilla/5.0", detail: null, createdAt: "2026-12-06T05:00:00.000Z" };

  it("is RFC 4180: a header, CRLF lines, quoted cells with doubled quotes", () => {
    const csv = auditCsv([{ ...event, detail: { reason: 'Spam, "again"' } }]);
    const [header, line] = csv.split("\r\n");
    expect(header).toBe("time,type,user,actor,ip,user_agent,detail,id");
    expect(line).toBe('2026-12-06T05:00:00.000Z,user_banned,u1,a1,203.0.113.9,Mozilla/5.0,"{""reason"":""Spam, \\""again\\""""}",e1');
    expect(csv.endsWith("\r\n")).toBe(true);
  });

  it("never hands a spreadsheet a formula an attacker typed", () => {
    for (const evil of ["=HYPERLINK(\"http://evil\")", "+1+1", "-2", "@SUM(A1)", "\tcmd"]) {
      const line = auditCsv([{ ...event, userAgent: evil }]).split("\r\n")[1]!;
      const cells = line.match(/("([^"]|"")*"|[^,]*)/g)!.filter((c, i, all) => c !== "" || all[i - 1] === undefined);
      expect(cells.some((c) => c.replace(/^"/, "").startsWith("'")), `${evil} -> ${line}`).toBe(true);
      expect(line).not.toMatch(/,[=+\-@\t]/);
    }
  });
});
