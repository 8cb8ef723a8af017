"""`!inv` from Twitch chat (signed EventSub webhooks in, Helix out), with the labels service
for `--label` and the overdue notice posted once through the router's messages API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from waddlebot_inventory.app import create_app
from waddlebot_inventory.settings import InventorySettings
from waddlebot_labels.app import create_app as create_labels
from waddlebot_labels.settings import LabelsSettings

SERVICES = {"inventory": (create_app, InventorySettings), "labels": (create_labels, LabelsSettings)}


async def test_every_inv_command_from_chat(twitch_chat: Any) -> None:
    # A loan without [hours] lasts INVENTORY_CHECKOUT_HOURS: scaled down to about a second here.
    async with twitch_chat(
        SERVICES, inventory_scheduler_interval=0.05, inventory_checkout_hours=0.0003
    ) as chat:
        assert await chat.say("!inv add rope 5") == "Added 5 x rope (stock: 5)."
        assert await chat.say('!inv add "magic sword" --label legendary') == (
            "Added 1 x magic sword (stock: 1). Labelled legendary."
        )
        assert (
            await chat.say("!inv add lamp 2 --label legendary")
            == "Added 2 x lamp (stock: 2). Labelled legendary."
        )
        assert await chat.say("!inv take rope 2") == "Took 2 x rope (stock: 3)."
        assert await chat.say("!inv take rope 9") == "Only 3 x rope in stock (wanted 9)."
        assert await chat.say("!inv give @bob rope 2") == "Gave 2 x rope to @bob (they have 2; stock: 1)."
        assert await chat.say("!inv give @bob ghost") == "There is no ghost in the inventory."
        viewer = {"user": "amy", "moderator": False}
        assert await chat.say("!inv list", **viewer) == "Stock: lamp x2, magic sword x1, rope x1"
        assert await chat.say("!inv list --label legendary", **viewer) == "Stock: lamp x2, magic sword x1"
        assert await chat.say("!inv search SWO", **viewer) == "Found: magic sword x1"
        assert (await chat.say("!inv checkout lamp @bob 1")).startswith("lamp checked out to @bob until ")
        assert await chat.say("!inv list @bob", **viewer) == (
            "@bob has: rope x2, " + f"lamp (borrowed, due {(await due_of(chat, 'bob'))})"
        )
        assert await chat.say("!inv overdue") == "Nothing is overdue."
        before = len(chat.helix.chat)
        assert (await chat.say("!inv checkout rope @cid")).startswith("rope checked out to @cid until ")
        texts = await chat.posted(before + 2)  # about a second later, in real time
        assert texts[before + 1] == f"@cid, please return the rope: it was due {await due_of(chat, 'cid')}."
        assert await chat.say("!inv overdue") == f"Overdue: rope — @cid (due {await due_of(chat, 'cid')})"
        assert await chat.say("!inv checkin rope") == "rope returned by @cid (it was overdue) (stock: 1)."
        # viewers are refused where moderators are needed
        for line in ("!inv add gold 100", "!inv take rope", "!inv give @amy rope", "!inv checkout rope @amy",
                     "!inv checkin lamp", "!inv overdue"):  # fmt: skip
            refused = await chat.say(line, **viewer)
            assert "moderator" in refused, (line, refused)
        assert await chat.say("!inv list", **viewer) == "Stock: lamp x1, magic sword x1, rope x1"

        # the loan runs out: one notice in the channel, never a second
        scheduler = chat.fleet.dispatcher.apps["inventory"].extensions["inventory.scheduler"]
        before = len(chat.helix.chat)
        scheduler.clock = lambda: datetime.now(UTC) + timedelta(hours=1, minutes=1)
        texts = await chat.posted(before + 1)
        assert texts[before] == f"@bob, please return the lamp: it was due {await due_of(chat, 'bob')}."
        scheduler.clock = lambda: datetime.now(UTC) + timedelta(hours=5)
        assert await scheduler.run_due() == 0
        assert await chat.say("!inv checkin lamp") == "lamp returned by @bob (stock: 2)."
        assert await chat.say("!inv checkin lamp") == "No lamp is checked out."
        assert len([t for t in chat.helix.texts() if "please return" in t]) == 2  # one per loan


async def due_of(chat: Any, login: str) -> str:
    from waddlebot_inventory import service

    res = chat.fleet.dispatcher.apps["inventory"].extensions["waddlebot.resources"]
    [loan], _ = await service.checkouts(res.db, 1, open_only=False, holder=f"twitch:{login}")
    return f"{loan.due_at:%Y-%m-%d %H:%M} UTC"
