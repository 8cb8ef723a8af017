"""What the AI module offers the router: `!ai`, `!ask`, and the events it listens to (§4.6).

`chat_message` is subscribed so a line that mentions the bot gets an answer (the check
is a regular expression in this service, decision 0061); follow, subscription, raid and
cheer are greeted when a community turns greetings on (off by default).
"""

from __future__ import annotations

from flask_core import Manifest, ManifestCommand, ModuleSpec

from . import service
from .communities import GREETING_TYPES

VERSION = "0.2.0"

SETTINGS_SCHEMA = {
    "type": "object",
    "properties": {
        "provider": {"enum": ["ollama", "waddleai", None]},
        "model": {"type": ["string", "null"], "maxLength": 200},
        "persona": {"type": ["string", "null"], "maxLength": 2000},
        "system_prompt": {"type": ["string", "null"], "maxLength": 4000},
        "mentions": {"type": "boolean", "default": True},
        "greetings": {
            "type": "object",
            "properties": {t: {"type": "boolean", "default": False} for t in GREETING_TYPES},
        },
    },
}

MANIFEST = Manifest(
    name="ai",
    version=VERSION,
    description="AI answers to your questions, with memory of the chat.",
    commands=[
        ManifestCommand(path="ai", description="Ask the AI a question.", usage="!ai <question>"),
        ManifestCommand(path="ask", description="Ask the AI a question.", usage="!ask <question>"),
    ],
    events=["chat_message", *GREETING_TYPES],
    settings_schema=SETTINGS_SCHEMA,
    # The router's budget stays the table's 30 s for an AI module; answers slower than
    # AI_INLINE_WAIT come back late (202, then POST /router/api/v1/responses).
)

SPEC = ModuleSpec(
    manifest=MANIFEST,
    commands={"ai": service.ask_command, "ask": service.ask_command},
    events={
        "chat_message": service.on_chat_message,
        **{t: service.on_greeting_event for t in GREETING_TYPES},
    },
    batch={"ai": service.ask_batch, "ask": service.ask_batch},
)
