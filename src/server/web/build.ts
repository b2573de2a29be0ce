import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Logger } from "pino";

/**
 * `npm start` serves a current web app without a separate build step: before listening, build
 * it with Vite when there is no build yet, or (outside production) when a source file is newer
 * than the last build. In production an existing build is trusted as deployed.
 * SKIP_WEB_BUILD=true turns this off (`npm run dev`, where Vite serves the app itself).
 */
export interface WebBuildOptions {
  /** The repository root: where vite.config.ts, src/web and src/shared are. */
  root: string;
  /** Where the build goes and is served from (WEB_DIST_DIR). */
  distDir: string;
  logger: Logger;
  production: boolean;
  skip?: boolean;
}

const STAMP = ".build-stamp";
const SOURCES = ["src/web", "src/shared", "vite.config.ts"];

/** Latest modification time of any file under `p` (0 when nothing is there). */
function newestMtime(p: string): number {
  const info = statSync(p, { throwIfNoEntry: false });
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(p, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry.name)));
  }
  return newest;
}

/** Why a build is needed, or undefined when the one in `distDir` is current. */
export function buildReason(root: string, distDir: string, production: boolean): string | undefined {
  const index = path.join(distDir, "index.html");
  if (!existsSync(index)) return "no build yet";
  if (production) return undefined;
  // A plain `npm run build` writes no stamp; its index.html is as good a mark.
  const stamp = statSync(path.join(distDir, STAMP), { throwIfNoEntry: false }) ?? statSync(index);
  const newest = Math.max(...SOURCES.map((s) => newestMtime(path.join(root, s))));
  return newest > stamp.mtimeMs ? "sources changed since the last build" : undefined;
}

/** Build the web app if needed. Never throws: without a web app the API still serves. */
export async function ensureWebBuild(options: WebBuildOptions): Promise<void> {
  const { root, logger, production } = options;
  const distDir = path.resolve(root, options.distDir);
  if (options.skip) {
    logger.info("SKIP_WEB_BUILD=true: not building the web app");
    return;
  }
  const configFile = path.join(root, "vite.config.ts");
  if (!existsSync(configFile)) {
    logger.warn({ configFile }, "no vite.config.ts: the web app cannot be built, only the API is served");
    return;
  }
  const reason = buildReason(root, distDir, production);
  if (!reason) {
    logger.info({ distDir }, "web app build is current");
    return;
  }
  logger.info({ reason, distDir }, "building the web app with Vite…");
  const started = performance.now();
  try {
    const { build } = await import("vite");
    await build({ configFile, logLevel: "warn", build: { outDir: distDir, emptyOutDir: true } });
    writeFileSync(path.join(distDir, STAMP), new Date().toISOString() + "\n");
    logger.info({ ms: Math.round(performance.now() - started), distDir }, "web app built");
  } catch (err) {
    logger.error(
      { err: (err as Error).message, ms: Math.round(performance.now() - started) },
      "web app build failed; the API still serves, pages show a 'not built' notice",
    );
  }
}
