"""Labels from Twitch chat: a signed EventSub webhook in, the bot's answer out through Helix."""

from __future__ import annotations

from typing import Any

from waddlebot_labels.app import create_app
from waddlebot_labels.settings import LabelsSettings

LABELS = {"labels": (create_app, LabelsSettings)}


async def test_add_show_remove_limit_and_viewers_refused(twitch_chat: Any) -> None:
    async with twitch_chat(LABELS) as chat:
        assert await chat.say("!label add @bob artist") == "Label artist added to @bob (1 labels)."
        assert await chat.say("!label add @Bob Friend") == "Label Friend added to @Bob (2 labels)."
        assert await chat.say("!label add @bob artist") == "@bob already has the label artist."
        assert await chat.say("!labels @bob", user="amy", moderator=False) == "@bob: artist, Friend"
        for n in (3, 4, 5):
            assert (await chat.say(f"!label add @bob l{n}")).endswith(f"({n} labels).")
        sixth = await chat.say("!label add @bob l6")
        assert sixth == "@bob already has 5 labels, the most a user can have."
        assert await chat.say("!labels @bob") == "@bob: artist, Friend, l3, l4, l5"
        refused = await chat.say("!label add @bob sneaky", user="amy", moderator=False)
        assert "moderator" in refused and "sneaky" not in await chat.say("!labels @bob")
        refused = await chat.say("!label remove @bob artist", user="amy", moderator=False)
        assert "moderator" in refused
        assert await chat.say("!label remove @bob artist") == "Label artist removed from @bob."
        assert await chat.say("!label remove @bob artist") == "@bob does not have the label artist."
        assert await chat.say("!labels", user="amy", moderator=False) == "@amy has no labels."
        assert (await chat.say("!label add @bob l6")).endswith("(5 labels).")  # a seat freed
