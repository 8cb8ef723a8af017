"""What the AI service adds to one completion, over calling the provider directly.

A fake Ollama (answering at once, in its own process) serves `POST /api/chat` and, for
the key check, identity's `POST /identity/api/v1/keys:verify`; the AI service runs alone
(`waddlebot serve ai`, SQLite, in-process cache) in another. One client sends the same
question sequentially, one request at a time, to both:

- directly: `POST {fake}/api/chat` with the body the service sends;
- through the service: `POST {ai}/ai/v1/chat/completions` with a user API key (its
  verification is cached, so after the first call no identity round trip is made).

The figure is p50(service) - p50(direct) per repetition: the service's own cost (our HTTP
hop, validation, isolation slots, the OpenAI shape, usage counting). Median of
BENCH_REPS repetitions, spread printed; goal < 2 ms.

    python -m bench.ai            this figure alone
    python -m bench.ai fake PORT  (internal) the fake provider and identity
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.report import Spread, ratio_line
from bench.servers import Server, clean_env, free_port, ready_path
from bench.settings import BenchSettings

GOAL_MS = 2.0
REQUESTS = 400
WARMUP = 50
KEY = "wbk_bench.secret"
QUESTION = [{"role": "user", "content": "what is the lore?"}]
ANSWER = {
    "model": "llama3.2", "created_at": "2024-10-01T12:00:00Z",
    "message": {"role": "assistant", "content": "The lore is deep."}, "done_reason": "stop", "done": True,
    "total_duration": 1000, "prompt_eval_count": 12, "eval_count": 5,
}  # fmt: skip


def serve_fake(port: int) -> None:
    """The fake provider and identity (aiohttp), until interrupted."""
    from aiohttp import web

    async def chat(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response(ANSWER)

    async def verify(request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("key") != KEY:
            return web.json_response({"error": {"code": "unauthorized"}}, status=401)
        return web.json_response({"key_id": "bench", "user_id": "1", "name": "bench", "expires_at": None})

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/api/chat", chat)
    app.router.add_post("/identity/api/v1/keys:verify", verify)
    app.router.add_get("/healthz", health)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


async def _latencies(
    client: httpx.AsyncClient, url: str, body: dict[str, object], headers: dict[str, str]
) -> list[float]:
    out = []
    for n in range(WARMUP + REQUESTS):
        started = time.perf_counter()
        response = await client.post(url, json=body, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")
        if n >= WARMUP:
            out.append(elapsed)
    return out


async def _one_rep(fake: str, ai: str) -> tuple[float, float]:
    """(p50 direct, p50 through the service) in milliseconds."""
    direct_body = {"model": "llama3.2", "messages": QUESTION, "stream": False,
                   "options": {"temperature": 0.7, "num_predict": 2048}}  # fmt: skip
    api_body = {"model": "auto", "messages": QUESTION}
    from httpx_aiohttp import AiohttpTransport

    async with httpx.AsyncClient(transport=AiohttpTransport(), timeout=10) as client:
        direct = await _latencies(client, f"{fake}/api/chat", direct_body, {})
        through = await _latencies(
            client, f"{ai}/ai/v1/chat/completions", api_body, {"Authorization": f"Bearer {KEY}"}
        )
    return statistics.median(direct), statistics.median(through)


def measure_ai(reps: int | None = None) -> Spread:
    """Start both servers, measure `reps` repetitions, print and return the added p50."""
    reps = reps or BenchSettings().bench_reps
    workdir = Path(tempfile.mkdtemp(prefix="wbbench-ai-"))
    fake_port, ai_port = free_port(), free_port()
    fake = Server("fake provider", [sys.executable, "-m", "bench.ai", "fake", str(fake_port)],
                  clean_env({}), workdir / "fake.log", fake_port)  # fmt: skip
    env = clean_env({
        "ENV": "dev", "DATA_DIR": str(workdir / "var"), "PORT": str(ai_port), "LOG_LEVEL": "WARNING",
        "AI_PROVIDER": "ollama", "OLLAMA_HOST": "127.0.0.1", "OLLAMA_PORT": str(fake_port),
        "IDENTITY_URL": f"http://127.0.0.1:{fake_port}",
    })  # fmt: skip
    script = [sys.executable, "-m", "waddlebot_cli.main"]
    ai = Server("ai service", [*script, "serve", "ai"], env, workdir / "ai.log", ai_port)
    try:
        fake.start(ready_path("/healthz"))
        subprocess.run([*script, "migrate"], env=env, check=True, capture_output=True, timeout=120)
        ai.start(ready_path("/healthz"))
        added, pairs = [], []
        for _ in range(reps):
            direct, through = asyncio.run(_one_rep(fake.url, ai.url))
            pairs.append((direct, through))
            added.append(through - direct)
    finally:
        ai.stop()
        fake.stop()
    spread = Spread.of(added)
    detail = ", ".join(f"{d:.2f}→{t:.2f}" for d, t in pairs)
    print(
        f"  ai completion p50 direct→through the service (ms), {reps} runs of {REQUESTS}: {detail}",
        flush=True,
    )
    print(f"  ai: added latency per completion, p50: {spread.show(2)} ms", flush=True)
    return spread


def ai_target_line(spread: Spread) -> str:
    ok = spread.median < GOAL_MS
    return ratio_line(
        "6 ai: added latency per completion (p50)", spread.median, "target < 2 ms", ok, unit=" ms"
    )


def report() -> None:
    """The figure and its target line, as `python -m bench` prints it."""
    print("\nai service")
    print(ai_target_line(measure_ai()))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "fake":
        serve_fake(int(sys.argv[2]))
    else:
        report()
