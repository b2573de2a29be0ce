import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

/**
 * The web app (src/web) → dist/web, served by the Hono server with an SPA fallback.
 * `npx vite` serves it on :5173 and proxies the API and book images to the server on :7860.
 */
const API_TARGET = process.env.API_TARGET ?? "http://localhost:7860";
const DEV_ORIGIN = "http://localhost:5173";

/**
 * Better Auth refuses credentialed POSTs whose Origin is not trusted. Through this dev proxy the
 * browser's Origin is the Vite one; it is rewritten to the server's own so `npm run dev` needs no
 * TRUSTED_ORIGINS. Only requests that really come from the dev page are rewritten.
 */
const proxyTo = {
  target: API_TARGET,
  changeOrigin: false,
  configure(proxy: { on(event: "proxyReq", cb: (req: { getHeader(n: string): unknown; setHeader(n: string, v: string): void }) => void): void }) {
    proxy.on("proxyReq", (req) => {
      if (req.getHeader("origin") === DEV_ORIGIN) req.setHeader("origin", new URL(API_TARGET).origin);
    });
  },
};

export default defineConfig({
  root: fileURLToPath(new URL("./src/web", import.meta.url)),
  publicDir: "public",
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("./dist/web", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: true,
    // The password policy chunk (zxcvbn + dictionaries, ~850 kB gzipped) is big on purpose and only
    // loaded when a new password is typed; the first load stays small (see src/web/password/policy.ts).
    chunkSizeWarningLimit: 2000,
    // Fonts (KaTeX's) as files, never data: URLs, which the CSP's `font-src 'self'` refuses.
    assetsInlineLimit: (file: string) => (/\.(woff2?|ttf|otf)$/i.test(file) ? false : undefined),
  },
  server: {
    port: 5173,
    strictPort: true,
    // Only the server's routes: a bare "/api" prefix would also catch this app's own src/web/api/*.ts.
    proxy: {
      "^/api/(auth|v1)(/|$)": proxyTo,
      "/book-assets/": proxyTo,
      "/book-static/": proxyTo,
    },
  },
  preview: { port: 4173 },
});
