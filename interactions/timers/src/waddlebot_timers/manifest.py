"""What the timers module offers the router: its commands, roles and handlers (§4.6)."""

from __future__ import annotations

from flask_core import Manifest, ManifestCommand, ModuleSpec

from . import commands
from .commands import DESCRIPTIONS, MODERATOR, USAGES

VERSION = "1.0.0"

MANIFEST = Manifest(
    name="timers",
    version=VERSION,
    description="Timers: messages posted every few minutes while you are live and chat is active.",
    commands=[
        ManifestCommand(path=path, description=DESCRIPTIONS[path], usage=usage, role=MODERATOR)
        for path, usage in USAGES.items()
    ],
    events=["chat_message", "stream_online", "stream_offline"],
)

SPEC = ModuleSpec(
    manifest=MANIFEST,
    commands={
        "timer": commands.usage,
        "timer add": commands.add,
        "timer remove": commands.remove,
        "timer list": commands.list_timers,
        "timer on": commands.switch_on,
        "timer off": commands.switch_off,
    },
    events={
        "chat_message": commands.on_chat,
        "stream_online": commands.on_stream_online,
        "stream_offline": commands.on_stream_offline,
    },
)
