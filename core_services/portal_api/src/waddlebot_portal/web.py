"""The request side of sessions: cookies, CSRF double submit, the signed-in user, tenancy.

Cookies: `wb_access` (HttpOnly, the access token, path /portal), `wb_refresh`
(HttpOnly, path /portal/api/v1/auth) and `csrf_token` (readable by the SPA, which
echoes it in `X-CSRF-Token` on every unsafe method). All SameSite=Lax, Secure outside
dev (PORTAL_COOKIE_SECURE overrides). The community always comes from the path and the
role from the verified access token, never from a payload (ARCHITECTURE §6).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any

from quart import Response, g, request

from flask_core.app import resources, settings_of
from flask_core.auth import PortalUser, verify_user_token
from flask_core.errors import Forbidden, NotFound, Unauthorized
from flask_core.events import ROLE_RANK, role_at_least

from .audit import Actor
from .sessions import Issued, revoked_key
from .settings import PortalSettings

ACCESS_COOKIE = "wb_access"
REFRESH_COOKIE = "wb_refresh"
CSRF_COOKIE = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Unsafe routes without the double submit: signing in has no session to protect yet.
CSRF_EXEMPT = ("/portal/api/v1/auth/login",)
MAX_COMMUNITY_ID = 2**63 - 1


def portal_settings() -> PortalSettings:
    settings = settings_of()
    assert isinstance(settings, PortalSettings)
    return settings


def set_session_cookies(response: Response, issued: Issued) -> None:
    settings = portal_settings()
    common: dict[str, Any] = {"secure": settings.cookie_secure, "samesite": "Lax"}
    response.set_cookie(ACCESS_COOKIE, issued.access, max_age=settings.portal_access_ttl,
                        path="/portal", httponly=True, **common)  # fmt: skip
    response.set_cookie(REFRESH_COOKIE, issued.refresh, max_age=settings.portal_refresh_ttl,
                        path="/portal/api/v1/auth", httponly=True, **common)  # fmt: skip
    response.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(24), max_age=settings.portal_refresh_ttl,
                        path="/", httponly=False, **common)  # fmt: skip


def clear_session_cookies(response: Response) -> None:
    settings = portal_settings()
    for name, path in ((ACCESS_COOKIE, "/portal"), (REFRESH_COOKIE, "/portal/api/v1/auth")):
        response.delete_cookie(name, path=path, secure=settings.cookie_secure, samesite="Lax", httponly=True)


def ensure_csrf_cookie(response: Response) -> None:
    """Every answer to a browser without the readable CSRF cookie hands one out."""
    if not request.cookies.get(CSRF_COOKIE) and CSRF_COOKIE not in str(
        response.headers.getlist("Set-Cookie")
    ):
        settings = portal_settings()
        response.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(24), path="/", httponly=False,
                            secure=settings.cookie_secure, samesite="Lax")  # fmt: skip


def check_csrf() -> None:
    """Unsafe methods need `X-CSRF-Token` equal to the `csrf_token` cookie (double submit)."""
    if request.method in SAFE_METHODS or request.path in CSRF_EXEMPT:
        return
    if not request.path.startswith("/portal/api/v1/"):
        return
    cookie = request.cookies.get(CSRF_COOKIE, "")
    header = request.headers.get(CSRF_HEADER, "")
    if not cookie or not header or not hmac.compare_digest(cookie.encode(), header.encode()):
        raise Forbidden("missing or wrong CSRF token", details={"reason": "csrf"})


async def session_user() -> PortalUser:
    """The signed-in user of this request (access cookie, or a Bearer token), or 401."""
    cached = g.get("portal_user")
    if isinstance(cached, PortalUser):
        return cached
    token = request.cookies.get(ACCESS_COOKIE, "")
    if not token:
        scheme, _, bearer = request.headers.get("Authorization", "").partition(" ")
        token = bearer.strip() if scheme.lower() == "bearer" else ""
    if not token:
        raise Unauthorized("sign in first", details={"reason": "missing"})
    claims = verify_user_token(token, portal_settings().secret("portal"))
    family = claims.get("sid")
    if isinstance(family, str) and await resources().cache.get(revoked_key(family)):
        raise Unauthorized("this session has ended", details={"reason": "revoked"})
    user = PortalUser(
        sub=str(claims["sub"]),
        admin=bool(claims.get("admin")),
        communities=dict(claims.get("communities", {})),
    )
    g.portal_user = user
    g.portal_user_name = str(claims.get("name") or f"user:{user.sub}")
    g.portal_family = family if isinstance(family, str) else None
    return user


async def member(community_id: int, min_role: str) -> tuple[PortalUser, str]:
    """The user and their role in the path's community; 404 for a community id that cannot
    exist, 403 when they are not a member or rank lower than `min_role`."""
    if not 0 < community_id <= MAX_COMMUNITY_ID:
        raise NotFound("no such community")
    user = await session_user()
    role = user.role_in(community_id)
    if role is None:
        raise Forbidden("you are not a member of this community", details={"reason": "tenant"})
    if not role_at_least(role, min_role):
        raise Forbidden(
            f"this needs the {min_role} role in this community", details={"reason": "role", "role": role}
        )
    return user, role


MIN_ROLE_ATTRIBUTE = "portal_min_role"


def min_role[F](role: str) -> Callable[[F], F]:
    """Mark a `/communities/<community_id>/...` view with the lowest role that may call it.

    The app checks it before anything else runs (body validation included), so a caller
    outside the community, or below the role, is refused the same way on every route.
    """
    if role not in ROLE_RANK:
        raise ValueError(f"unknown role {role!r}")

    def mark(view: F) -> F:
        setattr(view, MIN_ROLE_ATTRIBUTE, role)
        return view

    return mark


async def check_tenancy(view: object) -> None:
    """The before-request check of `min_role` (the community from the path)."""
    role = getattr(view, MIN_ROLE_ATTRIBUTE, None)
    args = request.view_args or {}
    if role is not None and "community_id" in args:
        await member(int(args["community_id"]), role)


def actor(user: PortalUser | None) -> Actor:
    """Who is acting (for the audit log): the user, their address and user agent."""
    name = None
    if user is not None:
        name = g.get("portal_user_name") or f"user:{user.sub}"
    return Actor(
        id=user.sub if user else None,
        name=name,
        ip=request.remote_addr,
        user_agent=request.headers.get("User-Agent"),
        request_id=g.get("request_id"),
    )
