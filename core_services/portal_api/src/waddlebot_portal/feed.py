"""The dashboard's feed of a community (ARCHITECTURE §11): the portal's side of `flask_core.feed`.

Writers: the simulator (`simulation`), audited changes (`change`) here, and the router
(`chat`: every chat line it processed and the bot's answers). The one primitive, its
buffering (one Redis pipeline per ~100 ms, or the in-process fan-out without
REDIS_URL) and its bounds live in `flask_core.feed`; this module only binds it to the
request's Resources and the portal's heartbeat. The SSE route checks the membership
(moderator of the path's community) before it subscribes to that community alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from flask_core import feed as core_feed
from flask_core.app import resources
from flask_core.resources import Resources

from .settings import PortalSettings


def publish(community_id: int, kind: str, data: dict[str, Any]) -> None:
    """Buffer one entry for the community's feed (never blocks, never fails the request)."""
    core_feed.offer(resources(), community_id, kind, data)


def subscribe(res: Resources, settings: PortalSettings, community_id: int) -> AsyncIterator[str | None]:
    """Recent lines, then live ones; None every heartbeat interval without a line.

    Runs outside the request context (a streamed body): the handles are passed in.
    """
    return core_feed.feed_of(res).subscribe(community_id, settings.portal_feed_heartbeat)
