"""What the inventory module offers the router: its commands, roles and handlers (§4.6)."""

from __future__ import annotations

from flask_core import Manifest, ManifestCommand, ModuleSpec

from . import commands

VERSION = "0.1.0"
DESCRIPTIONS = {
    "inv add": "Add to the community's stock (optionally with a label).",
    "inv take": "Remove from the stock.",
    "inv give": "Move from the stock to a user.",
    "inv list": "The stock, or a user's items.",
    "inv search": "Find items by name.",
    "inv checkout": "Lend one item to a user for some hours.",
    "inv checkin": "Take a lent item back.",
    "inv overdue": "Lent items past their due time.",
}

MANIFEST = Manifest(
    name="inventory",
    version=VERSION,
    description="The community's inventory, loans and audit trail.",
    commands=[
        ManifestCommand(path=path, description=DESCRIPTIONS[path], usage=usage, role=commands.ROLES[path])
        for path, usage in commands.USAGES.items()
    ],
)

SPEC = ModuleSpec(
    manifest=MANIFEST,
    commands={
        "inv add": commands.add,
        "inv take": commands.take,
        "inv give": commands.give,
        "inv list": commands.list_items,
        "inv search": commands.search,
        "inv checkout": commands.checkout,
        "inv checkin": commands.checkin,
        "inv overdue": commands.overdue,
    },
)
