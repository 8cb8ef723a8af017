"""Who a reputation user is: the identity service's internal user (resolve and lookup).

Resolve answers are cached under `identity:resolve:{platform}:{platform_user_id}`, the key
identity invalidates (broadcast over Redis) after every link and unlink.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_core import DependencyUnavailable, get_logger
from flask_core.events import CommandRequest, Event, EventUser
from flask_core.resources import Resources

log = get_logger(__name__)
SELF = "reputation"


@dataclass(frozen=True, slots=True)
class Person:
    user_id: str
    name: str


def resolve_key(platform: str, platform_user_id: str) -> str:
    return f"identity:resolve:{platform}:{platform_user_id}"


def _user_id(answer: Any) -> str | None:
    if isinstance(answer, dict) and isinstance(answer.get("user_id"), str):
        return str(answer["user_id"])
    return None


async def _call(res: Resources, method: str, path: str, **kwargs: Any) -> Any:
    response = await res.http.for_service(SELF).call("identity", method, path, timeout=3.0, **kwargs)
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise DependencyUnavailable("identity answered an error", details={"status": response.status_code})
    return response.json()


async def resolve(res: Resources, platform: str, user: EventUser, ttl: float) -> Person:
    """The internal user of a platform user (created on first sight by identity)."""
    key = resolve_key(platform, user.platform_user_id)
    name = user.display_name or user.username
    cached = _user_id(await res.cache.get(key))
    if cached is not None:
        return Person(cached, name)
    body = {
        "platform": platform,
        "platform_user_id": user.platform_user_id,
        "username": user.username,
        "display_name": user.display_name or None,
    }
    answer = await _call(res, "POST", "/identity/api/v1/resolve", json=body, retries=2)
    user_id = _user_id(answer)
    if user_id is None:
        raise DependencyUnavailable("identity did not resolve the user")
    await res.cache.set(key, answer, ttl)
    return Person(user_id, name)


async def resolve_many(res: Resources, wanted: list[tuple[str, EventUser]], ttl: float) -> list[Person]:
    """`resolve` for a chat batch: cached answers first, then one batch call for the rest."""
    found: list[Person | None] = []
    missing: list[int] = []
    for index, (platform, user) in enumerate(wanted):
        cached = _user_id(await res.cache.get(resolve_key(platform, user.platform_user_id)))
        found.append(Person(cached, user.display_name or user.username) if cached else None)
        if cached is None:
            missing.append(index)
    for start in range(0, len(missing), 100):
        chunk = missing[start : start + 100]
        body = {
            "identities": [
                {
                    "platform": wanted[i][0],
                    "platform_user_id": wanted[i][1].platform_user_id,
                    "username": wanted[i][1].username,
                    "display_name": wanted[i][1].display_name or None,
                }
                for i in chunk
            ]
        }
        answer = await _call(res, "POST", "/identity/api/v1/resolve:batch", json=body, retries=2)
        users = answer.get("users", []) if isinstance(answer, dict) else []
        if len(users) != len(chunk):
            raise DependencyUnavailable("identity answered a short batch")
        for i, user_answer in zip(chunk, users, strict=True):
            platform, user = wanted[i]
            user_id = _user_id(user_answer)
            if user_id is None:
                raise DependencyUnavailable("identity did not resolve the user")
            await res.cache.set(resolve_key(platform, user.platform_user_id), user_answer, ttl)
            found[i] = Person(user_id, user.display_name or user.username)
    return [p for p in found if p is not None]


async def caller(res: Resources, request: CommandRequest, ttl: float) -> Person:
    """The asking user: `request.identity` when the router filled it, else resolved."""
    user = request.event.user
    if request.identity is not None:
        return Person(request.identity.user_id, user.display_name or user.username)
    return await resolve(res, request.event.platform, user, ttl)


async def of_event(res: Resources, event: Event, ttl: float) -> Person:
    return await resolve(res, event.platform, event.user, ttl)


async def lookup(res: Resources, platform: str, username: str) -> Person | None:
    """`@user` on the event's platform (identity's lookup; None when nobody has that name)."""
    name = username.strip().removeprefix("@")
    if not name:
        return None
    answer = await _call(
        res, "GET", "/identity/api/v1/lookup", params={"platform": platform, "username": name}
    )
    user_id = _user_id(answer)
    if user_id is None:
        return None
    shown = next(
        (i.get("username") for i in answer.get("identities", []) if i.get("platform") == platform), name
    )
    return Person(user_id, str(shown or name))
