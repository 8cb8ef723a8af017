"""The portal API (`/portal/api/v1`): sessions, me, communities, audit, simulator, feed.

Every route here checks a portal user session (never a service token): the portal is
the one service that checks user credentials. The management screens' routes are
generated from `screens.SCREENS` by `proxy.add_screens`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import secrets
from collections.abc import AsyncIterator
from typing import Any

from quart import Blueprint, Response, g, make_response, request
from quart_schema import document_response, tag, validate_querystring, validate_request, validate_response

from flask_core.app import resources
from flask_core.auth import PortalUser
from flask_core.errors import BadRequest, DependencyUnavailable, NotFound, RateLimited, Unauthorized
from flask_core.openapi import error_responses
from flask_core.resources import Resources

from . import accounts, audit, feed, oauth, proxy, sessions, simulator
from .accounts import Account
from .schemas import (
    AuditPage,
    AuditQuery,
    CommunityOut,
    CommunityPage,
    FeedEvent,
    ListQuery,
    LoggedOut,
    LoginIn,
    MeOut,
    OAuthCallbackQuery,
    OAuthStarted,
    OAuthStartQuery,
    SimulateIn,
    SimulateOut,
    UserOut,
)
from .screens import capabilities
from .web import (
    REFRESH_COOKIE,
    actor,
    clear_session_cookies,
    member,
    min_role,
    portal_settings,
    session_user,
    set_session_cookies,
)

bp = Blueprint("portal", __name__)
API = "/api/v1"
COMMUNITY = f"{API}/communities/<int:community_id>"
auth_tag = tag(["auth"])


# --- communities, as the router knows them ----------------------------------------


async def _router_communities(res: Resources, params: dict[str, Any]) -> dict[str, Any]:
    answer = await res.http.for_service("portal").call(
        "router", "GET", "/router/api/v1/communities", params=params
    )
    if answer.status_code != 200:
        raise DependencyUnavailable(
            "the router could not list communities", details={"status": answer.status_code}
        )
    body: dict[str, Any] = answer.json()
    return body


def _community(row: dict[str, Any], role: str) -> CommunityOut:
    return CommunityOut(
        id=int(row["id"]), name=str(row.get("name") or f"community {row['id']}"), role=role,
        capabilities=capabilities(role),
        platforms=[f"{e['platform']}:{e['server_id']}" for e in row.get("entities", [])],
    )  # fmt: skip


async def _named(res: Resources, roles: dict[int, str]) -> list[CommunityOut]:
    """The user's communities with their names (the router's), in id order."""
    if not roles:
        return []
    try:
        ids = ",".join(str(i) for i in sorted(roles))
        rows = {
            int(r["id"]): r for r in (await _router_communities(res, {"ids": ids, "limit": 500}))["items"]
        }
    except DependencyUnavailable:
        rows = {}  # the names come back with the router; the roles are the portal's own
    return [_community(rows.get(cid, {"id": cid}), role) for cid, role in sorted(roles.items())]


def _user_out(account: Account) -> UserOut:
    return UserOut(id=account.id, email=account.email, display_name=account.display_name, admin=account.admin)


# --- sign-in -------------------------------------------------------------------------


def _address() -> str:
    return request.remote_addr or "unknown"


def _throttle_keys(email: str) -> list[tuple[str, int]]:
    settings = portal_settings()
    return [
        (f"portal:login:account:{email}", settings.portal_login_max_failures),
        (f"portal:login:address:{_address()}", settings.portal_login_max_failures_per_address),
    ]


#: A cooldown this short is a look: it only blocks when a lock is already set.
_PEEK = 1e-6


async def _throttled(res: Resources, email: str) -> None:
    """429 with Retry-After while the account or the address is locked out."""
    for key, _ in _throttle_keys(email):
        decision = await res.limiter.cooldown(f"{key}:lock", _PEEK)
        if not decision.allowed:
            retry = max(1, math.ceil(decision.retry_after))
            raise RateLimited(
                "too many failed sign-ins; try again later",
                details={"retry_after": retry},
                headers={"Retry-After": str(retry)},
            )


async def _failed(res: Resources, email: str) -> None:
    """Count a failure (sliding window); the last one allowed locks the key for the window."""
    window = portal_settings().portal_login_failure_window
    for key, most in _throttle_keys(email):
        decision = await res.limiter.hit(key, most, window)
        if not decision.allowed or decision.remaining == 0:
            await res.limiter.cooldown(f"{key}:lock", window)


async def _signed_in(issued: sessions.Issued, status: int = 200) -> Response:
    res = resources()
    me = MeOut(user=_user_out(issued.account), communities=await _named(res, issued.communities))
    response = await make_response(me.model_dump(mode="json"), status)
    assert isinstance(response, Response)
    set_session_cookies(response, issued)
    return response


@bp.post(f"{API}/auth/login")
@auth_tag
@validate_request(LoginIn)
@document_response(MeOut)
@error_responses(401, 429)
async def login(data: LoginIn) -> Response:
    """Sign in with email and password: sets the session cookies, answers `me`."""
    res, settings = resources(), portal_settings()
    email = data.email.strip().lower()
    await _throttled(res, email)
    account = await accounts.authenticate(res.db, settings, email, data.password)
    if account is None:
        await _failed(res, email)
        raise Unauthorized("wrong email or password", details={"reason": "credentials"})
    issued = await sessions.start(res.db, settings, account)
    await _audit_login(account, issued.family)
    return await _signed_in(issued)


@bp.post(f"{API}/auth/refresh")
@auth_tag
@document_response(MeOut)
@error_responses(401, 403)
async def refresh() -> Response:
    """A new access token and refresh token for the refresh cookie (which is used up)."""
    res = resources()
    token = request.cookies.get(REFRESH_COOKIE, "")
    if not token:
        raise Unauthorized("no session to refresh", details={"reason": "missing"})
    try:
        issued = await sessions.rotate(res.db, res.cache, portal_settings(), token)
    except Unauthorized as exc:
        response = await make_response(exc.body(None), exc.status)
        assert isinstance(response, Response)
        clear_session_cookies(response)
        return response
    return await _signed_in(issued)


@bp.post(f"{API}/auth/logout")
@auth_tag
@document_response(LoggedOut)
@error_responses(403)
async def logout() -> Response:
    """End the session (every token of this sign-in) and clear the cookies."""
    res = resources()
    family = None
    try:
        await session_user()
        family = g.get("portal_family")
    except Unauthorized:
        pass
    token = request.cookies.get(REFRESH_COOKIE, "")
    if family is None and token:
        family = await sessions.family_by_token(res.db, token)
    if family is not None:
        await sessions.end(res.db, res.cache, portal_settings(), family)
    response = await make_response({"logged_out": True}, 200)
    assert isinstance(response, Response)
    clear_session_cookies(response)
    return response


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def _redirect(location: str) -> Response:
    return Response("", status=302, headers={"Location": location, "Cache-Control": "no-store"})


async def _audit_login(account: Account, family: str, after: dict[str, Any] | None = None) -> None:
    who = actor(PortalUser(sub=str(account.id), admin=account.admin, communities={}))
    who = dataclasses.replace(who, name=account.email or account.display_name)
    await audit.record(
        resources().db,
        who,
        community_id=None,
        action="login",
        resource="session",
        resource_id=family,
        after=after,
    )


def _callback_url(provider: str) -> str:
    settings = portal_settings()
    base = (settings.public_url or settings.service_url("portal")).rstrip("/")
    return f"{base}/portal/api/v1/auth/oauth/{provider}/callback"


def _provider(provider: str) -> str:
    if provider not in oauth.PROVIDERS:
        raise NotFound("unknown sign-in provider", details={"providers": list(oauth.PROVIDERS)})
    return provider


@bp.get(f"{API}/auth/oauth/<provider>/start")
@auth_tag
@validate_querystring(OAuthStartQuery)
@document_response(OAuthStarted)
@document_response(OAuthStarted, 302)
async def oauth_start(provider: str, query_args: OAuthStartQuery) -> Response:
    """Redirect to the platform's consent page (through identity); `next` is where to land.

    A client that accepts only JSON gets `{authorize_url}` (200) and navigates itself."""
    res, settings = resources(), portal_settings()
    redirect_uri = _callback_url(_provider(provider))
    started = await oauth.start(res, provider, redirect_uri)
    binding = secrets.token_urlsafe(24)
    await res.cache.set(
        oauth.state_key(started["state"]),
        {"provider": provider, "next": oauth.safe_next(query_args.next), "binding": binding},
        ttl=settings.portal_oauth_state_ttl,
    )
    if _wants_json():
        response = await make_response({"authorize_url": started["authorize_url"]}, 200)
        assert isinstance(response, Response)
    else:
        response = _redirect(started["authorize_url"])
    response.set_cookie(oauth.STATE_COOKIE, binding, max_age=settings.portal_oauth_state_ttl,
                        path="/portal/api/v1/auth/oauth", httponly=True,
                        secure=settings.cookie_secure, samesite="Lax")  # fmt: skip
    return response


@bp.get(f"{API}/auth/oauth/<provider>/callback")
@auth_tag
@validate_querystring(OAuthCallbackQuery)
@document_response(MeOut)
@document_response(OAuthStarted, 302)
@error_responses(400, 401)
async def oauth_callback(provider: str, query_args: OAuthCallbackQuery) -> Response:
    """Finish the sign-in: identity links the platform account, the portal signs its user in.

    A browser is redirected to `next`; a client that accepts only JSON gets `me` (200)."""
    res, settings = resources(), portal_settings()
    _provider(provider)
    if query_args.error or not query_args.code or not query_args.state:
        raise BadRequest(
            "the sign-in was not completed", details={"error": query_args.error or "missing_code"}
        )
    key = oauth.state_key(query_args.state)
    pending = await res.cache.get(key)
    binding = request.cookies.get(oauth.STATE_COOKIE, "")
    if (
        not isinstance(pending, dict)
        or pending.get("provider") != provider
        or not binding
        or not (secrets.compare_digest(str(pending.get("binding", "")), binding))
    ):
        raise Unauthorized("this sign-in was not started here or has expired", details={"reason": "state"})
    await res.cache.delete(key)
    linked = await oauth.finish(res, provider, query_args.code, query_args.state, _callback_url(provider))
    current: int | None = None
    try:
        current = int((await session_user()).sub)
    except Unauthorized:
        current = None
    account = await accounts.link_identity(
        res.db, str(linked["user_id"]), str(linked.get("username") or ""), current
    )
    if account.disabled:
        raise Unauthorized("this account is disabled", details={"reason": "disabled"})
    issued = await sessions.start(res.db, settings, account)
    await _audit_login(
        account, issued.family, {"provider": provider, "platform_user_id": linked.get("platform_user_id")}
    )
    if _wants_json():
        response = await _signed_in(issued)
    else:
        response = _redirect(str(pending.get("next") or "/"))
        set_session_cookies(response, issued)
    response.delete_cookie(oauth.STATE_COOKIE, path="/portal/api/v1/auth/oauth")
    return response


# --- me and communities ------------------------------------------------------------


@bp.get(f"{API}/me")
@validate_response(MeOut)
@error_responses(401)
async def me() -> MeOut:
    """The signed-in user and their communities, each with role and capabilities."""
    user = await session_user()
    res = resources()
    account = await accounts.get_user(res.db, int(user.sub))
    if account is None or account.disabled:
        raise Unauthorized("this account no longer exists", details={"reason": "account"})
    roles = {int(cid): role for cid, role in user.communities.items()}
    return MeOut(user=_user_out(account), communities=await _named(res, roles))


@bp.get(f"{API}/communities")
@validate_querystring(ListQuery)
@validate_response(CommunityPage)
@error_responses(401)
async def list_communities(query_args: ListQuery) -> CommunityPage:
    """The user's communities; an admin sees every community (paged by the router)."""
    user = await session_user()
    res = resources()
    if user.admin:
        params = {k: v for k, v in query_args.model_dump().items() if v is not None}
        if params.get("sort") not in (None, "id", "-id"):
            params.pop("sort")
        body = await _router_communities(res, params)
        return CommunityPage(
            items=[_community(r, "admin") for r in body["items"]], next_cursor=body.get("next_cursor")
        )
    roles = {int(cid): role for cid, role in user.communities.items()}
    items = await _named(res, roles)
    if query_args.q:
        items = [c for c in items if query_args.q.lower() in c.name.lower()]
    if query_args.cursor and query_args.cursor.isdigit():
        items = [c for c in items if c.id > int(query_args.cursor)]
    page = items[: query_args.limit]
    more = len(items) > query_args.limit
    return CommunityPage(items=page, next_cursor=str(page[-1].id) if more and page else None)


@bp.get(COMMUNITY)
@min_role("everyone")
@validate_response(CommunityOut)
@error_responses(401, 403)
async def get_community(community_id: int) -> CommunityOut:
    """One community with the caller's role and capabilities in it."""
    _, role = await member(community_id, "everyone")
    named = await _named(resources(), {community_id: role})
    return named[0]


# --- audit, simulator, feed --------------------------------------------------------


@bp.get(f"{COMMUNITY}/audit")
@min_role("moderator")
@tag(["audit"])
@validate_querystring(AuditQuery)
@validate_response(AuditPage)
@error_responses(401, 403)
async def community_audit(community_id: int, query_args: AuditQuery) -> AuditPage:
    """Changes made through the portal in this community, newest first (filterable)."""
    await member(community_id, "moderator")
    return await audit.search(resources().db, community_id, query_args)


@bp.post(f"{COMMUNITY}/simulate")
@min_role("moderator")
@tag(["simulator"])
@validate_request(SimulateIn)
@validate_response(SimulateOut)
@error_responses(401, 403)
async def simulate(community_id: int, data: SimulateIn) -> SimulateOut:
    """Send a chat line as a test user (platform `web`) and see the bot's answer."""
    user, own = await member(community_id, "moderator")
    role = simulator.capped(data.user.role, own)
    event = simulator.build_event(community_id, data.text, data.user.username, role, user.sub)
    result = await simulator.simulate(resources(), event, portal_settings().portal_simulate_timeout)
    responses = result["responses"]
    feed.publish(
        community_id,
        "simulation",
        {"text": data.text, "username": data.user.username, "role": role, "status": result["status"],
         "responses": responses},
    )  # fmt: skip
    return SimulateOut.model_validate(
        {**result, "role": role, "side_effects": simulator.side_effects(responses)}
    )


@bp.get(f"{COMMUNITY}/events")
@min_role("moderator")
@tag(["dashboard"])
@document_response(FeedEvent)
@error_responses(401, 403)
async def community_events(community_id: int) -> Response:
    """Server-sent events: the community's recent events, then each new one as it happens."""
    await member(community_id, "moderator")
    res, settings = resources(), portal_settings()

    async def stream() -> AsyncIterator[bytes]:
        yield b": connected\n\n"
        async for line in feed.subscribe(res, settings, community_id):
            if line is None:
                yield b": keep-alive\n\n"
                continue
            entry = json.loads(line)
            kind, entry_id = entry.get("kind", "message"), entry.get("id", "")
            yield f"id: {entry_id}\nevent: {kind}\ndata: {line}\n\n".encode()

    response = Response(stream(), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    response.timeout = None
    return response


proxy.add_screens(bp)
