import type { Caller } from "../auth/caller.ts";

/**
 * What a sub-app's handlers may read with `c.get()`, declared per sub-app (`new Hono<CallerEnv>()`)
 * instead of for the whole program: only the routes behind `requireCaller()` see a `caller`.
 */
export type CallerEnv = { Variables: { caller: Caller } };
