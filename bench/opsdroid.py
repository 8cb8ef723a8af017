"""opsdroid on the same machine, in the same run: the bar issue 19 sets.

opsdroid (the best-known Python chat-ops framework) does not install on Python 3.13, so
the bench makes a throwaway venv with a Python 3.11 it finds (`python3.11` on PATH, or
pyenv's) under `var/bench/` (kept between runs; `rm -r var/bench` to rebuild) and installs
opsdroid from PyPI into it. A one-line skill answers `!quote` with a fixed quote; the
load generator talks to opsdroid's websocket connector the way its clients do
(`POST /connector/websocket` for a socket id, then the websocket), 32 connections in a
closed loop, every answer checked. Nothing of opsdroid is committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import json
import shutil
import subprocess
from pathlib import Path

import aiohttp
import httpx

from bench.loadgen import REQUEST_TIMEOUT, LoadSpec, RepResult, _Recorder
from bench.servers import Server, clean_env, free_port
from bench.settings import BenchSettings
from bench.workload import Kind, Request

VERSION = "0.31.0"
#: opsdroid 0.31 imports pkg_resources, which newer setuptools no longer ship.
SETUPTOOLS = "setuptools>=76,<81"
QUOTE = 'Quote #1: "Never give up" - Waddles'
SKILL = f"""from opsdroid.matchers import match_regex
from opsdroid.skill import Skill


class Quote(Skill):
    @match_regex(r"^!quote")
    async def quote(self, message):
        await message.respond({QUOTE!r})
"""
CONFIG = """logging:
  level: error
  console: true
welcome-message: false
web:
  host: 127.0.0.1
  port: {port}
connectors:
  websocket:
    max-connections: 256
    connection-timeout: 60
skills:
  quote:
    path: {skill}
"""


class Unavailable(Exception):
    """opsdroid cannot be measured here; the message says why (printed, not fatal)."""


def python311() -> str:
    found = shutil.which("python3.11")
    if found:
        return found
    root = Path(BenchSettings().pyenv_root).expanduser()
    for candidate in sorted(
        glob.glob(str(root / "versions" / "3.11.*" / "bin" / "python3.11")), reverse=True
    ):
        return candidate
    raise Unavailable("no Python 3.11 (python3.11 on PATH or pyenv's) to install opsdroid with")


def ensure_venv(cache: Path) -> Path:
    """The venv with opsdroid (made and installed once; later runs reuse it).

    It counts as installed only once opsdroid's loader imports in it (a `.installed`
    mark): a venv left half-made by an interrupted or older install is made again.
    """
    venv = cache / f"opsdroid-{VERSION}"
    program = venv / "bin" / "opsdroid"
    mark = venv / ".installed"
    if program.exists() and mark.exists():
        return program
    shutil.rmtree(venv, ignore_errors=True)
    cache.mkdir(parents=True, exist_ok=True)
    print(f"  (installing opsdroid {VERSION} from PyPI into {venv}: once, about 2 minutes)", flush=True)
    pip = [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check"]
    try:
        subprocess.run([python311(), "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120)
        install = [*pip, f"opsdroid=={VERSION}", SETUPTOOLS]
        subprocess.run(install, check=True, capture_output=True, timeout=900)
        check = [str(venv / "bin" / "python"), "-c", "import opsdroid.loader"]
        subprocess.run(check, check=True, capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        shutil.rmtree(venv, ignore_errors=True)
        detail = getattr(exc, "stderr", b"") or b""
        raise Unavailable(
            f"opsdroid did not install: {exc} {detail.decode(errors='replace')[-300:]}"
        ) from exc
    mark.write_text(f"opsdroid=={VERSION} {SETUPTOOLS}\n", encoding="utf-8")
    return program


def opsdroid_ready(client: httpx.Client, url: str) -> bool:
    return client.get(url + "/").status_code == 200


def opsdroid_server(workdir: Path, cache: Path) -> Server:
    program = ensure_venv(cache)
    skill = workdir / "opsdroid-skill" / "quote"
    skill.mkdir(parents=True)
    (skill / "__init__.py").write_text(SKILL)
    port = free_port()
    config = workdir / "opsdroid.yaml"
    config.write_text(CONFIG.format(port=port, skill=skill))
    env = clean_env({"HOME": str(workdir), "XDG_CONFIG_HOME": str(workdir / "xdg")})
    argv = [str(program), "start", "-f", str(config)]
    return Server("opsdroid", argv, env, workdir / "opsdroid.log", port)


def run_ws_rep(spec: LoadSpec) -> RepResult:
    """One closed-loop repetition over opsdroid's websocket connector (in the generator process)."""
    return asyncio.run(_ws_run(spec))


async def _ws_run(spec: LoadSpec) -> RepResult:
    loop = asyncio.get_running_loop()
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    async with aiohttp.ClientSession(spec.base_url, timeout=timeout) as session:
        sockets = [await _open(session) for _ in range(spec.concurrency)]
        start = loop.time() + 0.05
        rec = _Recorder(spec, start + spec.warmup, start + spec.warmup + spec.duration)
        sampler = asyncio.create_task(rec.sample_usage())
        await asyncio.sleep(max(0.0, start - loop.time()))
        try:
            await asyncio.gather(*(_converse(ws, socket, n, rec) for n, (ws, socket) in enumerate(sockets)))
        finally:
            for ws, _ in sockets:
                with contextlib.suppress(Exception):
                    await ws.close()
        await sampler
    return rec.result()


async def _open(session: aiohttp.ClientSession) -> tuple[aiohttp.ClientWebSocketResponse, str]:
    async with session.post("/connector/websocket") as answer:
        socket = str(json.loads(await answer.text())["socket"])
    return await session.ws_connect(f"/connector/websocket/{socket}"), socket


async def _converse(ws: aiohttp.ClientWebSocketResponse, socket: str, n: int, rec: _Recorder) -> None:
    """One connection: `!quote`, wait for the answer, again. The JSON form names the socket
    (plain text would make opsdroid answer on its first connection)."""
    loop = asyncio.get_running_loop()
    request = Request(body=b"!quote", expected=[], events=1)
    payload = json.dumps({"message": "!quote", "user": f"viewer{n}", "socket": socket})
    while loop.time() < rec.hi:
        sent = loop.time()
        problems: list[str] = []
        try:
            await ws.send_str(payload)
            message = await ws.receive(timeout=REQUEST_TIMEOUT)
            if message.type != aiohttp.WSMsgType.TEXT or message.data != QUOTE:
                problems.append(f"unexpected answer: {str(message.data)[:80]}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            problems.append(f"{type(exc).__name__}: {exc}")
        rec.add(sent, loop.time(), request, problems)
        if problems and ws.closed:
            return


def ws_spec(
    server: Server, run_id: str, tag: str, concurrency: int, warmup: float, duration: float
) -> LoadSpec:
    return LoadSpec(
        base_url=server.url,
        kind=Kind.ECHO,
        run_id=run_id,
        tag=tag,
        token=None,
        concurrency=concurrency,
        rate=0.0,
        warmup=warmup,
        duration=duration,
        server_pid=server.pid,
    )
