import type { ColumnType, Generated } from "kysely";

/** Better Auth's tables (camelCase columns, as Better Auth writes them). */
export interface UserTable {
  id: string;
  name: string;
  email: string;
  emailVerified: boolean | number;
  image: string | null;
  createdAt: ColumnType<Date | string, Date | string, Date | string>;
  updatedAt: ColumnType<Date | string, Date | string, Date | string>;
  role: string | null;
  banned: boolean | number | null;
  banReason: string | null;
  banExpires: ColumnType<Date | string | null, Date | string | null, Date | string | null>;
  isAnonymous: boolean | number | null;
  twoFactorEnabled: boolean | number | null;
}

/** Better Auth's two-factor plugin: a TOTP secret (encrypted) and recovery codes per user. */
export interface TwoFactorTable {
  id: string;
  secret: string;
  backupCodes: string;
  userId: string;
  verified: boolean | number | null;
  failedVerificationCount: number | null;
  lockedUntil: ColumnType<Date | string | null, Date | string | null, Date | string | null>;
}

export interface SessionTable {
  id: string;
  expiresAt: ColumnType<Date | string, Date | string, Date | string>;
  token: string;
  createdAt: ColumnType<Date | string, Date | string, Date | string>;
  updatedAt: ColumnType<Date | string, Date | string, Date | string>;
  ipAddress: string | null;
  userAgent: string | null;
  userId: string;
  impersonatedBy: string | null;
}

export interface AccountTable {
  id: string;
  accountId: string;
  providerId: string;
  userId: string;
  accessToken: string | null;
  refreshToken: string | null;
  idToken: string | null;
  accessTokenExpiresAt: Date | string | null;
  refreshTokenExpiresAt: Date | string | null;
  scope: string | null;
  password: string | null;
  createdAt: Date | string;
  updatedAt: Date | string;
}

export interface VerificationTable {
  id: string;
  identifier: string;
  value: string;
  expiresAt: Date | string;
  createdAt: Date | string;
  updatedAt: Date | string;
}

export interface JwksTable {
  id: string;
  publicKey: string;
  privateKey: string;
  createdAt: Date | string;
  expiresAt: Date | string | null;
  alg: string | null;
  crv: string | null;
}

/** Our tables: snake_case, times as epoch milliseconds (bigint) on both databases. */
export interface UserPreferencesTable {
  user_id: string;
  theme: string;
  language: string;
  notify_product: number;
  updated_at: number;
}

export interface SecurityEventTable {
  id: string;
  user_id: string | null;
  type: string;
  ip: string | null;
  user_agent: string | null;
  detail: string | null;
  created_at: number;
  /** The staff member who acted on `user_id` (staff actions only). */
  actor_id: string | null;
}

export interface RefreshTokenTable {
  id: string;
  family_id: string;
  user_id: string;
  token_hash: string;
  parent_id: string | null;
  rotated_at: number | null;
  revoked_at: number | null;
  revoked_reason: string | null;
  expires_at: number;
  created_at: number;
  ip: string | null;
  user_agent: string | null;
}

export interface RateLimitCounterTable {
  key: string;
  count: number;
  reset_at: number;
}

export interface AccessTokenCutoffTable {
  user_id: string;
  /** Access tokens issued before this time (epoch ms) are refused. */
  not_before: number;
}

export interface UsedTokenTable {
  token_hash: string;
  purpose: string;
  expires_at: number;
}

export interface ChatTable {
  id: string;
  owner_id: string;
  title: string;
  created_at: number;
  updated_at: number;
}

export interface MessageTable {
  id: string;
  chat_id: string;
  role: "user" | "assistant";
  content: string;
  /** JSON array of citations (assistant messages). */
  citations: string | null;
  /** complete | streaming | error | interrupted */
  status: string;
  error_code: string | null;
  created_at: number;
  /** While streaming: the process writing the answer (`host:port#boot-id`); see chat/answer-recovery.ts. */
  stream_owner: string | null;
}

export interface AnonymousMergeTable {
  anonymous_user_id: string;
  target_user_id: string;
  /** awaiting_verification | pending | done */
  status: string;
  attempts: number;
  last_error: string | null;
  created_at: number;
  done_at: number | null;
}

export type MailStatus = "pending" | "sending" | "sent" | "failed";

export interface MailOutboxTable {
  id: string;
  template: string;
  recipient_hash: string;
  /** JSON { to, subject, text, html } until delivered. */
  payload: string | null;
  status: MailStatus;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  last_error: string | null;
  provider_id: string | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
}

/** A session that passed a second factor (staff routes ask for one). */
export interface SessionFactorTable {
  session_id: string;
  verified_at: number;
}

/** A device trusted to skip the second factor (its Better Auth verification row: `identifier`). */
export interface TrustedDeviceTable {
  id: string;
  user_id: string;
  identifier: string;
  user_agent: string | null;
  ip: string | null;
  session_id: string | null;
  created_at: number;
  last_used_at: number;
  expires_at: number;
}

/** How far a reader got in a chapter (migration 0012). */
export interface ReadingProgressTable {
  user_id: string;
  chapter_slug: string;
  anchor: string | null;
  fraction: number;
  /** 0 or 1. */
  completed: number;
  updated_at: number;
}

/** A reader's bookmark on a section; `anchor` "" is the chapter's top (migration 0012). */
export interface BookmarkTable {
  id: string;
  user_id: string;
  chapter_slug: string;
  anchor: string;
  note: string | null;
  created_at: number;
  updated_at: number;
}

export interface Database {
  user: UserTable;
  twoFactor: TwoFactorTable;
  session_factor: SessionFactorTable;
  trusted_device: TrustedDeviceTable;
  session: SessionTable;
  account: AccountTable;
  verification: VerificationTable;
  jwks: JwksTable;
  user_preferences: UserPreferencesTable;
  security_event: SecurityEventTable;
  refresh_token: RefreshTokenTable;
  rate_limit_counter: RateLimitCounterTable;
  used_token: UsedTokenTable;
  access_token_cutoff: AccessTokenCutoffTable;
  chat: ChatTable;
  message: MessageTable;
  anonymous_merge: AnonymousMergeTable;
  mail_outbox: MailOutboxTable;
  reading_progress: ReadingProgressTable;
  bookmark: BookmarkTable;
}

export type { Generated };
