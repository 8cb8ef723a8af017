"""The identity manifest: its chat commands (core service: always available, §11)."""

from __future__ import annotations

from flask_core import Manifest, ManifestCommand, ModuleSpec

from . import commands

VERSION = "0.2.0"
DESCRIPTIONS = {
    "link": "Link another platform's account to yours: a private one-time code.",
    "verify": "Confirm a link with the code, from the other account.",
    "whoami": "Which accounts are linked to you.",
    "unlink": "Unlink your account on a platform.",
}

MANIFEST = Manifest(
    name="identity",
    version=VERSION,
    description="One user across platforms: linked accounts, API keys, sign-in.",
    commands=[
        ManifestCommand(path=path, description=DESCRIPTIONS[path], usage=usage)
        for path, usage in commands.USAGES.items()
    ],
)
SPEC = ModuleSpec(
    manifest=MANIFEST,
    commands={
        "link": commands.link,
        "verify": commands.verify,
        "whoami": commands.whoami,
        "unlink": commands.unlink,
    },
)
