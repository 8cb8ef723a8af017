"""The router's own commands: !help, !commands, !modules.

They need only what `Host` and `Command` describe (the Router and its Work satisfy
them), so this module does not import the router it serves.
"""

from __future__ import annotations

from typing import Any, Protocol

from flask_core.events import Manifest, ManifestCommand
from flask_core.resources import Resources

from .communities import load_config
from .parsing import Match
from .registry import CommandSpec, ModuleRegistry
from .settings import RouterSettings


class Host(Protocol):
    """What the built-ins read: the command table, the registry and the settings."""

    res: Resources
    settings: RouterSettings
    registry: ModuleRegistry

    async def table(self, community_id: int) -> dict[str, CommandSpec]: ...


class Command(Protocol):
    """The matched command being answered and its community."""

    community_id: int
    match: Match[CommandSpec] | None


MAX_TEXT = 450

MANIFEST = Manifest(
    name="router",
    version="0.1.0",
    description="Built-in commands of the router",
    commands=[
        ManifestCommand(path="help", description="How to use a command", usage="!help [command]"),
        ManifestCommand(
            path="commands", description="The commands this community can use", usage="!commands"
        ),
        ManifestCommand(path="modules", description="The modules enabled here", usage="!modules"),
    ],
)


def _chat(text: str) -> list[dict[str, Any]]:
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1].rsplit(" ", 1)[0] + "…"
    return [{"type": "chat", "text": text}]


async def answer(router: Host, work: Command) -> list[dict[str, Any]]:
    assert work.match is not None
    table = await router.table(work.community_id)
    match work.match.path:
        case "help":
            wanted = " ".join(a.lower().lstrip("!") for a in work.match.args[:3])
            if not wanted:
                return _chat("Type !commands to see what I can do, and !help <command> for details.")
            spec = table.get(wanted)
            if spec is None or not spec.enabled:
                return _chat(f"No command !{wanted} here. Type !commands for the list.")
            role = "" if spec.role == "everyone" else f" ({spec.role} or higher)"
            usage = spec.usage or f"!{spec.path}"
            return _chat(f"{usage}: {spec.description}{role}".strip())
        case "commands":
            names = sorted({path.split(" ", 1)[0] for path, spec in table.items() if spec.enabled})
            return _chat("Commands: " + ", ".join(f"!{n}" for n in names))
        case "modules":
            config = await load_config(router.res, work.community_id, router.settings.router_table_ttl)
            enabled = [m for m in config["modules"] if m in router.registry.manifests]
            return _chat("Modules: " + (", ".join(enabled) if enabled else "none enabled"))
    return []
