"""Chat commands: `!label add @user <label>`, `!label remove @user <label>`, `!labels [@user]`.

A user's entity id is `<platform>:<login>` (case-folded), so the same login on two
platforms is two users. Adding and removing need a moderator: the router enforces the
manifest's role, and the handlers check the caller's role in the request too.
"""

from __future__ import annotations

import re

from flask_core import CommandRequest, NotFound, Resources, Responses, ValidationFailed, chat
from flask_core.events import Role, highest_role, role_at_least
from flask_core.message_limits import fit

from . import service
from .service import LabelError, Limits
from .settings import LabelsSettings

USAGES = {
    "label add": "!label add @user <label>",
    "label remove": "!label remove @user <label>",
    "labels": "!labels [@user]",
}
ROLES: dict[str, Role] = {"label add": "moderator", "label remove": "moderator", "labels": "everyone"}
_COMMUNITY = re.compile(r"[1-9][0-9]{0,18}", re.ASCII)
_USER = re.compile(r"@([A-Za-z0-9_][A-Za-z0-9_.-]{0,99})", re.ASCII)


def community_of(request: CommandRequest) -> int:
    if not _COMMUNITY.fullmatch(request.community_id):
        raise ValidationFailed("community_id must be a positive integer", details={"field": "community_id"})
    return int(request.community_id)


def answer(request: CommandRequest, text: str) -> Responses:
    return chat(fit(text, request.event.platform))


def is_moderator(request: CommandRequest) -> bool:
    return role_at_least(highest_role(request.event.user.roles), "moderator")


def user_entity(platform: str, login: str) -> str:
    """The entity id of a chat user: `twitch:amy`."""
    return f"{platform}:{login.casefold()}"


def limits(res: Resources) -> Limits:
    s = res.settings
    if isinstance(s, LabelsSettings):
        return Limits(per_user=s.labels_max_per_user, per_entity=s.labels_max_per_entity)
    return Limits()


def _target(request: CommandRequest) -> tuple[str, str] | None:
    """(login, label) from `@user <label…>`, or None."""
    words = request.args_text.split(maxsplit=1)
    match = _USER.fullmatch(words[0]) if words else None
    if match is None or len(words) < 2:
        return None
    return match.group(1), words[1]


def _by(request: CommandRequest) -> str:
    return user_entity(request.event.platform, request.event.user.username)


async def add(res: Resources, request: CommandRequest) -> Responses:
    """`!label add @user <label>` (moderator): creates the label when it is new."""
    community_id = community_of(request)
    if not is_moderator(request):
        return answer(request, "Only moderators can add labels.")
    target = _target(request)
    if target is None:
        return answer(request, "Usage: " + USAGES["label add"])
    login, name = target
    entity = user_entity(request.event.platform, login)
    try:
        labels, added = await service.assign(
            res.db, community_id, "user", entity, name, limits=limits(res), by=_by(request), from_chat=True
        )
    except service.LimitReached:
        most = limits(res).per_user
        return answer(request, f"@{login} already has {most} labels, the most a user can have.")
    except LabelError as exc:
        return answer(request, exc.message)
    label = service.clean_name(name)
    if not added:
        return answer(request, f"@{login} already has the label {label}.")
    return answer(request, f"Label {label} added to @{login} ({len(labels)} labels).")


async def remove(res: Resources, request: CommandRequest) -> Responses:
    """`!label remove @user <label>` (moderator)."""
    community_id = community_of(request)
    if not is_moderator(request):
        return answer(request, "Only moderators can remove labels.")
    target = _target(request)
    if target is None:
        return answer(request, "Usage: " + USAGES["label remove"])
    login, name = target
    entity = user_entity(request.event.platform, login)
    try:
        _, removed = await service.unassign(res.db, community_id, "user", entity, name=name, from_chat=True)
    except NotFound:
        removed = False
    except LabelError as exc:
        return answer(request, exc.message)
    label = " ".join(name.split())
    if not removed:
        return answer(request, f"@{login} does not have the label {label}.")
    return answer(request, f"Label {label} removed from @{login}.")


async def show(res: Resources, request: CommandRequest) -> Responses:
    """`!labels [@user]`: a user's labels (the caller's without a user)."""
    community_id = community_of(request)
    words = request.args_text.split()
    if not words:
        login = request.event.user.username
    elif len(words) == 1 and (match := _USER.fullmatch(words[0])) is not None:
        login = match.group(1)
    else:
        return answer(request, "Usage: " + USAGES["labels"])
    labels = await service.entity_labels(
        res.db, community_id, "user", user_entity(request.event.platform, login)
    )
    if not labels:
        return answer(request, f"@{login} has no labels.")
    return answer(request, f"@{login}: " + ", ".join(label.name for label in labels))
