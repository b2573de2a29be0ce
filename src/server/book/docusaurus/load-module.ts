import { fileURLToPath } from "node:url";
import { createJiti } from "jiti";

/**
 * Loading a site's `docusaurus.config.ts` or `sidebars.ts` the way Docusaurus does: as a module,
 * through jiti (TypeScript, ESM or CommonJS). The packages such a file imports for the site's
 * build (prism-react-renderer, remark plugins) are usually not installed here; each one that is
 * missing is replaced by a stand-in (missing-package.cjs) and the file is loaded again.
 * Why code runs at all, and when: docs/decisions/016-docusaurus-sites.md.
 */
const STAND_IN = fileURLToPath(new URL("./missing-package.cjs", import.meta.url));
const MAX_MISSING = 30;
const TIMEOUT_MS = 10_000;

export interface LoadedModule {
  value: unknown;
  /** Packages the file imports that were replaced by the stand-in. */
  missing: string[];
}

function missingPackage(err: unknown): string | undefined {
  const message = err instanceof Error ? err.message : "";
  const name = /Cannot find (?:module|package) ['"]([^'"]+)['"]/.exec(message)?.[1];
  // A missing file of the site itself is an error in the site, not a package to stand in for.
  return name && !name.startsWith(".") && !name.startsWith("/") && !/^[a-z]:[\\/]/i.test(name) ? name : undefined;
}

function withTimeout<T>(promise: Promise<T>, file: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${file} took more than ${TIMEOUT_MS / 1000} s to load`)), TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The module's default export (or its exports), after calling it when it is a function, as Docusaurus does for configs. */
export async function loadSiteModule(file: string, options: { callExport?: boolean } = {}): Promise<LoadedModule> {
  const alias: Record<string, string> = {};
  const missing: string[] = [];
  for (;;) {
    const jiti = createJiti(import.meta.url, { moduleCache: false, fsCache: false, interopDefault: true, alias });
    try {
      let value = await withTimeout(jiti.import(file, { default: true }), file);
      if (options.callExport && typeof value === "function") value = await withTimeout(Promise.resolve((value as () => unknown)()), file);
      return { value, missing };
    } catch (err) {
      const name = missingPackage(err);
      if (!name || alias[name] || missing.length >= MAX_MISSING) throw err;
      alias[name] = STAND_IN;
      missing.push(name);
    }
  }
}
