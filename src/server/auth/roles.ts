import { createAccessControl } from "better-auth/plugins/access";
import { defaultStatements } from "better-auth/plugins/admin/access";

/**
 * What each role may do through Better Auth's admin routes (its access control). The rank rule
 * Better Auth lacks (a moderator never acts on staff, nobody on themselves, the last admin
 * stays) is auth/plugins/staff.ts.
 *
 * | permission            | user | moderator | admin |
 * |-----------------------|------|-----------|-------|
 * | user: list, get       |      | yes       | yes   |
 * | user: ban (and unban) |      | yes       | yes   |
 * | session: list, revoke |      | yes       | yes   |
 * | user: set-role        |      |           | yes   |
 * | user: delete          |      |           | yes   |
 * | session: delete       |      |           | yes   |
 *
 * Nobody: create users, update another user's fields, set a password (ASVS 6.4.6), impersonate.
 */
export const accessControl = createAccessControl(defaultStatements);

export const roles = {
  user: accessControl.newRole({ user: [], session: [] }),
  moderator: accessControl.newRole({ user: ["list", "get", "ban"], session: ["list", "revoke"] }),
  admin: accessControl.newRole({ user: ["list", "get", "ban", "set-role", "delete"], session: ["list", "revoke", "delete"] }),
};
