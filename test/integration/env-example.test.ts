/**
 * `.env.example` documents exactly the settings the server reads: every key of the schema
 * appears (with a comment), nothing unknown does, and copying it to `.env` changes nothing.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseEnv as parseDotenv } from "node:util";
import { describe, expect, it } from "vitest";
import { envSchema, parseEnv } from "../../src/server/config/env.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
/** Names kept for a later feature; allowed in the example before the schema knows them. */
const RESERVED = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"];

const text = readFileSync(path.join(ROOT, ".env.example"), "utf8");
const lines = text.split("\n");
/** Uncommented `KEY=value` lines, in order. */
const assignments = lines
  .map((line, index) => ({ index, match: /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line) }))
  .filter((l) => l.match)
  .map((l) => ({ index: l.index, key: l.match![1]!, value: l.match![2]! }));
const exampleKeys = assignments.map((a) => a.key);
const schemaKeys = Object.keys(envSchema.shape);

describe(".env.example", () => {
  it("lists every variable of the schema", () => {
    const missing = schemaKeys.filter((k) => !exampleKeys.includes(k));
    expect(missing, `missing from .env.example: ${missing.join(", ")}`).toEqual([]);
  });

  it("lists nothing the schema does not know (except reserved names)", () => {
    const unknown = exampleKeys.filter((k) => !schemaKeys.includes(k) && !RESERVED.includes(k));
    expect(unknown, `unknown in .env.example: ${unknown.join(", ")}`).toEqual([]);
  });

  it("lists each variable once, and every variable sits under a comment", () => {
    expect(exampleKeys.filter((k, i) => exampleKeys.indexOf(k) !== i)).toEqual([]);
    for (const { index, key } of assignments) {
      // Walk up over neighbouring assignments (a pair may share one comment) to the comment block.
      let i = index - 1;
      while (i >= 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(lines[i]!)) i--;
      expect(lines[i] ?? "", `${key} has no comment above it`).toMatch(/^#\s*\S/);
    }
  });

  it("is valid as is, and copying it to .env changes no setting", () => {
    // Parsed as process.loadEnvFile parses a .env file.
    const values = parseDotenv(text);
    expect(Object.keys(values).sort()).toEqual([...exampleKeys].sort());
    const known = Object.fromEntries(Object.entries(values).filter(([k]) => schemaKeys.includes(k)));
    expect(parseEnv(known)).toEqual(parseEnv({}));
  });
});
