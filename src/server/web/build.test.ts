import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { buildReason, ensureWebBuild } from "./build.ts";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function project(): { root: string; dist: string; touch(file: string, secondsAgo: number): void } {
  const root = mkdtempSync(path.join(tmpdir(), "aibook-webbuild-"));
  dirs.push(root);
  const touch = (file: string, secondsAgo: number) => {
    const p = path.join(root, file);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, "x");
    const t = new Date(Date.now() - secondsAgo * 1000);
    utimesSync(p, t, t);
  };
  return { root, dist: path.join(root, "dist/web"), touch };
}

describe("buildReason", () => {
  it("asks for a build when there is none, in development and in production", () => {
    const p = project();
    p.touch("src/web/main.tsx", 100);
    expect(buildReason(p.root, p.dist, false)).toBe("no build yet");
    expect(buildReason(p.root, p.dist, true)).toBe("no build yet");
  });

  it("rebuilds in development when a source is newer than the stamp, not in production", () => {
    const p = project();
    p.touch("dist/web/index.html", 60);
    p.touch("dist/web/.build-stamp", 50);
    p.touch("src/web/app/page.tsx", 100);
    p.touch("vite.config.ts", 100);
    expect(buildReason(p.root, p.dist, false)).toBeUndefined();
    p.touch("src/shared/schema.ts", 10);
    expect(buildReason(p.root, p.dist, false)).toBe("sources changed since the last build");
    expect(buildReason(p.root, p.dist, true)).toBeUndefined();
  });

  it("uses index.html as the mark when `npm run build` left no stamp", () => {
    const p = project();
    p.touch("dist/web/index.html", 50);
    p.touch("src/web/main.tsx", 100);
    expect(buildReason(p.root, p.dist, false)).toBeUndefined();
    p.touch("src/web/main.tsx", 10);
    expect(buildReason(p.root, p.dist, false)).toBe("sources changed since the last build");
  });
});

describe("ensureWebBuild", () => {
  const logs = () => {
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: "info" }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    return { logger, lines };
  };

  it("does nothing with SKIP_WEB_BUILD", async () => {
    const p = project();
    const { logger, lines } = logs();
    await ensureWebBuild({ root: p.root, distDir: p.dist, logger, production: false, skip: true });
    expect(lines.map((l) => l.msg)).toEqual(["SKIP_WEB_BUILD=true: not building the web app"]);
  });

  it("warns and carries on without vite.config.ts", async () => {
    const p = project();
    const { logger, lines } = logs();
    await ensureWebBuild({ root: p.root, distDir: p.dist, logger, production: false });
    expect(lines).toMatchObject([{ level: 40, msg: expect.stringContaining("no vite.config.ts") }]);
  });
});
