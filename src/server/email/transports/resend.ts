/**
 * Resend HTTP API transport: POST {base}/emails with a Bearer key.
 * 2xx -> { id }. 429, 408, 5xx, network errors and timeouts are retryable; other 4xx are permanent.
 * The API key never appears in results (and so never in logs).
 */
import type { EmailTransport, OutgoingEmail, SendResult } from "../send-email.ts";

export interface ResendTransportOptions {
  apiKey: string;
  /** Default 'https://api.resend.com' */
  baseUrl?: string;
  /** Default 10 000 ms */
  timeoutMs?: number;
}

export const RESEND_DEFAULT_BASE_URL = "https://api.resend.com";

interface ResendErrorBody {
  name?: unknown;
  message?: unknown;
  error?: unknown;
}

function isRetryableStatus(status: number, name: string | undefined): boolean {
  if (status === 429 || status === 408 || status >= 500) return true;
  // Same Idempotency-Key while the first request is still being processed.
  return status === 409 && name === "concurrent_idempotent_requests";
}

export function createResendTransport(options: ResendTransportOptions): EmailTransport {
  const apiKey = options.apiKey;
  const base = (options.baseUrl?.trim() || RESEND_DEFAULT_BASE_URL).replace(/\/+$/, "");
  if (!/^https?:\/\//i.test(base)) throw new Error("email: Resend base URL must be http(s)");
  const endpoint = `${base}/emails`;
  const timeoutMs = options.timeoutMs ?? 10_000;

  const hideKey = (s: string): string =>
    (apiKey ? s.split(apiKey).join("[redacted]") : s).replace(/\bre_[A-Za-z0-9_]{6,}/g, "[redacted]").slice(0, 500);

  return {
    name: "resend",
    async send(msg: OutgoingEmail): Promise<SendResult> {
      const headers: Record<string, string> = {
        Authorization: `Bearer ${apiKey}`,
        "Content-Type": "application/json",
        Accept: "application/json",
      };
      if (msg.idempotencyKey) headers["Idempotency-Key"] = msg.idempotencyKey;
      const body = {
        from: msg.from,
        to: [msg.to],
        subject: msg.subject,
        html: msg.html,
        text: msg.text,
        tags: [{ name: "category", value: msg.tag.replace(/[^A-Za-z0-9_-]/g, "_") }],
      };

      let status: number;
      let raw: string;
      try {
        const res = await fetch(endpoint, {
          method: "POST",
          headers,
          body: JSON.stringify(body),
          redirect: "error",
          signal: AbortSignal.timeout(timeoutMs),
        });
        status = res.status;
        raw = await res.text();
      } catch (err) {
        const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
        const detail =
          e.name === "TimeoutError"
            ? `timed out after ${timeoutMs} ms`
            : [e.message, e.cause?.code ?? e.cause?.message].filter(Boolean).join(": ");
        return { ok: false, error: hideKey(`Resend: request failed (${detail || "network error"})`) };
      }

      let data: unknown;
      try {
        data = raw ? JSON.parse(raw) : undefined;
      } catch {
        data = undefined;
      }

      if (status >= 200 && status < 300) {
        const id = (data as { id?: unknown } | undefined)?.id;
        return { ok: true, id: typeof id === "string" ? id : "" };
      }

      const errBody = (data && typeof data === "object" ? data : {}) as ResendErrorBody;
      const name = typeof errBody.name === "string" ? errBody.name : undefined;
      const message =
        typeof errBody.message === "string"
          ? errBody.message
          : typeof errBody.error === "string"
            ? errBody.error
            : undefined;
      const error = hideKey(`Resend: HTTP ${status}${name ? ` ${name}` : ""}${message ? `: ${message}` : ""}`);
      return { ok: false, error, permanent: !isRetryableStatus(status, name) };
    },
  };
}
