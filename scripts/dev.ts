/**
 * `npm run dev`: the API server with reload on change (tsx watch, port 7860, no web build) and
 * Vite's dev server with hot module replacement (port 5173, proxying /api and /book-assets to
 * 7860), side by side in one terminal. Each line is prefixed with its source; Ctrl-C stops both,
 * and if one exits the other is stopped too.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);
const API_PORT = process.env.PORT ?? "7860";
const WEB_PORT = process.env.WEB_PORT ?? "5173";
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);

interface Task {
  name: string;
  prefix: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
}

const tasks: Task[] = [
  {
    name: "api",
    prefix: paint(36, "[api]"),
    command: bin("tsx"),
    args: ["watch", "--clear-screen=false", "src/server/main.ts"],
    env: { SKIP_WEB_BUILD: "true", PORT: API_PORT },
  },
];
if (existsSync(path.join(root, "vite.config.ts"))) {
  tasks.push({ name: "web", prefix: paint(35, "[web]"), command: bin("vite"), args: ["--port", WEB_PORT, "--strictPort"] });
} else {
  console.warn(`${paint(33, "[dev]")} no vite.config.ts yet: running the API only`);
}

const children = new Map<string, ChildProcess>();
let stopping = false;

/** Forward a stream line by line with a prefix, so two processes' output stays readable. */
function pipe(stream: NodeJS.ReadableStream | null, prefix: string, out: NodeJS.WriteStream) {
  if (!stream) return;
  let buffer = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) out.write(`${prefix} ${line}\n`);
  });
  stream.on("end", () => buffer && out.write(`${prefix} ${buffer}\n`));
}

function stopAll(code: number) {
  if (stopping) return;
  stopping = true;
  for (const child of children.values()) if (child.exitCode === null) child.kill("SIGTERM");
  // Whatever does not stop in time is killed, and we leave with the first exit code.
  const force = setTimeout(() => {
    for (const child of children.values()) if (child.exitCode === null) child.kill("SIGKILL");
    process.exit(code);
  }, 5_000);
  force.unref();
  const wait = [...children.values()].map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : null));
  void Promise.all(wait).then(() => process.exit(code));
}

for (const task of tasks) {
  const child = spawn(task.command, task.args, {
    cwd: root,
    env: { ...process.env, ...task.env, FORCE_COLOR: color ? "1" : "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.set(task.name, child);
  pipe(child.stdout, task.prefix, process.stdout);
  pipe(child.stderr, task.prefix, process.stderr);
  child.on("error", (err) => {
    console.error(`${task.prefix} could not start: ${err.message}`);
    stopAll(1);
  });
  child.on("exit", (code, signal) => {
    if (stopping) return;
    console.error(`${task.prefix} exited (${signal ?? `code ${code}`}); stopping the others`);
    stopAll(code ?? 1);
  });
}

console.log(
  `${paint(33, "[dev]")} API on http://localhost:${API_PORT}` +
    (tasks.length > 1 ? `, web app with hot reload on http://localhost:${WEB_PORT}` : ""),
);
process.on("SIGINT", () => stopAll(0));
process.on("SIGTERM", () => stopAll(0));
