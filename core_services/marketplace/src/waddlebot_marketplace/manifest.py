"""The marketplace's chat commands: `!module enable|disable <name>` (broadcaster, §11).

`!modules` stays the router's built-in, reading the table this service owns.
"""

from __future__ import annotations

from flask_core import Manifest, ManifestCommand, ModuleSpec
from flask_core.errors import ServiceError
from flask_core.events import CommandRequest
from flask_core.module import Responses, chat
from flask_core.resources import Resources

from . import ops

VERSION = "0.1.0"


async def _toggle(res: Resources, request: CommandRequest, enabled: bool) -> Responses:
    verb = "enable" if enabled else "disable"
    if not request.args:
        return chat(f"Usage: !module {verb} <name>. Type !modules to see what is enabled.")
    name = request.args[0].lower().lstrip("!")[:64]
    try:
        done = await ops.install(res, int(request.community_id), name, enabled=enabled)
    except ServiceError as exc:
        if exc.code == "not_found":
            return chat(f"There is no module called {name}.")
        if exc.code == "core_module":
            return chat(f"{name} is always on.")
        if exc.code == "command_conflict":
            others = ", ".join((exc.details or {}).get("conflicts_with", [])) or "a core service"
            return chat(f"{name} cannot be enabled: its commands clash with {others}.")
        raise
    if not enabled:
        return chat(f"Module {name} disabled.")
    also = f" ({', '.join(done.disabled)} disabled: they answer the same commands)" if done.disabled else ""
    return chat(f"Module {name} enabled{also}.")


async def enable(res: Resources, request: CommandRequest) -> Responses:
    return await _toggle(res, request, True)


async def disable(res: Resources, request: CommandRequest) -> Responses:
    return await _toggle(res, request, False)


MANIFEST = Manifest(
    name="marketplace",
    version=VERSION,
    description="Modules per community",
    commands=[
        ManifestCommand(
            path="module enable", role="broadcaster", description="Turn a module on here.",
            usage="!module enable <name>",
        ),
        ManifestCommand(
            path="module disable", role="broadcaster", description="Turn a module off here.",
            usage="!module disable <name>",
        ),
    ],
)  # fmt: skip
SPEC = ModuleSpec(manifest=MANIFEST, commands={"module enable": enable, "module disable": disable})
