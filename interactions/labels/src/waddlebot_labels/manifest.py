"""What the labels module offers the router: its commands, roles and handlers (§4.6)."""

from __future__ import annotations

from flask_core import Manifest, ManifestCommand, ModuleSpec

from . import commands

VERSION = "0.1.0"
DESCRIPTIONS = {
    "label add": "Put a label on a user (creates the label when new).",
    "label remove": "Take a label off a user.",
    "labels": "A user's labels (yours without a user).",
}

MANIFEST = Manifest(
    name="labels",
    version=VERSION,
    description="Labels on users, items, events, quotes and commands.",
    commands=[
        ManifestCommand(path=path, description=DESCRIPTIONS[path], usage=usage, role=commands.ROLES[path])
        for path, usage in commands.USAGES.items()
    ],
)

SPEC = ModuleSpec(
    manifest=MANIFEST,
    commands={"label add": commands.add, "label remove": commands.remove, "labels": commands.show},
)
