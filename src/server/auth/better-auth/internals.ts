/**
 * The parts of Better Auth below its public API that our own paths reuse, so that they behave
 * exactly as Better Auth does (the sign-in fast path, the cached router). Nothing outside
 * `auth/better-auth/` imports Better Auth's internals: an upgrade re-reads this folder first.
 */
export { runWithAdapter } from "@better-auth/core/context";
export { BASE_ERROR_CODES } from "@better-auth/core/error";
export { generateId } from "@better-auth/core/utils/id";
export { getIP } from "@better-auth/core/utils/ip";
export { router } from "better-auth/api";
export { getAuthTables } from "better-auth/db";
