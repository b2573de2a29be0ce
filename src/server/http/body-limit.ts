import type { Context, MiddlewareHandler } from "hono";
import { errorBody } from "./errors.ts";

export interface BodyLimitOptions {
  /** Bodies larger than this are refused with 413. */
  maxBytes: number;
  /** Of a refused body, at most this much is read and thrown away so that the answer reaches the client. */
  drainBytes?: number;
  /** ...and for at most this long (a client that sends slowly does not hold the connection). */
  drainMs?: number;
}

const DEFAULT_DRAIN_BYTES = 8 * 1024 * 1024;
const DEFAULT_DRAIN_MS = 10_000;

/**
 * The request body limit, answered so that the client can read the answer.
 *
 * Hono's `bodyLimit` answers 413 without reading the rest of the body. The client is then still
 * sending when the server closes the connection, and the unread bytes make the kernel reset it:
 * Node's `fetch` saw "socket closed" instead of the 413 every other time, and the next request
 * from its pool could fail too. Here the rest of a refused body is read and thrown away (up to
 * `drainBytes`, for at most `drainMs`) before the answer, which keeps the connection clean for
 * the next request. A body too large to drain is answered at once with `Connection: close`.
 *
 * A body with a Content-Length is judged by it (Node's parser holds the body to that length);
 * a chunked body is counted as it streams and handed on, buffered, when it fits.
 */
export function bodyLimit(options: BodyLimitOptions): MiddlewareHandler {
  const { maxBytes } = options;
  const drainBytes = options.drainBytes ?? DEFAULT_DRAIN_BYTES;
  const drainMs = options.drainMs ?? DEFAULT_DRAIN_MS;

  const refuse = (c: Context, drained: boolean) =>
    c.json(errorBody("PAYLOAD_TOO_LARGE", `The request body is larger than ${Math.round(maxBytes / 1024)} KB.`), 413, drained ? {} : { Connection: "close" });

  return async function limitBody(c, next) {
    const length = c.req.header("content-length");
    const chunked = c.req.header("transfer-encoding") !== undefined;
    if (!chunked && length !== undefined && /^\d+$/.test(length)) {
      const declared = Number(length);
      if (declared <= maxBytes) return next();
      if (declared > drainBytes) return refuse(c, false);
      const reader = c.req.raw.body?.getReader();
      return refuse(c, reader ? await discard(reader, drainBytes, drainMs) : true);
    }
    const reader = c.req.raw.body?.getReader();
    if (!reader) return next();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) return refuse(c, await discard(reader, drainBytes - size, drainMs));
      chunks.push(value);
    }
    c.req.raw = new Request(c.req.raw, { body: Buffer.concat(chunks, size) });
    return next();
  };
}

/** Read and drop the rest of a body; true when it ended within the budget. */
async function discard(reader: ReadableStreamDefaultReader<Uint8Array>, budgetBytes: number, budgetMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), budgetMs);
  });
  const drain = (async () => {
    let left = budgetBytes;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return true;
      left -= value.byteLength;
      if (left < 0) return false;
    }
  })().catch(() => false);
  try {
    return await Promise.race([drain, timeout]);
  } finally {
    clearTimeout(timer);
    try {
      reader.releaseLock(); // a read still pending (the time ran out) is rejected, not thrown here
    } catch {
      // nothing to release
    }
  }
}
