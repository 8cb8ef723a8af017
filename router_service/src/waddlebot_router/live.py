"""The router's entries in a community's live feed (`flask_core.feed`, the portal's dashboard).

One entry (`chat`) per chat line the router finished with: where it was said, who said
it, the text, the command it resolved to (None for plain chat or an unknown command),
the outcome and the bot's answers as they went to the chat. Private answers (`dm`:
one-time codes, overlay and feed URLs, §11) never go in, nor overlay payloads. Buffered
in process (`Feed.offer`): no I/O here, nothing that can fail the event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_core import feed

if TYPE_CHECKING:
    from flask_core.resources import Resources

    from .service import Work

KIND = "chat"
CHAT_TYPES = frozenset({"chat_message", "slash_command"})
#: `metadata` of a portal simulation (service.TRUSTED_COMMUNITY): the portal writes its own
#: `simulation` entry for it, so the dashboard does not show the line twice.
SIMULATED = "community_id"
ANSWER_FIELDS = ("type", "text", "action", "code")


def offer(res: Resources, work: Work) -> None:
    """Buffer the feed entry of a finished chat line (nothing for other events)."""
    event, result = work.event, work.result
    if result is None or work.community_id <= 0 or event.type not in CHAT_TYPES:
        return
    if event.platform == "web" and SIMULATED in event.metadata:
        return
    answers: list[dict[str, Any]] = [
        {k: r[k] for k in ANSWER_FIELDS if k in r} for r in result.responses if r.get("type") != "dm"
    ]
    feed.offer(
        res,
        work.community_id,
        KIND,
        {
            "platform": event.platform,
            "channel": event.channel_id,
            "username": event.user.username,
            "text": event.text,
            "command": work.match.spec.path if work.match is not None else None,
            "status": result.status,
            "responses": answers,
        },
    )
