/**
 * vitest globalSetup for the e2e suite: build the web app from the current sources into the
 * suite's own folder (E2E_WEB_DIR, see harness.ts) before any server starts, so no test waits
 * for a build-on-demand or races a developer's build of dist/web.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { E2E_WEB_DIR, REPO_ROOT } from "./harness.ts";

// The same inputs and stamp as the server's own build-on-start (src/server/web/build.ts), so the
// server then finds the build current and starts at once.
const WEB_INPUTS = ["src/web", "src/shared", "vite.config.ts"];
const STAMP = ".build-stamp";

function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(p)) {
    if (entry === "node_modules" || entry.startsWith(".")) continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry)));
  }
  return newest;
}

export default function setup(): void {
  if (!existsSync(path.join(REPO_ROOT, "vite.config.ts"))) {
    console.warn("[e2e] no vite config found: not building the web app (the server must serve it on its own)");
    return;
  }
  const dist = E2E_WEB_DIR;
  const mark = [path.join(dist, STAMP), path.join(dist, "index.html")].find((f) => existsSync(f));
  const builtAt = mark ? statSync(mark).mtimeMs : 0;
  const sourcesAt = Math.max(...WEB_INPUTS.map((p) => newestMtime(path.join(REPO_ROOT, p))));
  if (builtAt >= sourcesAt && process.env.E2E_BUILD !== "always") return;
  const started = Date.now();
  const r = spawnSync("npx", ["vite", "build", "--outDir", dist, "--emptyOutDir"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    env: { ...process.env, NODE_ENV: "production" },
  });
  if (r.status !== 0) {
    throw new Error(`[e2e] \`npx vite build\` failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  writeFileSync(path.join(dist, STAMP), new Date().toISOString() + "\n");
  console.log(`[e2e] built the web app in ${Date.now() - started} ms`);
}
