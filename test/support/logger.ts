/** A pino logger that keeps its JSON lines in memory, to assert what was (and was not) logged. */
import { pino, type Logger } from "pino";

export interface MemoryLogger {
  logger: Logger;
  lines: string[];
  entries(): Array<Record<string, unknown> & { level: number; msg?: string }>;
  raw(): string;
}

export function memoryLogger(): MemoryLogger {
  const lines: string[] = [];
  const logger = pino({ level: "debug" }, { write: (s: string) => void lines.push(s) });
  return {
    logger,
    lines,
    entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown> & { level: number; msg?: string }),
    raw: () => lines.join(""),
  };
}
