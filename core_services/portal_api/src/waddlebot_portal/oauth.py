"""OAuth sign-in through the identity service (its fixed contract, §11 / issue 17).

start:    GET  /identity/api/v1/oauth/{provider}/start?redirect_uri&purpose=login
          → {authorize_url, state}
callback: POST /identity/api/v1/oauth/{provider}/callback {code, state, redirect_uri}
          → {user_id, platform, platform_user_id, username, created}

The portal keeps the state (with where to go next) for PORTAL_OAUTH_STATE_TTL in the
cache and binds it to the browser with an HttpOnly cookie, so a callback that this
browser did not start is refused (login CSRF). Identity links the platform identity;
the portal links its own account to identity's user (decision 0069).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask_core.errors import BadRequest, DependencyUnavailable, ServiceError
from flask_core.resources import Resources

PROVIDERS = ("twitch", "discord", "slack")
STATE_COOKIE = "wb_oauth_state"


def safe_next(target: str | None) -> str:
    """Only a path on this site (never `//host` or a scheme): an open redirect otherwise."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def state_key(state: str) -> str:
    return f"portal:oauth:{state}"


def _error(answer: Any, what: str) -> ServiceError:
    try:
        error = answer.json()["error"]
        return ServiceError(str(error["message"]), code=str(error["code"]),
                            status=answer.status_code if answer.status_code < 500 else 503,
                            details=error.get("details") or {})  # fmt: skip
    except (ValueError, KeyError, TypeError):
        return DependencyUnavailable(f"identity could not {what}", details={"status": answer.status_code})


async def start(res: Resources, provider: str, redirect_uri: str) -> dict[str, str]:
    client = res.http.for_service("portal")
    answer = await client.call(
        "identity", "GET", f"/identity/api/v1/oauth/{provider}/start",
        params={"redirect_uri": redirect_uri, "purpose": "login"},
    )  # fmt: skip
    if answer.status_code != 200:
        raise _error(answer, "start the sign-in")
    body = answer.json()
    if not isinstance(body.get("authorize_url"), str) or not isinstance(body.get("state"), str):
        raise DependencyUnavailable("identity answered an unexpected shape")
    return {"authorize_url": body["authorize_url"], "state": body["state"]}


async def finish(res: Resources, provider: str, code: str, state: str, redirect_uri: str) -> dict[str, Any]:
    client = res.http.for_service("portal")
    answer = await client.call(
        "identity", "POST", f"/identity/api/v1/oauth/{provider}/callback",
        json={"code": code, "state": state, "redirect_uri": redirect_uri},
    )  # fmt: skip
    if answer.status_code != 200:
        raise _error(answer, "finish the sign-in")
    body = answer.json()
    if not body.get("user_id"):
        raise BadRequest("identity answered no user")
    return dict(body)
