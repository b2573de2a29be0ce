import { z } from "zod";

/** GET /health (the process answers) and GET /ready (the database does too). */
export const healthSchema = z.strictObject({ status: z.literal("ok") }).meta({ id: "Health" });

export const readySchema = z.strictObject({ status: z.literal("ready"), database: z.enum(["sqlite", "postgres"]) }).meta({ id: "Ready" });

export const notReadySchema = z
  .strictObject({ code: z.literal("NOT_READY"), message: z.string(), status: z.literal("not_ready") })
  .meta({ id: "NotReady" });

/** GET /api/v1/openapi.json: this API's OpenAPI 3.1 description. */
export const openApiDocumentSchema = z
  .looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) })
  .meta({ id: "OpenApiDocument" });
