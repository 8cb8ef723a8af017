"""The router's own commands: !help, !commands, !modules.

They need only what `Host` and `Command` describe (the Router and its Work satisfy
them), so this module does not import the router it serves.
"""

from __future__ import annotations

from typing import Any, Protocol

from flask_core.events import Event, Manifest, ManifestCommand, role_rank
from flask_core.message_limits import fit, message_limit
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

    event: Event
    community_id: int
    match: Match[CommandSpec] | None


MANIFEST = Manifest(
    name="router",
    version="0.1.0",
    description="Built-in commands of the router",
    commands=[
        ManifestCommand(path="help", description="How to use a command", usage="!help [command]"),
        ManifestCommand(
            path="commands", description="The commands this community can use", usage="!commands"
        ),
        ManifestCommand(path="modules", description="What the bot can do here", usage="!modules"),
    ],
)


def _may_use(spec: CommandSpec, roles: list[str]) -> bool:
    return spec.enabled and max((role_rank(r) for r in roles), default=0) >= role_rank(spec.role)


def _usage(spec: CommandSpec) -> str:
    usage = spec.usage or f"!{spec.path}"
    return f"{usage} (also {', '.join(spec.aliases)})" if spec.aliases else usage


def help_text(table: dict[str, CommandSpec], wanted: str, roles: list[str]) -> str:
    """`!help <command>`: its usage and what it does, then the subcommands the caller may use."""
    spec = table.get(wanted)
    if spec is None or not spec.enabled:
        return f"No command !{wanted} here. Type !commands for the list."
    role = "" if spec.role == "everyone" else f" ({spec.role} or higher)"
    text = f"{_usage(spec)}: {spec.description}{role}".strip()
    subcommands = [
        _usage(sub)
        for path, sub in sorted(table.items())
        if path.startswith(f"{spec.path} ") and path == sub.path and _may_use(sub, roles)
    ]
    if subcommands:
        text += " | Also: " + " | ".join(subcommands)
    return text


def modules_text(router: Host, enabled: list[str], limit: int | None = None) -> str:
    """`!modules`: each enabled module by what it does and the commands it brings.

    When that does not fit one message (`limit`), each module by name and commands only,
    so the list is never cut off (a streamer with every module enabled sees them all).
    """
    described, named = [], []
    for name in enabled:
        manifest = router.registry.manifests[name]
        tops = sorted({c.path.split(" ", 1)[0] for c in manifest.commands})
        what = manifest.description.rstrip(".") or name
        commands = f" ({', '.join(f'!{t}' for t in tops)})" if tops else ""
        described.append(f"{what}{commands}")
        named.append(f"{name}{commands}")
    if not described:
        return "No modules are enabled here; only !help, !commands and !modules work."
    text = "Here I do: " + "; ".join(described) + ". Type !help <command> for details."
    if limit is not None and len(text) > limit:
        text = "Modules: " + "; ".join(named) + ". Type !help <command> for details."
    return text


async def answer(router: Host, work: Command) -> list[dict[str, Any]]:
    assert work.match is not None
    table = await router.table(work.community_id)
    roles: list[str] = list(work.event.user.roles)
    text = ""
    match work.match.spec.path:
        case "help":
            wanted = " ".join(a.lower().lstrip("!") for a in work.match.args[:3])
            if not wanted:
                text = "Type !commands to see what I can do, and !help <command> for details."
            else:
                text = help_text(table, wanted, roles)
        case "commands":
            names = sorted({path.split(" ", 1)[0] for path, spec in table.items() if spec.enabled})
            text = "Commands: " + ", ".join(f"!{n}" for n in names)
        case "modules":
            config = await load_config(router.res, work.community_id, router.settings.router_table_ttl)
            enabled = [m for m in config["modules"] if m in router.registry.manifests]
            text = modules_text(router, enabled, message_limit(work.event.platform))
    return [{"type": "chat", "text": fit(text, work.event.platform)}] if text else []
