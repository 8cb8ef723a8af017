"""`waddlebot fleet` (`make fleet`): one process per installed service, plus the proxy.

What compose and Kubernetes run, minus the containers: `waddlebot migrate` once, then
`waddlebot serve <prefix>` for every installed service of the table on its fleet port
(`<PREFIX>_URL` of every service points at those ports; modules first, the rest once
they answer `/healthz`), then `waddlebot proxy` on PORT. Every line a process writes
is prefixed with its name. A service that exits on its own is started again after
`FLEET_RESTART_DELAY` seconds (doubling while it keeps failing within a minute, up to
30 s), as compose's `restart: unless-stopped` and a
Deployment would. Ctrl-C or SIGTERM stops every process (SIGTERM, then SIGKILL after
`FLEET_STOP_TIMEOUT` seconds).

`FLEET_PORTS=auto` picks free ports instead of the table's (tests, or a second fleet
on one machine). The ports stay reserved by the supervisor (bound, not listening), so
nothing else takes them while a service restarts, and a stopped service refuses
connections instead of leaving them hanging.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import socket
import sys
import time
from dataclasses import dataclass, field

from flask_core import service_table
from flask_core.settings import inherited_env

RESTART_CAP = 30.0
NAME_WIDTH = 14


class FleetRefused(Exception):
    """The fleet cannot start (missing DATABASE_URL / REDIS_URL, ports taken)."""


def required_env(environ: dict[str, str]) -> None:
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not environ.get(name)]
    if missing:
        raise FleetRefused(
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: the fleet runs "
            "against PostgreSQL and Redis (e.g. DATABASE_URL=postgresql://user:pw@127.0.0.1/waddlebot "
            "REDIS_URL=redis://127.0.0.1:6379/0 make fleet); `make run` needs neither"
        )


def fleet_services() -> list[service_table.Service]:
    """The installed rows of the table, in table order."""
    present = service_table.installed()
    return [s for s in service_table.SERVICES if s.prefix in present]


def reserve(port: int, host: str = "127.0.0.1") -> socket.socket:
    """Bind (not listen) so nothing else takes the port; children bind it too (SO_REUSEADDR)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise FleetRefused(f"port {port} is not free ({exc.strerror}); set FLEET_PORTS=auto") from None
    return sock


def plan_ports(
    services: list[service_table.Service], auto: bool
) -> tuple[dict[str, int], list[socket.socket]]:
    """{prefix: port} and the sockets that reserve them."""
    ports: dict[str, int] = {}
    held: list[socket.socket] = []
    try:
        for svc in services:
            sock = reserve(0 if auto else svc.port)
            held.append(sock)
            ports[svc.prefix] = int(sock.getsockname()[1])
    except FleetRefused:
        for sock in held:
            sock.close()
        raise
    return ports, held


def service_env(base: dict[str, str], ports: dict[str, int]) -> dict[str, str]:
    """The environment every process shares: each service's URL on its fleet port."""
    env = dict(base)
    for prefix, port in ports.items():
        env[f"{prefix.upper()}_URL"] = f"http://127.0.0.1:{port}"
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    restart: bool = True
    first: bool = False  # a module: started, and healthy, before the router reads manifests
    process: asyncio.subprocess.Process | None = None
    started_at: float = 0.0
    delay: float = 1.0
    pumps: list[asyncio.Task[None]] = field(default_factory=list)


def _write(name: str, line: bytes) -> None:
    sys.stdout.buffer.write(f"{name:<{NAME_WIDTH}}| ".encode() + line.rstrip(b"\n") + b"\n")
    sys.stdout.flush()


async def _pump(name: str, stream: asyncio.StreamReader) -> None:
    while line := await stream.readline():
        _write(name, line)


async def start(child: Child) -> None:
    child.process = await asyncio.create_subprocess_exec(
        *child.argv,
        env=child.env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        limit=1024 * 1024,
    )
    child.started_at = time.monotonic()
    assert child.process.stdout is not None
    child.pumps = [asyncio.create_task(_pump(child.name, child.process.stdout))]
    _write("fleet", f"started {child.name} (pid {child.process.pid})".encode())


async def run_once(name: str, argv: list[str], env: dict[str, str]) -> int:
    child = Child(name, argv, env, restart=False)
    await start(child)
    assert child.process is not None
    code = await child.process.wait()
    await asyncio.gather(*child.pumps)
    return code


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "waddlebot_cli.main", *args]


async def wait_healthy(children: list[Child], within: float, stop: asyncio.Event) -> None:
    """Until every child answers `/healthz` on its PORT (or `within` seconds have passed)."""
    import httpx

    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with httpx.AsyncClient(timeout=1) as client:
        for child in children:
            url = f"http://127.0.0.1:{child.env['PORT']}/healthz"
            while loop.time() < deadline and not stop.is_set():
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(url)).status_code == 200:
                        break
                await asyncio.sleep(0.2)


async def supervise(children: list[Child], stop: asyncio.Event, restart_delay: float) -> None:
    """Start every child; start again one that exits on its own; return when `stop` is set.

    Modules start first and the rest once they answer `/healthz`, so the router finds
    their manifests at its first probe instead of a `ROUTER_MANIFEST_INTERVAL` later.
    """
    first = [c for c in children if c.first]
    for child in first:
        child.delay = restart_delay
        await start(child)
    await wait_healthy(first, 60.0, stop)
    for child in children:
        if not child.first and not stop.is_set():
            child.delay = restart_delay
            await start(child)

    async def watch(child: Child) -> None:
        while not stop.is_set():
            assert child.process is not None
            code = await child.process.wait()
            if stop.is_set():
                return
            again = f"{child.name} exited with {code}; starting it again in {child.delay:g} s"
            _write("fleet", again.encode())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), child.delay)
            if stop.is_set():
                return
            quick = time.monotonic() - child.started_at < 60
            child.delay = min(RESTART_CAP, child.delay * 2) if quick else restart_delay
            await start(child)

    watchers = [asyncio.create_task(watch(c)) for c in children if c.restart and c.process is not None]
    await stop.wait()
    for task in watchers:
        task.cancel()
    await asyncio.gather(*watchers, return_exceptions=True)


async def stop_all(children: list[Child], grace: float) -> None:
    running = [c for c in children if c.process is not None and c.process.returncode is None]
    for child in running:
        assert child.process is not None
        with contextlib.suppress(ProcessLookupError):
            child.process.send_signal(signal.SIGTERM)

    async def wait(child: Child) -> None:
        assert child.process is not None
        try:
            await asyncio.wait_for(child.process.wait(), grace)
        except TimeoutError:
            _write("fleet", f"{child.name} did not stop within {grace:g} s; killing it".encode())
            with contextlib.suppress(ProcessLookupError):
                child.process.kill()
            await child.process.wait()

    await asyncio.gather(*(wait(c) for c in running))
    await asyncio.gather(*(p for c in children for p in c.pumps), return_exceptions=True)


async def run_fleet(environ: dict[str, str]) -> int:
    required_env(environ)
    services = fleet_services()
    if not services:
        raise FleetRefused("no service of the table is installed here")
    auto = environ.get("FLEET_PORTS", "").lower() == "auto"
    ports, held = plan_ports(services, auto)
    public = int(environ.get("PORT", "8080"))
    proxy_sock = reserve(public, environ.get("HOST", "127.0.0.1"))
    held.append(proxy_sock)
    try:
        env = service_env(environ, ports)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        _write("fleet", b"running waddlebot migrate")
        code = await run_once("migrate", command("migrate"), env)
        if code != 0:
            _write("fleet", f"waddlebot migrate failed with {code}; not starting the fleet".encode())
            return code
        if stop.is_set():
            return 0
        children = [
            Child(
                s.prefix,
                command("serve", s.prefix),
                {**env, "HOST": "127.0.0.1", "PORT": str(port)},
                first=s.serves_commands,
            )
            for s in services
            if (port := ports[s.prefix])
        ]
        children.append(Child("proxy", command("proxy"), {**env, "PORT": str(public)}))
        summary = ", ".join(f"{p}:{n}" for p, n in ports.items())
        _write("fleet", f"services on {summary}; proxy on {env.get('HOST', '127.0.0.1')}:{public}".encode())
        restart_delay = float(environ.get("FLEET_RESTART_DELAY", "1"))
        try:
            await supervise(children, stop, restart_delay)
        finally:
            _write("fleet", b"stopping every process")
            await stop_all(children, float(environ.get("FLEET_STOP_TIMEOUT", "20")))
        _write("fleet", b"stopped")
        return 0
    finally:
        for sock in held:
            sock.close()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    fleet = sub.add_parser("fleet", help="one process per installed service plus the proxy on PORT")
    fleet.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(run_fleet(inherited_env(lambda _name: True)))  # the children's hand-off
    except FleetRefused as exc:
        print(f"waddlebot fleet: {exc}", file=sys.stderr)
        return 2
