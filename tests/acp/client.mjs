// The editor side of the `mote acp` tests: the official ACP TypeScript SDK
// (@agentclientprotocol/sdk, installed by tests/acp/setup.sh) drives the
// real mote binary through one scenario and prints what it saw as one JSON
// report on stdout for tests/acp.rs to check. Every line mote writes is
// also checked against the SDK's own zod schemas (by method, for requests,
// notifications and the results of our requests); the first message that
// fails ends the run with exit code 3 and "SCHEMA:" on stderr.
//
// Usage: node client.mjs NODE_MODULES SCENARIO CWD MOTE [MOTE_ARGS...]
// Scenario inputs come from the environment (ACP_*), see each scenario.

import { spawn } from "node:child_process";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { readdirSync } from "node:fs";

const [nm, scenario, cwd, mote, ...moteArgs] = process.argv.slice(2);
const sdkDir = join(nm, "@agentclientprotocol/sdk/dist/v1");
const acp = await import(pathToFileURL(join(sdkDir, "stable/acp.js")).href);
const z = await import(pathToFileURL(join(sdkDir, "schema/zod.gen.js")).href);

// Results of our requests, by method.
const RESULTS = {
  initialize: z.zInitializeResponse,
  authenticate: z.zAuthenticateResponse,
  "session/new": z.zNewSessionResponse,
  "session/load": z.zLoadSessionResponse,
  "session/prompt": z.zPromptResponse,
  "session/set_mode": z.zSetSessionModeResponse,
  "session/set_config_option": z.zSetSessionConfigOptionResponse,
};
// What the agent may send us.
const FROM_AGENT = {
  "session/update": z.zSessionNotification,
  "session/request_permission": z.zRequestPermissionRequest,
  "fs/read_text_file": z.zReadTextFileRequest,
  "fs/write_text_file": z.zWriteTextFileRequest,
};

function schemaFail(what, line, err) {
  process.stderr.write(`SCHEMA: ${what}: ${err}\nmessage: ${line.slice(0, 2000)}\n`);
  process.exit(3);
}

const child = spawn(mote, moteArgs, { cwd, stdio: ["pipe", "pipe", "inherit"] });
child.on("error", (e) => {
  process.stderr.write(`cannot start ${mote}: ${e}\n`);
  process.exit(2);
});
const exited = new Promise((res) => child.on("exit", (code, sig) => res({ code, sig })));

const sent = new Map(); // our request id -> method
const raw = []; // every line mote wrote, parsed

function check(line) {
  let m;
  try {
    m = JSON.parse(line);
  } catch (e) {
    schemaFail("not JSON", line, e);
  }
  raw.push(m);
  if (m.jsonrpc !== "2.0") schemaFail("envelope", line, "jsonrpc is not \"2.0\"");
  if (typeof m.method === "string") {
    const v = FROM_AGENT[m.method];
    if (!v) schemaFail("method", line, `unexpected method ${m.method}`);
    const r = v.safeParse(m.params);
    if (!r.success) schemaFail(m.method, line, r.error.message);
    return;
  }
  const method = sent.get(String(m.id));
  if ("error" in m) {
    const e = m.error;
    if (typeof e?.code !== "number" || typeof e?.message !== "string")
      schemaFail("error", line, "error needs a numeric code and a string message");
    return;
  }
  if (!method) schemaFail("response", line, `answer to no request of ours (id ${m.id})`);
  const r = RESULTS[method].safeParse(m.result);
  if (!r.success) schemaFail(`${method} result`, line, r.error.message);
}

// mote's stdout, checked line by line on its way to the SDK.
let pending = "";
const input = new ReadableStream({
  start(ctl) {
    child.stdout.on("data", (chunk) => {
      pending += chunk.toString("utf8");
      let i;
      while ((i = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, i);
        pending = pending.slice(i + 1);
        if (line.trim()) check(line);
        try {
          ctl.enqueue(new TextEncoder().encode(line + "\n"));
        } catch {
          // The SDK has stopped reading (the scenario is over).
        }
      }
    });
    child.stdout.on("end", () => {
      try {
        ctl.close();
      } catch {
        // Already cancelled by the SDK.
      }
    });
  },
});
// Our side, with each request's method remembered for the check above.
const output = new WritableStream({
  write(bytes) {
    for (const line of new TextDecoder().decode(bytes).split("\n")) {
      if (!line.trim()) continue;
      const m = JSON.parse(line);
      if (m.method && m.id !== undefined) sent.set(String(m.id), m.method);
    }
    return new Promise((res, rej) => child.stdin.write(bytes, (e) => (e ? rej(e) : res())));
  },
});

const log = []; // what the scenario saw, in order
const waiters = []; // [predicate, resolve]: resolved by the first log entry that matches
function note(entry) {
  log.push(entry);
  for (let i = waiters.length - 1; i >= 0; i--) {
    if (waiters[i][0](entry)) waiters.splice(i, 1)[0][1](entry);
  }
}
function waitFor(pred) {
  const seen = log.find(pred);
  return seen ? Promise.resolve(seen) : new Promise((res) => waiters.push([pred, res]));
}
const env = process.env;
// How permission requests are answered: ACP_PERMISSION = an optionId, or "cancelled".
let permissionAnswer = env.ACP_PERMISSION || "allow_once";
const files = {}; // fs/write_text_file contents, by path

const app = acp
  .client({ name: "mote-acp-test" })
  .onNotification(acp.methods.client.session.update, (c) => {
    note({ t: "update", update: c.params.update, sessionId: c.params.sessionId });
  })
  .onRequest(acp.methods.client.session.requestPermission, (c) => {
    note({ t: "permission", params: c.params });
    if (permissionAnswer === "cancelled") return { outcome: { outcome: "cancelled" } };
    // "hold": unanswered until the prompt is cancelled, then "cancelled",
    // as ACP asks of a client that cancels.
    if (permissionAnswer === "hold")
      return waitFor((e) => e.t === "cancel_sent").then(() => ({ outcome: { outcome: "cancelled" } }));
    const opt = c.params.options.find((o) => o.kind === permissionAnswer);
    return { outcome: { outcome: "selected", optionId: opt ? opt.optionId : "none" } };
  })
  .onRequest(acp.methods.client.fs.readTextFile, (c) => {
    log.push({ t: "fs_read", params: c.params });
    const text = files[c.params.path] ?? env.ACP_BUFFER ?? "";
    return { content: text };
  })
  .onRequest(acp.methods.client.fs.writeTextFile, (c) => {
    log.push({ t: "fs_write", params: c.params });
    files[c.params.path] = c.params.content;
    return {};
  });

async function call(ctx, method, params) {
  try {
    const result = await ctx.request(method, params);
    log.push({ t: "result", method, result });
    return result;
  } catch (e) {
    log.push({ t: "error", method, code: e.code, message: e.message, data: e.data });
    return undefined;
  }
}

const caps = env.ACP_FS === "1" ? { fs: { readTextFile: true, writeTextFile: true } } : {};
const mcpServers = env.ACP_MCP ? JSON.parse(env.ACP_MCP) : [];

const prompt = (text) => [{ type: "text", text }];

const SCENARIOS = {
  // session/load of ACP_SESSION (replayed as updates), then a prompt in it.
  async load(ctx) {
    await call(ctx, "initialize", { protocolVersion: 1, clientCapabilities: caps });
    await call(ctx, "session/load", { sessionId: env.ACP_SESSION, cwd, mcpServers });
    log.push({ t: "loaded" });
    await call(ctx, "session/prompt", { sessionId: env.ACP_SESSION, prompt: prompt(env.ACP_PROMPT || "go") });
  },
  // One prompt (ACP_PROMPT) in a new session; permission requests are
  // answered with ACP_PERMISSION. ACP_MODE sets the mode first.
  async prompt(ctx) {
    await call(ctx, "initialize", { protocolVersion: 1, clientCapabilities: caps });
    const s = await call(ctx, "session/new", { cwd, mcpServers });
    if (env.ACP_MODE) await call(ctx, "session/set_mode", { sessionId: s.sessionId, modeId: env.ACP_MODE });
    await call(ctx, "session/prompt", { sessionId: s.sessionId, prompt: prompt(env.ACP_PROMPT || "go") });
  },
  // Several prompts (ACP_PROMPTS, a JSON list) in one new session, one
  // after another; a "prompt_done" entry after each.
  async prompts(ctx) {
    await call(ctx, "initialize", { protocolVersion: 1, clientCapabilities: caps });
    const s = await call(ctx, "session/new", { cwd, mcpServers });
    for (const text of JSON.parse(env.ACP_PROMPTS)) {
      await call(ctx, "session/prompt", { sessionId: s.sessionId, prompt: prompt(text) });
      log.push({ t: "prompt_done" });
    }
  },
  // A prompt cancelled when the first update of kind ACP_CANCEL_ON arrives
  // (the time from cancel to the answer is logged as cancel_ms), then a
  // second prompt in the same session.
  async cancel(ctx) {
    await call(ctx, "initialize", { protocolVersion: 1, clientCapabilities: caps });
    const s = await call(ctx, "session/new", { cwd, mcpServers });
    if (env.ACP_MODE) await call(ctx, "session/set_mode", { sessionId: s.sessionId, modeId: env.ACP_MODE });
    // ACP_BEFORE: a prompt run to its end first; ACP_FIRST: the text of the
    // prompt that is cancelled.
    if (env.ACP_BEFORE) await call(ctx, "session/prompt", { sessionId: s.sessionId, prompt: prompt(env.ACP_BEFORE) });
    const running = call(ctx, "session/prompt", { sessionId: s.sessionId, prompt: prompt(env.ACP_FIRST || "first") });
    // ACP_CANCEL_TEXT: only an update whose JSON contains it (a subagent's progress).
    const wanted = (u) => !env.ACP_CANCEL_TEXT || JSON.stringify(u).includes(env.ACP_CANCEL_TEXT);
    // ACP_CANCEL_ON=permission: when a permission request arrives.
    await waitFor(
      (e) =>
        (e.t === "update" && e.update.sessionUpdate === env.ACP_CANCEL_ON && wanted(e.update)) ||
        (e.t === "permission" && env.ACP_CANCEL_ON === "permission") ||
        env.ACP_CANCEL_ON === "now",
    );
    // Let a command start before cancelling it: ACP_CANCEL_AFTER_FILE, a
    // file whose name starts so appears in the workspace (up to 10 s); then
    // ACP_DELAY_MS.
    for (let waited = 0; env.ACP_CANCEL_AFTER_FILE && waited < 10000; waited += 20) {
      if (readdirSync(cwd).some((f) => f.startsWith(env.ACP_CANCEL_AFTER_FILE))) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    await new Promise((res) => setTimeout(res, Number(env.ACP_DELAY_MS || 0)));
    const t0 = Date.now();
    // ACP_CANCEL_SESSION: cancel that session instead (not the running one).
    await ctx.notify("session/cancel", { sessionId: env.ACP_CANCEL_SESSION || s.sessionId });
    note({ t: "cancel_sent" });
    await running;
    log.push({ t: "cancel_ms", ms: Date.now() - t0 });
    await call(ctx, "session/prompt", { sessionId: s.sessionId, prompt: prompt("second") });
  },
  // Config options: the prompt mode set to plan (then to ACP_TEMPLATE), the
  // model to ACP_MODEL, an unknown option; then a prompt.
  async config(ctx) {
    await call(ctx, "initialize", { protocolVersion: 1, clientCapabilities: caps });
    const s = await call(ctx, "session/new", { cwd, mcpServers });
    const set = (configId, value) => call(ctx, "session/set_config_option", { sessionId: s.sessionId, configId, value });
    await set("prompt_mode", "plan");
    // ACP_TEMPLATE: a template's name, which is no prompt mode.
    if (env.ACP_TEMPLATE) await set("prompt_mode", env.ACP_TEMPLATE);
    await set("model", env.ACP_MODEL);
    await set("no_such_option", "x");
    await call(ctx, "session/prompt", { sessionId: s.sessionId, prompt: prompt("go") });
  },
  // initialize, session/new (with ACP_MCP servers), set_mode with its
  // current_mode_update, and a request for a session that does not exist.
  async setup(ctx) {
    await call(ctx, "initialize", { protocolVersion: 1, clientCapabilities: caps });
    const s = await call(ctx, "session/new", { cwd, mcpServers });
    await call(ctx, "session/set_mode", { sessionId: s.sessionId, modeId: "auto" });
    await call(ctx, "session/set_mode", { sessionId: "no-such-session", modeId: "auto" });
  },
};

const run = SCENARIOS[scenario];
if (!run) {
  process.stderr.write(`unknown scenario ${scenario}\n`);
  process.exit(2);
}
await app.connectWith(acp.ndJsonStream(output, input), async (ctx) => {
  await run(ctx);
});
child.stdin.end();
const { code, sig } = await exited;
process.stdout.write(JSON.stringify({ log, raw, exit: code, signal: sig }) + "\n");
