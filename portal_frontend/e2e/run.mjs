#!/usr/bin/env node
// The portal in a real browser against a real `waddlebot run` (decision 0074).
//
// Starts `waddlebot run` (ENV=dev, its own free PORT and a throwaway DATA_DIR, serving
// portal_frontend/dist at /), seeds a portal user with the broadcaster role in the dev
// `web:demo` community (`waddlebot users create/grant`), then drives Debian's Chromium with playwright-core
// (never a downloaded browser): sign in, edit a command's cooldown, use the chat simulator,
// song skip + undo (songs requested with `!sr` through the simulator, youtube_music talking to
// a local fake of the YouTube Data API v3), the overlay's live preview showing a test alert,
// and an axe scan, a one-h1 check and screenshots (desktop and 375 px) of every screen.
// Prints one plain line `N passed, N failed` (and the skipped steps with their reasons).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const frontend = resolve(here, "..");
const root = resolve(frontend, "..");
const dist = join(frontend, "dist");
const shots = join(here, "screenshots");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];
const DEADLINE_MS = Number(process.env.E2E_DEADLINE_MS ?? 240_000);
const started = Date.now();
const uv = spawnSync("python3", ["-m", "uv", "--version"]).status === 0 ? ["python3", "-m", "uv"] : ["uv"];

const SCREENS = [
  ["", "Dashboard"], ["commands", "Commands"], ["simulator", "Chat simulator"], ["modules", "Modules"],
  ["points", "Points"], ["songs", "Song queue"], ["overlays", "Overlays"], ["quotes", "Quotes"],
  ["bookmarks", "Bookmarks"], ["reminders", "Reminders"], ["inventory", "Inventory"], ["calendar", "Calendar"],
  ["labels", "Labels"], ["aliases", "Aliases"], ["ai", "AI settings"], ["members", "Members and roles"], ["audit", "Audit log"],
];

const results = { passed: 0, failed: 0, skipped: [] };
async function step(name, fn) {
  if (Date.now() - started > DEADLINE_MS) {
    results.failed += 1;
    console.log(`FAIL ${name}: the e2e time budget (${DEADLINE_MS / 1000} s) ran out`);
    return;
  }
  const t0 = Date.now();
  try {
    const skipped = await fn();
    if (typeof skipped === "string") {
      results.skipped.push(`${name} (${skipped})`);
      console.log(`SKIP ${name}: ${skipped}`);
      return;
    }
    results.passed += 1;
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (error) {
    results.failed += 1;
    console.log(`FAIL ${name}: ${error instanceof Error ? error.message.split("\n").slice(0, 6).join("\n     ") : error}`);
  }
}
function expect(condition, message) {
  if (!condition) throw new Error(message);
}

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

// A local fake of the YouTube Data API v3 (`videos.list`, `search.list`), answering the wire
// format youtube_music reads, as interactions/youtube_music/tests/conftest.py's FakeYouTube does.
const YOUTUBE_KEY = "e2e-youtube-key";
const VIDEOS = [
  ["e2eSong0001", "Penguin Polka", "PT3M5S"],
  ["e2eSong0002", "Ice Ice Baby", "PT4M10S"],
  ["e2eSong0003", "Snow Day Serenade", "PT2M48S"],
];
function youtubeVideo([id, title, duration]) {
  return {
    kind: "youtube#video", etag: `etag-${id}`, id,
    snippet: { publishedAt: "2020-01-01T00:00:00Z", channelId: "UC0000000000000000000e2e", title, description: "", thumbnails: {},
      channelTitle: "Arctic Records", categoryId: "10", liveBroadcastContent: "none" },
    contentDetails: { duration, dimension: "2d", definition: "hd", caption: "false", licensedContent: true, contentRating: {}, projection: "rectangular" },
    status: { uploadStatus: "processed", privacyStatus: "public", license: "youtube", embeddable: true, publicStatsViewable: true, madeForKids: false },
  };
}
async function fakeYouTube() {
  const server = createHttpServer((req, res) => {
    const asked = new URL(req.url ?? "/", "http://fake");
    const send = (status, body) => {
      res.writeHead(status, { "Content-Type": "application/json; charset=UTF-8" });
      res.end(JSON.stringify(body));
    };
    if (asked.searchParams.get("key") !== YOUTUBE_KEY) {
      return send(400, { error: { code: 400, message: "API key not valid. Please pass a valid API key.", errors: [{ message: "API key not valid.", domain: "global", reason: "badRequest" }] } });
    }
    if (asked.pathname === "/youtube/v3/videos") {
      const ids = (asked.searchParams.get("id") ?? "").split(",");
      const items = VIDEOS.filter(([id]) => ids.includes(id)).map(youtubeVideo);
      return send(200, { kind: "youtube#videoListResponse", etag: "etag-list", items, pageInfo: { totalResults: items.length, resultsPerPage: items.length } });
    }
    if (asked.pathname === "/youtube/v3/search") {
      const words = (asked.searchParams.get("q") ?? "").toLowerCase().split(/\s+/).filter(Boolean);
      const hits = VIDEOS.filter(([, title]) => words.every((w) => title.toLowerCase().includes(w))).slice(0, Number(asked.searchParams.get("maxResults") ?? 5));
      const items = hits.map((v) => ({ kind: "youtube#searchResult", etag: `etag-s-${v[0]}`, id: { kind: "youtube#video", videoId: v[0] }, snippet: youtubeVideo(v).snippet }));
      return send(200, { kind: "youtube#searchListResponse", etag: "etag-search", regionCode: "US", pageInfo: { totalResults: items.length, resultsPerPage: 5 }, items });
    }
    return send(404, { error: { code: 404, message: "Not Found", errors: [{ message: "Not Found", domain: "global", reason: "notFound" }] } });
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  server.unref();
  return { server, url: `http://127.0.0.1:${server.address().port}/youtube/v3` };
}

async function waitHealthy(url, child, ms = 90_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`waddlebot run exited with ${child.exitCode}`);
    try {
      const answer = await fetch(`${url}/healthz`);
      if (answer.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`waddlebot run did not answer /healthz within ${ms / 1000} s`);
}

async function axe(page, label) {
  const source = readFileSync(join(frontend, "node_modules", "axe-core", "axe.min.js"), "utf8");
  // Evaluated through the DevTools protocol, so the page's CSP (no inline scripts) stays on.
  await page.evaluate(source);
  const violations = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }));
  });
  const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.length === 0, `${label}: axe found ${serious.map((v) => `${v.id} (${v.impact}, ${v.nodes}×: ${v.help})`).join("; ")}`);
  return violations.length;
}

async function oneH1(page, title) {
  const h1 = page.getByRole("heading", { level: 1 });
  await h1.first().waitFor({ timeout: 10_000 });
  const count = await h1.count();
  expect(count === 1, `expected one h1, found ${count}`);
  const text = (await h1.textContent())?.trim();
  expect(text === title, `h1 is "${text}", expected "${title}"`);
  const docTitle = await page.title();
  expect(docTitle.startsWith(title), `document title "${docTitle}" does not start with "${title}"`);
}

async function main() {
  if (!existsSync(join(dist, "index.html"))) {
    console.log("e2e: building the portal first (vite build)");
    const built = spawnSync("npx", ["--no-install", "vite", "build", "--logLevel", "warn"], { cwd: frontend, stdio: "inherit" });
    if (built.status !== 0) throw new Error("vite build failed");
  }
  expect(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH); never download one`);
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "waddlebot-e2e-"));
  const url = `http://127.0.0.1:${port}`;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.endsWith("_URL") && !["ENV", "DATA_DIR", "PORT"].includes(k)));
  Object.assign(env, {
    ENV: "dev", PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_FORMAT: "json", LOG_LEVEL: "WARNING",
    ROUTER_DEFAULT_COOLDOWN: "0", PORTAL_DIST_DIR: dist, PORTAL_COOKIE_SECURE: "false",
    PORTAL_ARGON2_TIME_COST: "1", PORTAL_ARGON2_MEMORY_COST: "8", PORTAL_ARGON2_PARALLELISM: "1",
  });
  const youtube = await fakeYouTube();
  Object.assign(env, { YOUTUBE_API_URL: youtube.url, YOUTUBE_API_KEY: YOUTUBE_KEY });
  const log = join(dataDir, "server.log");
  const out = [];
  const server = spawn(uv[0], [...uv.slice(1), "run", "--no-sync", "waddlebot", "run"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  server.stdout.on("data", (d) => out.push(d));
  server.stderr.on("data", (d) => out.push(d));
  const stop = () => {
    try {
      process.kill(-server.pid, "SIGTERM");
    } catch {
      // already gone
    }
  };
  process.on("exit", stop);
  let browser;
  try {
    await waitHealthy(url, server);
    console.log(`e2e: waddlebot run on ${url} (DATA_DIR ${dataDir})`);
    const email = "e2e-broadcaster@example.test";
    const password = "waddle-e2e-password-1";
    // The seed: a portal account with the broadcaster role in the dev `web:demo` community,
    // made with the real CLI on the same DATA_DIR (ARCHITECTURE §11).
    const cli = (...args) => {
      const done = spawnSync(uv[0], [...uv.slice(1), "run", "--no-sync", "waddlebot", ...args], { cwd: root, env, encoding: "utf8" });
      if (done.status !== 0) throw new Error(`waddlebot ${args.slice(0, 2).join(" ")} failed:\n${done.stdout}\n${done.stderr}`);
      return done.stdout;
    };
    cli("users", "create", "--email", email, "--password", password);
    cli("users", "grant", "--email", email, "--community", "web:demo", "--role", "broadcaster");
    const signedIn = await fetch(`${url}/portal/api/v1/auth/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email, password }) });
    expect(signedIn.ok, `the seeded account cannot sign in (${signedIn.status})`);
    const cid = (await signedIn.json()).communities.find((c) => c.role === "broadcaster")?.id;
    expect(cid, "the seeded account has no community");
    console.log(`e2e: seeded ${email} (waddlebot users create/grant) as broadcaster of community ${cid}`);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const pageErrors = [];
    page.on("pageerror", (e) => pageErrors.push(String(e)));

    await step("the SPA is served at / with cache headers; a deep link falls back to index.html", async () => {
      const index = await fetch(`${url}/c/${cid}/commands`, { headers: { Accept: "text/html" } });
      expect(index.status === 200, `deep link answered ${index.status}`);
      expect(index.headers.get("cache-control") === "no-cache", `index.html Cache-Control: ${index.headers.get("cache-control")}`);
      const html = await index.text();
      const asset = html.match(/\/assets\/[^"]+\.js/)?.[0];
      expect(asset, "no hashed script in index.html");
      const js = await fetch(`${url}${asset}`);
      expect(js.status === 200 && js.headers.get("cache-control")?.includes("immutable"), `asset ${asset}: ${js.status} ${js.headers.get("cache-control")}`);
      const api = await fetch(`${url}/portal/api/v1/me`, { headers: { Accept: "text/html" } });
      expect(api.status === 401, `the API stays under its prefix: /portal/api/v1/me answered ${api.status}`);
      const missing = await fetch(`${url}/assets/nope-123.js`);
      expect(missing.status === 404, `a missing asset answered ${missing.status}`);
    });

    await step("a deep link while signed out goes to sign-in (axe, screenshots)", async () => {
      await page.goto(`${url}/c/${cid}/commands?sort=cost`);
      await page.getByRole("button", { name: "Sign in" }).waitFor();
      const here = new URL(page.url());
      expect(here.pathname === "/login", `landed on ${here.pathname}`);
      expect(here.searchParams.get("redirect")?.startsWith(`/c/${cid}/commands`), `redirect=${here.searchParams.get("redirect")}`);
      await oneH1(page, "Sign in");
      await axe(page, "sign-in");
      await page.screenshot({ path: join(shots, "login-desktop.png"), fullPage: true });
      await page.setViewportSize({ width: 375, height: 740 });
      await page.screenshot({ path: join(shots, "login-375.png"), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 860 });
    });

    await step("sign in and come back to the deep link", async () => {
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password").fill(password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { level: 1, name: "Commands" }).waitFor();
      const here = new URL(page.url());
      expect(here.pathname === `/c/${cid}/commands` && here.searchParams.get("sort") === "cost", `after sign-in: ${page.url()}`);
    });

    let commandPath = null;
    await step("edit a command's cooldown to 0; it survives a reload", async () => {
      await page.goto(`${url}/c/${cid}/commands?q=quote`);
      const edit = page.getByRole("button", { name: /^Edit !quote$/ }).first();
      await edit.waitFor();
      commandPath = (await edit.getAttribute("aria-label")).replace(/^Edit !/, "");
      await edit.click();
      const form = page.getByRole("form", { name: `Edit !${commandPath}` });
      await form.getByLabel("User cooldown (seconds)").fill("0");
      await form.getByLabel("Cost (points)").fill("0");
      await form.getByRole("button", { name: "Save" }).click();
      await page.getByRole("status").getByText(`Saved !${commandPath}.`).waitFor();
      await page.reload();
      const row = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: new RegExp(`^!${commandPath}( \\(|$)`) }) });
      await row.getByRole("cell").nth(2).filter({ hasText: "none" }).waitFor();
      await page.getByRole("button", { name: `Edit !${commandPath}`, exact: true }).click();
      const value = await page.getByRole("form", { name: `Edit !${commandPath}` }).getByLabel("User cooldown (seconds)").inputValue();
      expect(value === "0", `after a reload the cooldown reads "${value}"`);
    });

    // --- h-modules: module settings (decision 0078). No seeding needed: DEFAULT_MODULES
    // installs shoutout in the demo community, and its manifest has a settings_schema.
    await step("module settings: change a setting through the form and see it saved", async () => {
      await page.goto(`${url}/c/${cid}/modules`);
      await page.getByRole("heading", { level: 1, name: "Modules" }).waitFor();
      const open = page.getByRole("button", { name: "Settings of shoutout" });
      await open.click();
      const form = page.getByRole("form", { name: "Settings for shoutout" });
      const field = form.getByLabel("Seconds between shoutouts of one channel");
      await field.fill("120");
      await form.getByRole("button", { name: "Save settings" }).click();
      await page.getByRole("status").getByText("Saved the settings of shoutout.").waitFor();
      await page.reload();
      await page.getByRole("button", { name: "Settings of shoutout" }).click();
      const saved = await page.getByRole("form", { name: "Settings for shoutout" }).getByLabel("Seconds between shoutouts of one channel").inputValue();
      expect(saved === "120", `after a reload the shoutout cooldown reads "${saved}"`);
    });
    // --- end h-modules

    await step("the chat simulator answers in the log", async () => {
      await page.goto(`${url}/c/${cid}/simulator`);
      await page.getByLabel("Message").fill("!commands");
      await page.getByRole("button", { name: "Send" }).click();
      const log = page.getByRole("log");
      await page.waitForFunction(() => {
        const text = document.querySelector("[role=log]")?.textContent ?? "";
        return !text.includes("Waiting for the bot") && /Bot:|Note:/.test(text);
      }, null, { timeout: 20_000 });
      const text = (await log.textContent()) ?? "";
      expect(/Bot:/.test(text), `no bot answer in the log: ${text.slice(0, 300)}`);
      expect(!/Error:/.test(text), `the simulator answered an error: ${text.slice(0, 300)}`);
      console.log(`     log: ${text.replace(/\s+/g, " ").slice(0, 160)}`);
    });

    await step("AI settings: a test prompt is answered (through the simulator)", async () => {
      await page.goto(`${url}/c/${cid}/ai`);
      await page.getByLabel("Prompt", { exact: true }).fill("what is a penguin?");
      await page.getByRole("button", { name: "Try it" }).click();
      const output = page.getByRole("status", { name: "AI answer" });
      await page.waitForFunction(() => (document.querySelector("output.answer")?.textContent ?? "").trim() !== "", null, {
        timeout: 20_000,
      });
      const text = ((await output.textContent()) ?? "").trim();
      expect(!/^Could not ask/.test(text), `the test prompt failed: ${text.slice(0, 200)}`);
      console.log(`     answer: ${text.slice(0, 160)}`);
    });

    await step("the dashboard's feed shows a simulator line live (SSE)", async () => {
      await page.goto(`${url}/c/${cid}`);
      await page.getByRole("status").filter({ hasText: "Live" }).waitFor({ timeout: 10_000 });
      const status = await page.evaluate(async (c) => {
        const csrf = document.cookie.split("; ").find((p) => p.startsWith("csrf_token="))?.split("=")[1] ?? "";
        const answer = await fetch(`/portal/api/v1/communities/${c}/simulate`, {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": decodeURIComponent(csrf) },
          body: JSON.stringify({ text: "!help", user: { username: "feedcheck", role: "everyone" } }),
        });
        return answer.status;
      }, cid);
      expect(status === 200, `simulate answered ${status}`);
      await page.getByRole("list").getByText(/feedcheck \(everyone\) in the simulator/).waitFor({ timeout: 10_000 });
    });

    await step("song requests from chat (!sr, fake YouTube API); skip plays the next; Undo brings it back", async () => {
      // The seed goes the chat path: `!sr <video url>` through the portal's simulator → router → youtube_music.
      const said = await page.evaluate(async ({ c, ids }) => {
        const csrf = document.cookie.split("; ").find((p) => p.startsWith("csrf_token="))?.split("=")[1] ?? "";
        const out = [];
        for (const [n, id] of ids.entries()) {
          const answer = await fetch(`/portal/api/v1/communities/${c}/simulate`, {
            method: "POST",
            headers: { "Content-Type": "application/json", "X-CSRF-Token": decodeURIComponent(csrf) },
            body: JSON.stringify({ text: `!sr https://youtu.be/${id}`, user: { username: `fan${n}`, role: "everyone" } }),
          });
          const body = await answer.json();
          out.push(`${answer.status} ${(body.responses ?? []).map((r) => r.text).join(" ")}`);
        }
        return out;
      }, { c: cid, ids: VIDEOS.map(([id]) => id) });
      console.log(`     chat: ${said.join(" | ")}`);
      expect(said[0].startsWith("200 Now playing \"Penguin Polka\""), `the first !sr: ${said[0]}`);
      expect(said.slice(1).every((line, n) => line.startsWith(`200 Added "${VIDEOS[n + 1][1]}"`)), `the next !sr: ${said.slice(1).join(" | ")}`);
      await page.goto(`${url}/c/${cid}/songs`);
      const playing = page.getByRole("region", { name: "Now playing" });
      await playing.getByRole("button", { name: "Skip Penguin Polka" }).click();
      await playing.getByRole("button", { name: "Skip Ice Ice Baby" }).waitFor();
      const toast = page.getByRole("status").filter({ hasText: "Skipped “Penguin Polka”" });
      const words = (await toast.textContent()) ?? "";
      expect(/Undo within 30\ss/.test(words), `the toast says: ${words}`);
      await axe(page, "song queue with the Undo toast");
      await page.setViewportSize({ width: 375, height: 740 });
      await page.screenshot({ path: join(shots, "songs-undo-375.png") });
      await page.setViewportSize({ width: 1280, height: 860 });
      await page.getByRole("button", { name: "Undo" }).click();
      await playing.getByRole("button", { name: "Skip Penguin Polka" }).waitFor();
      await page.getByRole("list", { name: "Up next" }).getByRole("link", { name: "Ice Ice Baby" }).waitFor();
      // The server agrees (not only the cache): the skipped song plays again.
      const queue = await page.evaluate(async (c) => (await (await fetch(`/portal/api/v1/communities/${c}/songs`)).json()).items.map((s) => `${s.title}:${s.state}`), cid);
      expect(queue.join(",") === "Penguin Polka:playing,Ice Ice Baby:queued,Snow Day Serenade:queued", `the queue on the server: ${queue.join(", ")}`);
    });

    await step("the overlay's live preview shows a test alert", async () => {
      await page.goto(`${url}/c/${cid}/overlays`);
      const card = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: "alerts" }) });
      await card.getByRole("button", { name: "Preview" }).click();
      const frame = page.frameLocator('iframe[title="Preview of the alerts overlay"]');
      await frame.locator("body[data-connected=true]").waitFor({ state: "attached", timeout: 10_000 });
      const src = await page.locator('iframe[title="Preview of the alerts overlay"]').getAttribute("src");
      expect(src?.startsWith("/browser_source/overlay/") && src.endsWith("/alerts?preview=1") && !src.includes("•"), `the preview frame's src: ${src}`);
      await card.getByRole("button", { name: "Send a test alert" }).click();
      await frame.locator("#overlay .alert", { hasText: "Test follower just followed!" }).waitFor({ timeout: 10_000 });
      await axe(page, "overlays with the preview open");
      await page.screenshot({ path: join(shots, "overlays-preview-desktop.png"), fullPage: true });
      await page.setViewportSize({ width: 375, height: 740 });
      await page.screenshot({ path: join(shots, "overlays-preview-375.png"), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 860 });
    });

    for (const [path, title] of SCREENS) {
      await step(`screen ${title}: one h1, title, axe (no serious), desktop + 375 px screenshots`, async () => {
        await page.setViewportSize({ width: 1280, height: 860 });
        await page.goto(`${url}/c/${cid}${path ? `/${path}` : ""}`);
        await oneH1(page, title);
        await page.waitForFunction(() => !document.querySelector(".state-loading"), null, { timeout: 15_000 });
        const name = path || "dashboard";
        await axe(page, title);
        await page.screenshot({ path: join(shots, `${name}-desktop.png`), fullPage: true });
        await page.setViewportSize({ width: 375, height: 740 });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow <= 1, `${title} scrolls sideways at 375 px (${overflow} px too wide)`);
        await page.screenshot({ path: join(shots, `${name}-375.png`), fullPage: true });
      });
    }

    await step("keyboard: the skip link and the menu work without a mouse at 375 px", async () => {
      await page.setViewportSize({ width: 375, height: 740 });
      await page.goto(`${url}/c/${cid}`);
      await page.getByRole("heading", { level: 1, name: "Dashboard" }).waitFor();
      await page.keyboard.press("Tab");
      const first = await page.evaluate(() => document.activeElement?.textContent);
      expect(first === "Skip to main content", `first Tab stop: ${first}`);
      await page.getByRole("button", { name: "Menu" }).focus();
      await page.keyboard.press("Enter");
      await page.getByRole("link", { name: "Commands" }).focus();
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { level: 1, name: "Commands" }).waitFor();
      await page.getByRole("button", { name: "Menu" }).focus();
      await page.keyboard.press("Enter");
      await page.screenshot({ path: join(shots, "menu-375.png") });
    });

    await step("no uncaught error in the page", async () => {
      expect(pageErrors.length === 0, pageErrors.join("\n"));
    });
  } finally {
    if (browser) await browser.close();
    stop();
    writeFileSync(join(here, "screenshots", "server.log"), Buffer.concat(out));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main()
  .catch((error) => {
    results.failed += 1;
    console.log(`FAIL e2e set-up: ${error instanceof Error ? error.message : error}`);
  })
  .finally(() => {
    if (results.skipped.length) console.log(`skipped ${results.skipped.length}: ${results.skipped.join("; ")}`);
    console.log(`e2e (Playwright, Chromium): ${Date.now() - started} ms`);
    console.log(`${results.passed} passed, ${results.failed} failed`);
    process.exit(results.failed ? 1 : 0);
  });
