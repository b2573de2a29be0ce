import type { Migration } from "kysely";
import * as m0001 from "./0001_auth.ts";
import * as m0002 from "./0002_app.ts";
import * as m0003 from "./0003_chat.ts";
import * as m0004 from "./0004_message_stream_owner.ts";
import * as m0005 from "./0005_access_token_cutoff.ts";
import * as m0006 from "./0006_mail_outbox.ts";
import * as m0007 from "./0007_scale_indexes.ts";
import * as m0008 from "./0008_two_factor.ts";
import * as m0009 from "./0009_session_factor.ts";
import * as m0010 from "./0010_audit_actor.ts";
import * as m0011 from "./0011_trusted_device.ts";
import * as m0012 from "./0012_reader_place.ts";

/** Every migration, in order. One set for SQLite and PostgreSQL. */
export const migrations: Record<string, Migration> = {
  "0001_auth": m0001,
  "0002_app": m0002,
  "0003_chat": m0003,
  "0004_message_stream_owner": m0004,
  "0005_access_token_cutoff": m0005,
  "0006_mail_outbox": m0006,
  "0007_scale_indexes": m0007,
  "0008_two_factor": m0008,
  "0009_session_factor": m0009,
  "0010_audit_actor": m0010,
  "0011_trusted_device": m0011,
  "0012_reader_place": m0012,
};
