/**
 * The figures of a run as Markdown tables (printed, and kept beside the logs): requests by
 * route and answer, errors by kind inside and outside the fault windows, the windows themselves,
 * the acknowledged writes, the instances nginx used, and the checks.
 */
import type { Sample } from "./client.ts";
import { windowsOf, type Check, type FaultWindow } from "./checks.ts";
import type { Ledger } from "./readers.ts";

export interface RunFacts {
  readers: number;
  plannedSeconds: number;
  runSeconds: number;
  samples: Sample[];
  windows: FaultWindow[];
  checks: Check[];
  figures: Record<string, number>;
  ledger: Ledger;
  upstreams: { name: string; address: string }[];
  accessLog: string;
}

function table(head: string[], rows: (string | number)[][]): string {
  const right = head.map((_, i) => rows.every((r) => typeof r[i] === "number"));
  const cells = [head, ...rows.map((r) => r.map(String))];
  const width = head.map((_, i) => Math.max(3, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (right[i] ? c.padStart(width[i]!) : c.padEnd(width[i]!))).join(" | ")} |`;
  const rule = `|${width.map((w, i) => (right[i] ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`;
  return [line(head), rule, ...cells.slice(1).map(line)].join("\n");
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const s1 = (ms: number) => (ms / 1000).toFixed(1);

export function printReport(f: RunFacts): string {
  const out: string[] = [];
  const samples = f.samples;
  const total = samples.length;
  out.push(
    `## Load and faults: ${f.readers} readers, ${f.plannedSeconds} s planned (${f.runSeconds.toFixed(1)} s run), 2 instances behind nginx, PostgreSQL, Redis`,
    "",
    `${total} requests, ${(total / f.runSeconds).toFixed(0)} req/s.`,
    "",
  );

  // The compact summary (the README's table).
  const count = (pred: (s: Sample) => boolean) => samples.filter(pred).length;
  const inWindows = (pred: (s: Sample) => boolean) => samples.filter((s) => pred(s) && windowsOf(s, f.windows).length > 0).length;
  const latencies = samples.filter((s) => s.status !== null).map((s) => s.end - s.start).sort((a, b) => a - b);
  const writes = ["account", "session", "chat", "chat message", "refresh token"];
  const acked = writes.reduce((n, w) => n + (f.figures[`acknowledged ${w}`] ?? 0), 0);
  const lost = writes.reduce((n, w) => n + (f.figures[`lost ${w}`] ?? 0), 0);
  const unavailable = (s: Sample) => s.outcome === "503-retry-after" || s.outcome === "stream-unavailable";
  const broken = (s: Sample) => ["500", "5xx-other", "504", "503-bare", "connection-error", "timeout"].includes(s.outcome);
  const fmt = (n: number) => n.toLocaleString("en-US");
  out.push(
    table(
      ["figure", "value"],
      [
        ["requests through nginx", `${fmt(total)} (${(total / f.runSeconds).toFixed(0)}/s), p50 ${Math.round(percentile(latencies, 50))} ms, p95 ${Math.round(percentile(latencies, 95))} ms, p99 ${Math.round(percentile(latencies, 99))} ms`],
        ["answered as expected", `${fmt(count((s) => s.outcome === "ok"))} (${((100 * count((s) => s.outcome === "ok")) / Math.max(1, total)).toFixed(1)} %)`],
        ["429 rate limited", fmt(count((s) => s.outcome === "429"))],
        ["503 + Retry-After (or SSE error), all in fault windows?", `${fmt(count(unavailable))} (${fmt(inWindows(unavailable))} in windows)`],
        ["502 / answers cut mid-body at the kill -9", `${count((s) => s.outcome === "502")} / ${count((s) => s.outcome === "stream-cut")}`],
        ["500, other 5xx, resets, timeouts", fmt(count(broken))],
        ["acknowledged writes lost", `${lost} of ${fmt(acked)}`],
        ["checks passed", `${f.checks.filter((c) => c.ok).length} of ${f.checks.length}`],
      ],
    ),
    "",
  );

  // Requests by route and class of answer.
  const routes = new Map<string, Sample[]>();
  for (const s of samples) routes.set(s.route, [...(routes.get(s.route) ?? []), s]);
  const row = (name: string, xs: Sample[]) => {
    const n = (pred: (s: Sample) => boolean) => xs.filter(pred).length;
    const ms = xs.filter((s) => s.status !== null).map((s) => s.end - s.start).sort((a, b) => a - b);
    return [
      name,
      xs.length,
      n((s) => s.status !== null && s.status < 300),
      n((s) => s.status !== null && s.status >= 300 && s.status < 400),
      n((s) => s.status !== null && s.status >= 400 && s.status < 500 && s.status !== 429),
      n((s) => s.status === 429),
      n((s) => s.status !== null && s.status >= 500),
      n((s) => s.status === null),
      Math.round(percentile(ms, 50)),
      Math.round(percentile(ms, 95)),
      Math.round(percentile(ms, 99)),
    ];
  };
  out.push(
    table(
      ["route", "requests", "2xx", "3xx", "4xx", "429", "5xx", "no answer", "p50 ms", "p95 ms", "p99 ms"],
      [...[...routes].sort((a, b) => b[1].length - a[1].length).map(([name, xs]) => row(name, xs)), row("**all**", samples)],
    ),
    "",
  );

  // Errors by kind, inside and outside the fault windows.
  const kinds: [string, (s: Sample) => boolean][] = [
    ["connection errors (to nginx)", (s) => s.outcome === "connection-error"],
    ["timeouts (no answer in 30 s)", (s) => s.outcome === "timeout"],
    ["500", (s) => s.outcome === "500"],
    ["502 from nginx (instance died mid-request)", (s) => s.outcome === "502"],
    ["504 / other 5xx", (s) => s.outcome === "504" || s.outcome === "5xx-other"],
    ["503 with Retry-After", (s) => s.outcome === "503-retry-after"],
    ["503 without Retry-After", (s) => s.outcome === "503-bare"],
    ["answer cut mid-body (or a stream without done/error)", (s) => s.outcome === "stream-cut"],
    ["event stream ended by error SERVICE_UNAVAILABLE", (s) => s.outcome === "stream-unavailable"],
    ["unexpected 4xx", (s) => s.outcome === "4xx"],
    ["429 (rate limited: not an error)", (s) => s.outcome === "429"],
  ];
  out.push(
    table(
      ["answer", "total", "in fault windows", "outside"],
      kinds.map(([name, pred]) => {
        const xs = samples.filter(pred);
        const inside = xs.filter((s) => windowsOf(s, f.windows).length > 0).length;
        return [name, xs.length, inside, xs.length - inside];
      }),
    ),
    "",
  );

  // The windows.
  out.push(
    table(
      ["fault", "from s", "to s", "requests overlapping", "503 (+ SSE error)", "502", "cut mid-body"],
      f.windows.map((w) => {
        const xs = samples.filter((s) => windowsOf(s, [w]).length > 0);
        return [
          w.label,
          s1(w.start),
          s1(w.end),
          xs.length,
          xs.filter((s) => s.outcome === "503-retry-after" || s.outcome === "stream-unavailable").length,
          xs.filter((s) => s.outcome === "502").length,
          xs.filter((s) => s.outcome === "stream-cut").length,
        ];
      }),
    ),
    "",
  );

  // Acknowledged writes and what was lost.
  const fig = f.figures;
  out.push(
    table(
      ["acknowledged write", "count", "missing in PostgreSQL"],
      ["account", "session", "chat", "chat message", "refresh token"].map((w) => [w, fig[`acknowledged ${w}`] ?? 0, fig[`lost ${w}`] ?? 0]),
    ),
    "",
    `Refresh-token families: ${fig["refresh token families"] ?? 0} (revoked as reuse: ${fig["families revoked for reuse"] ?? 0}); answers interrupted by the kill and left retryable: ${fig["answers interrupted (kill -9, retryable)"] ?? 0}; verification mails that never came (a new link was asked for): ${f.ledger.mailsResent}, sign-ups left unverified at the end: ${f.ledger.unverified}.`,
    "",
  );

  // Which instance nginx used (its access log), and how often it passed a request on.
  const served = f.upstreams.map((u) => [u.name, f.accessLog.split("\n").filter((l) => l.includes(`up=${u.address}`) || l.includes(`, ${u.address}`)).length]);
  const passedOn = f.accessLog.split("\n").filter((l) => /up=\S+, /.test(l)).length;
  out.push(`nginx: ${served.map(([n, c]) => `instance ${n} ${c}`).join(", ")} requests; ${passedOn} passed on to the other instance after an error.`, "");

  out.push("Checks:");
  for (const c of f.checks) out.push(`- ${c.ok ? "PASS" : "FAIL"} ${c.name}: ${c.detail}`);
  const text = out.join("\n");
  console.log(`\n${text}\n`);
  return text;
}
