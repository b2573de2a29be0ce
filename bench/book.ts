/**
 * `npm run bench -- --book` (or `npx tsx bench/book.ts`): how fast a Docusaurus book is ready,
 * and how fast a chapter is answered (issue 14, "fast start": under 15 s cold, under 2 s warm, a
 * chapter under 20 ms at p99, for 30 chapters with 400 code blocks).
 *
 * Generates such a book in a temp dir (a Docusaurus site: MDX, admonitions, tabs, code in five
 * languages, a diagram and a formula per chapter), then starts the real server three times on one
 * DATA_DIR: cold (no rendered-page cache), warm, warm again. For each start it reports the
 * server's own "book loaded" time (reading, rendering, linking; from its log) and the time from
 * spawning the process to its first answer on /health. Then it asks for every chapter in turn,
 * 20 rounds, one request at a time, and reports the latency percentiles.
 *
 * Options: --chapters=N (30), --blocks=N (400), --rounds=N (20), --site=DIR (measure your own
 * book instead of a generated one), --keep (keep the temp dir).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, ipFor, serverEnv, startServerProcess, stopServerProcess, table } from "./support.ts";

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const CHAPTERS = Number(option("chapters") ?? 30);
const BLOCKS = Number(option("blocks") ?? 400);
const ROUNDS = Number(option("rounds") ?? 20);

const SNIPPETS: [string, (n: number) => string][] = [
  ["python", (n) => `import math\n\ndef step_${n}(state, dt=0.01):\n    """Advance the pendulum by one step."""\n    theta, omega = state\n    alpha = -9.81 * math.sin(theta)\n    return theta + omega * dt, omega + alpha * dt\n\nstate = (0.3, 0.0)\nfor _ in range(${100 + n}):\n    state = step_${n}(state)\nprint(f"theta={state[0]:.3f}")`],
  ["bash", (n) => `#!/usr/bin/env bash\nset -euo pipefail\nfor i in $(seq 1 ${n}); do\n  echo "run $i"\n  ros2 launch robot bringup.launch.py --ros-args -p rate:=$i\ndone`],
  ["yaml", (n) => `controller_${n}:\n  type: pid\n  gains:\n    kp: ${n}.0\n    ki: 0.1\n    kd: 0.05\n  limits: [-1.0, 1.0]\n  enabled: true`],
  ["cpp", (n) => `#include <vector>\n\nstruct Joint { double q, dq; };\n\ndouble torque_${n}(const Joint& j, double target) {\n  const double kp = ${n}.0, kd = 2.0;\n  return kp * (target - j.q) - kd * j.dq;  // PD law\n}\n\nint main() { std::vector<Joint> joints(${n}); return 0; }`],
  ["tsx", (n) => `import { useState } from "react";\n\nexport function Counter${n}() {\n  const [count, setCount] = useState(${n});\n  return <button onClick={() => setCount(count + 1)}>{count}</button>;\n}`],
];

function chapter(c: number, blocks: number): string {
  const parts = [`---\ntitle: Chapter ${c}\nsidebar_position: ${c}\n---\n\nimport Tabs from '@theme/Tabs';\nimport TabItem from '@theme/TabItem';\n\n# Chapter ${c}: moving robots\n`];
  for (let b = 0; b < blocks; b++) {
    const [lang, make] = SNIPPETS[(c + b) % SNIPPETS.length]!;
    if (b % 4 === 0) parts.push(`## Section ${b / 4 + 1}\n\nA humanoid keeps its balance by moving its centre of mass over its feet; this section works through step ${b} with **care** and a [link](#section-1).\n`);
    if (b % 5 === 1) parts.push(`:::tip Step ${b}\nCheck the units before you run it.\n:::\n`);
    if (b % 7 === 2) {
      parts.push(`<Tabs groupId="lang">\n<TabItem value="py" label="Python">\n\n\`\`\`python\nprint(${b})\n\`\`\`\n\n</TabItem>\n<TabItem value="sh" label="Shell">\n\n\`\`\`bash\necho ${b}\n\`\`\`\n\n</TabItem>\n</Tabs>\n`);
      continue;
    }
    parts.push(`\`\`\`${lang} title="step_${b}.${lang}" {2,4-5} showLineNumbers\n${make(b)}\n\`\`\`\n`);
  }
  parts.push("## A diagram\n\n```mermaid\ngraph LR\n  Sense --> Plan --> Act --> Sense\n```\n\nThe ZMP is $x_{zmp} = x - \\frac{z}{g}\\ddot{x}$.\n");
  return parts.join("\n");
}

function generateBook(dir: string): number {
  mkdirSync(path.join(dir, "docs"), { recursive: true });
  writeFileSync(path.join(dir, "docusaurus.config.js"), "module.exports = { title: 'Bench book', url: 'https://bench.example', baseUrl: '/', markdown: { mermaid: true } };\n");
  let blocks = 0;
  for (let c = 1; c <= CHAPTERS; c++) {
    const count = Math.floor(BLOCKS / CHAPTERS) + (c <= BLOCKS % CHAPTERS ? 1 : 0);
    blocks += count;
    writeFileSync(path.join(dir, "docs", `${String(c).padStart(2, "0")}-chapter-${c}.mdx`), chapter(c, count));
  }
  return blocks;
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

export async function runBookBench(): Promise<number> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "aibook-bench-book-"));
  try {
    const own = option("site");
    const site = own ? path.resolve(own) : path.join(tmp, "site");
    if (own) console.log(`The book in ${site}`);
    else console.log(`A generated Docusaurus book: ${CHAPTERS} chapters, ${generateBook(site)} code blocks (plus tabs), in ${site}`);
    const dataDir = path.join(tmp, "data");
    const rows = [["start", "book loaded (server log)", "process to first answer", "pages from cache"]];
    let last: Awaited<ReturnType<typeof startServerProcess>> | undefined;
    for (const label of ["cold", "warm", "warm again"]) {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const started = performance.now();
      const server = await startServerProcess({ label, port, env: serverEnv(base, port, { DATA_DIR: dataDir, BOOK_DIR: site, LOG_LEVEL: "info", BETTER_AUTH_SECRET: randomBytes(32).toString("base64url") }) });
      const ready = performance.now() - started;
      const line = server.log.join("").split("\n").find((l) => l.includes('"msg":"book ') && l.includes(' loaded"'));
      const loaded = line ? (JSON.parse(line) as { ms?: number; cached?: number }) : {};
      rows.push([label, `${loaded.ms ?? "?"} ms`, `${Math.round(ready)} ms`, String(loaded.cached ?? "?")]);
      if (label !== "warm again") await stopServerProcess(server);
      else last = server;
    }
    console.log(table(rows));

    const server = last!;
    const { chapters } = (await (await fetch(`${server.base}/api/v1/book`)).json()) as { chapters: { slug: string }[] };
    const times: number[] = [];
    let n = 0;
    for (let r = 0; r < ROUNDS; r++) {
      for (const c of chapters) {
        const t = performance.now();
        const res = await fetch(`${server.base}/api/v1/book/chapters/${encodeURIComponent(c.slug)}`, { headers: { "x-forwarded-for": ipFor(++n) } });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`GET chapter ${c.slug}: ${res.status}`);
        times.push(performance.now() - t);
      }
    }
    console.log(`\nGET /api/v1/book/chapters/:slug, ${times.length} requests one at a time: p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`);
    await stopServerProcess(server);
    return 0;
  } finally {
    if (!argv.includes("--keep")) rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(await runBookBench());
