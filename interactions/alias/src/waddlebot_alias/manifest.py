"""What the alias module offers the router: its commands, roles and handlers (§4.6).

The aliases themselves are data, not manifest commands (ARCHITECTURE §12): the router
reads them from `GET /alias/api/v1/communities/{id}/aliases`.
"""

from __future__ import annotations

from flask_core import Manifest, ManifestCommand, ModuleSpec

from . import service

VERSION = "0.1.0"

MANIFEST = Manifest(
    name="alias",
    version=VERSION,
    description="Aliases and custom commands",
    commands=[
        ManifestCommand(
            path="alias add",
            role="moderator",
            description="Add an alias or a custom command.",
            usage="!alias add [--role R] [--cooldown 30s] <name> <text or !command>",
        ),
        ManifestCommand(
            path="alias remove",
            role="moderator",
            description="Remove an alias.",
            usage="!alias remove <name>",
        ),
        ManifestCommand(path="alias list", description="The community's aliases.", usage="!alias list"),
        ManifestCommand(path="alias show", description="An alias's text.", usage="!alias show <name>"),
    ],
)

SPEC = ModuleSpec(
    manifest=MANIFEST,
    commands={
        "alias add": service.add_command,
        "alias remove": service.remove_command,
        "alias list": service.list_command,
        "alias show": service.show_command,
    },
)
