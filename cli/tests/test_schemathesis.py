"""schemathesis over every installed service's OpenAPI on a running fleet.

The services are the ones discovered at run time (entry points), so a new service is
covered the moment it is installed. The run is bounded: a few examples per operation,
every service in parallel, once, on the production backend (PostgreSQL + Redis): what
it checks is the HTTP contract, which both backends share, and a second run doubled the
longest test in the suite (storage behaviour is tested on both backends elsewhere). Any 5xx, or an answer its operation does not declare (status,
content type or schema), fails the test with schemathesis's report.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from flask_core.testing import TEST_SECRET
from waddlebot_cli.testing import Fleet

HERE = Path(__file__).parent
EXAMPLES = 4  # per operation and phase
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "ignored_auth",  # an operation that declares a credential refuses requests without it
    ]
)


async def run_schemathesis(url: str, prefix: str, report: Path) -> tuple[int, str]:
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
        "WB_TEST_SECRET": TEST_SECRET,
        "NO_COLOR": "1",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "schemathesis.cli", "run", f"{url}/{prefix}/openapi.json",
        "--url", url,
        "--checks", CHECKS,
        "--max-examples", str(EXAMPLES),
        "--phases", "examples,coverage,fuzzing",
        "--seed", "1",
        "--workers", "1",
        "--generation-database", "none",
        "--request-timeout", "30",  # also the spec's load: every service at once on 2 slow cores
        "--suppress-health-check", "all",
        "--no-color",
        "--report-dir", str(report),
        env=env,
        cwd=report.parent,  # its crash cache (.schemathesis/) stays out of the working tree
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode(errors="replace")


@pytest.mark.parametrize("backend", ["fleet"], indirect=True)  # once, on PostgreSQL + Redis (CI budget)
async def test_every_service_passes_schemathesis(whole_fleet_on_backend: Fleet, tmp_path: Path) -> None:
    whole_fleet = whole_fleet_on_backend
    prefixes = list(whole_fleet.dispatcher.apps)
    assert {"router", "memories"} <= set(prefixes)
    results = await asyncio.gather(*(run_schemathesis(whole_fleet.url, p, tmp_path / p) for p in prefixes))
    failed = {p: _short(out) for p, (code, out) in zip(prefixes, results, strict=True) if code != 0}
    assert not failed, "\n\n".join(f"==== {p}\n{out}" for p, out in failed.items())


def _short(out: str) -> str:
    """The report with its generated bodies cut short (they can be kilobytes of one line)."""
    return "\n".join(line if len(line) < 400 else line[:400] + " …" for line in out.splitlines())[-12000:]
