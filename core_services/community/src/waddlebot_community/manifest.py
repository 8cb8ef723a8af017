"""The community's chat commands (§11): `!community code`, `!community link`, `!community info`.

`!community link` needs the broadcaster role *on the server being linked*: the collectors
give it to the Twitch broadcaster, a Discord member with Administrator or Manage Server,
and the Slack workspace owner (decision 0054).
"""

from __future__ import annotations

from flask_core import Manifest, ManifestCommand, ModuleSpec
from flask_core.events import CommandRequest, highest_role
from flask_core.module import Responses, chat
from flask_core.resources import Resources

from . import ops, service

VERSION = "0.1.0"


async def _remember(res: Resources, request: CommandRequest) -> None:
    e = request.event
    user = e.user.model_dump(mode="json")
    await res.db.run(
        service.touch_member, int(request.community_id), e.platform, user, highest_role(e.user.roles)
    )


async def code(res: Resources, request: CommandRequest) -> Responses:
    e = request.event
    await _remember(res, request)
    issued, ttl = await ops.issue_code(
        res, int(request.community_id), f"{e.platform}:{e.user.platform_user_id}"
    )
    minutes = max(1, round(ttl / 60))
    text = (
        f"Your one-time link code: {issued}. On the Discord server or Slack workspace to join, "
        f"its owner types !community link {issued} within {minutes} minutes."
    )
    return [{"type": "dm", "text": text}]


async def link(res: Resources, request: CommandRequest) -> Responses:
    e = request.event
    if not request.args:
        return chat("Usage: !community link <code> (the code comes from !community code).")
    try:
        target, _previous = await ops.link(res, request.args[0], e.platform, e.server_id)
    except service.LinkRefused as refused:
        if refused.reason == "same":
            return chat("This server is already part of that community.")
        return chat("That code is not valid: it may have expired or been used already.")
    platforms = await res.db.read(lambda d: service.get(d, target)["platforms"])
    return chat(f"Linked! This server now belongs to the community on {', '.join(platforms)}.")


async def info(res: Resources, request: CommandRequest) -> Responses:
    await _remember(res, request)  # so viewers appear in the portal's members screen
    found = await res.db.read(service.entities, int(request.community_id))
    parts = [f"{item['platform']} ({item['server_id']})" for item in found]
    return chat("This community is on: " + ", ".join(parts) + ".")


MANIFEST = Manifest(
    name="community",
    version=VERSION,
    description="One community across platforms",
    commands=[
        ManifestCommand(
            path="community code", role="broadcaster",
            description="A one-time code (sent privately) to join another server to this community.",
            usage="!community code",
        ),
        ManifestCommand(
            path="community link", role="broadcaster",
            description="Join this server to the community whose code you have.",
            usage="!community link <code>",
        ),
        ManifestCommand(
            path="community info", description="The platforms this community is on.", usage="!community info"
        ),
    ],
)  # fmt: skip
SPEC = ModuleSpec(
    manifest=MANIFEST, commands={"community code": code, "community link": link, "community info": info}
)
