import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../db/index.ts";
import { migrateToLatest } from "../db/migrator.ts";
import { isFresh } from "../auth/caller.ts";
import { preferencesReader } from "./preferences.ts";

describe("cache freshness when the clock moves", () => {
  it("isFresh: fresh for ttl after `at`, never before it", () => {
    expect(isFresh(1_000, 1_000, 2_000)).toBe(true);
    expect(isFresh(1_000, 2_999, 2_000)).toBe(true);
    expect(isFresh(1_000, 3_000, 2_000)).toBe(false);
    // Regression: a clock set back made every cached entry look fresh until it caught up.
    expect(isFresh(1_000, 999, 2_000)).toBe(false);
    expect(isFresh(10_000_000, 1_000, 2_000)).toBe(false);
  });

  let db: Db | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it("preferences are read again after the clock is set back, not served stale for hours", async () => {
    db = openDatabase({ kind: "sqlite", file: ":memory:" });
    await migrateToLatest(db);
    const now = Date.UTC(2026, 10, 24, 12);
    await db.kysely
      .insertInto("user")
      .values({ id: "u1", name: "Reader", email: "r@example.com", emailVerified: 1, createdAt: new Date(now).toISOString(), updatedAt: new Date(now).toISOString() } as never)
      .execute();
    let clock = now;
    const reader = preferencesReader(db, { now: () => clock });
    expect((await reader.readNow("u1")).theme).toBe("system");

    await db.kysely.insertInto("user_preferences").values({ user_id: "u1", theme: "dark", language: "en", notify_product: 0, updated_at: now } as never).execute();
    clock = now + 1_000; // within the 2 s cache: the cached value, as designed
    expect((await reader.readNow("u1")).theme).toBe("system");
    clock = now - 3_600_000; // the clock is set back an hour
    expect((await reader.readNow("u1")).theme).toBe("dark");
  });
});
