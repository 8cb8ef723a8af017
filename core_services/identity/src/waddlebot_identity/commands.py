"""The identity chat commands: `!link`, `!verify`, `!whoami`, `!unlink` (answers in plain text).

Codes are only ever sent privately (`dm`, §11). User text is inserted as a value,
never used as a template.
"""

from __future__ import annotations

from flask_core import CommandRequest, Responses, chat
from flask_core.app import settings_of
from flask_core.message_limits import fit
from flask_core.resources import Resources

from . import service
from .service import LINKABLE, User
from .settings import IdentitySettings

USAGES = {
    "link": "!link <platform> <username>",
    "verify": "!verify <code>",
    "whoami": "!whoami",
    "unlink": "!unlink <platform>",
}


def _settings(res: Resources) -> IdentitySettings:
    settings = res.settings
    if isinstance(settings, IdentitySettings):
        return settings
    found = settings_of()  # pragma: no cover - a shared Resources always carries ours
    assert isinstance(found, IdentitySettings)
    return found


def _answer(request: CommandRequest, text: str) -> Responses:
    return chat(fit(text, request.event.platform))


async def caller(res: Resources, request: CommandRequest) -> User:
    """The asking user: the router's identity when it sent one, else resolved here."""
    if request.identity is not None:
        found = await service.get_user(res.db, request.identity.user_id)
        if found is not None:
            return found
    user = request.event.user
    return await service.resolve(
        res.db, request.event.platform, user.platform_user_id, user.username, user.display_name
    )


def describe(user: User) -> str:
    accounts = ", ".join(f"{i.platform}: {i.username}" for i in user.identities)
    return f"user #{user.user_id} ({accounts})"


async def link(res: Resources, request: CommandRequest) -> Responses:
    """`!link <platform> <username>`: a private one-time code for the other account."""
    if len(request.args) != 2 or request.args[0].lower() not in LINKABLE:
        return _answer(request, f"Usage: {USAGES['link']} (platform: {', '.join(LINKABLE)})")
    platform, username = request.args[0].lower(), request.args[1]
    settings = _settings(res)
    me = await caller(res, request)
    outcome = await service.start_link(
        res, me, platform, username, ttl=settings.identity_link_code_ttl, resend=settings.identity_link_resend
    )
    if outcome.code is None:
        return _answer(request, outcome.text)
    minutes = max(1, int(settings.identity_link_code_ttl // 60))
    shown = service.fold(username)
    text = (
        f"Your link code is {outcome.code}. Type !verify {outcome.code} on {platform} as {shown} "
        f"within {minutes} minutes to link that account with this one."
    )
    return [{"type": "dm", "text": text}]


async def verify(res: Resources, request: CommandRequest) -> Responses:
    """`!verify <code>` from the account named in `!link`: links the two."""
    if len(request.args) != 1:
        return _answer(request, f"Usage: {USAGES['verify']}")
    user = request.event.user
    outcome, merged = await service.verify_link(
        res, request.args[0], request.event.platform, user.platform_user_id, user.username,
        attempts=_settings(res).identity_link_attempts,
    )  # fmt: skip
    if merged is not None:
        return _answer(request, f"Linked! You are {describe(merged)}; your points are shared.")
    return _answer(request, outcome.text)


async def whoami(res: Resources, request: CommandRequest) -> Responses:
    me = await caller(res, request)
    linked = "linked" if me.linked else "not linked to other platforms"
    return _answer(request, f"@{request.event.user.username}, you are {describe(me)}, {linked}.")


async def unlink(res: Resources, request: CommandRequest) -> Responses:
    """`!unlink <platform>`: that account gets a user of its own; the points stay here."""
    if len(request.args) != 1 or request.args[0].lower() not in LINKABLE:
        return _answer(request, f"Usage: {USAGES['unlink']} (platform: {', '.join(LINKABLE)})")
    platform = request.args[0].lower()
    me = await caller(res, request)
    done, after = await service.unlink(res, me, platform)
    if not done:
        return _answer(request, f"You have no other account linked on {platform}.")
    assert after is not None
    return _answer(request, f"Unlinked your {platform} account. You are now {describe(after)}.")
