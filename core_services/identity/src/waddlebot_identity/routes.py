"""The identity REST API (service token): thin handlers that validate, call the domain, answer."""

from __future__ import annotations

from quart import Blueprint
from quart_schema import document_response, validate_querystring, validate_request, validate_response

from flask_core import NotFound, Unauthorized, require_service
from flask_core.app import resources, settings_of
from flask_core.openapi import NoContent, error_responses

from . import keys, service
from .schemas import (
    KeyCreated,
    KeyIn,
    KeyList,
    KeyOut,
    KeyVerified,
    LookupQuery,
    OAuthCallbackIn,
    OAuthDone,
    OAuthStarted,
    OAuthStartQuery,
    ResolveBatchIn,
    ResolveIn,
    UserBatchOut,
    UserOut,
    VerifyIn,
)
from .settings import IdentitySettings

bp = Blueprint("identity", __name__)
BASE = "/api/v1"
USER = BASE + "/users/<user_id>"


def _settings() -> IdentitySettings:
    settings = settings_of()
    assert isinstance(settings, IdentitySettings)
    return settings


async def _user_or_404(user_id: str) -> service.User:
    user = await service.get_user(resources().db, user_id)
    if user is None:
        raise NotFound("no such user", details={"user_id": user_id})
    return user


@bp.post(BASE + "/resolve")
@require_service
@validate_request(ResolveIn)
@validate_response(UserOut)
async def resolve(data: ResolveIn) -> UserOut:
    """Find or create the user of a platform identity (a changed username is updated)."""
    user = await service.resolve(
        resources().db, data.platform, data.platform_user_id, data.username, data.display_name or ""
    )
    return UserOut.of(user)


@bp.post(BASE + "/resolve:batch")
@require_service
@validate_request(ResolveBatchIn)
@validate_response(UserBatchOut)
async def resolve_batch(data: ResolveBatchIn) -> UserBatchOut:
    """`resolve` for up to 100 identities at once, answered in order (reputation's chat batches)."""
    wanted: list[tuple[str, str, str, str]] = [
        (i.platform, i.platform_user_id, i.username, i.display_name or "") for i in data.identities
    ]
    users = await service.resolve_many(resources().db, wanted)
    return UserBatchOut(users=[UserOut.of(u) for u in users])


@bp.get(BASE + "/lookup")
@error_responses(404)
@require_service
@validate_querystring(LookupQuery)
@validate_response(UserOut)
async def lookup(query_args: LookupQuery) -> UserOut:
    """The user known on `platform` by `username` (case-insensitive, the latest known)."""
    user = await service.lookup(resources().db, query_args.platform, query_args.username)
    if user is None:
        raise NotFound("no user by that name", details={"platform": query_args.platform})
    return UserOut.of(user)


@bp.get(USER)
@error_responses(404)
@require_service
@validate_response(UserOut)
async def get_user(user_id: str) -> UserOut:
    """A user and its identities (a merged user's id answers with the surviving user)."""
    return UserOut.of(await _user_or_404(user_id))


@bp.post(USER + "/keys")
@error_responses(404, 409)
@require_service
@validate_request(KeyIn)
@validate_response(KeyCreated, 201)
async def create_key(user_id: str, data: KeyIn) -> tuple[KeyCreated, int]:
    """A new API key; the key itself is in this answer only."""
    user = await _user_or_404(user_id)
    settings = _settings()
    days = data.expires_in_days or settings.identity_key_default_days
    days = min(days, settings.identity_key_max_days)
    key, record = await keys.create_key(
        resources().db, settings.pepper(), int(user.user_id), data.name, days, settings.identity_max_keys
    )
    return KeyCreated(key=key, key_id=record.key_id, name=record.name, expires_at=record.expires_at), 201


@bp.get(USER + "/keys")
@error_responses(404)
@require_service
@validate_response(KeyList)
async def list_keys(user_id: str) -> KeyList:
    """The user's keys (never their secrets)."""
    user = await _user_or_404(user_id)
    return KeyList(items=[KeyOut.of(k) for k in await keys.list_keys(resources().db, int(user.user_id))])


@bp.delete(USER + "/keys/<key_id>")
@error_responses(404)
@require_service
@document_response(NoContent, 204)
async def revoke_key(user_id: str, key_id: str) -> tuple[str, int]:
    """Revoke a key at once (a repeat answers 204 too)."""
    user = await _user_or_404(user_id)
    if not await keys.revoke_key(resources().db, int(user.user_id), key_id[:32]):
        raise NotFound("no such key", details={"key_id": key_id[:32]})
    return "", 204


@bp.post(BASE + "/keys:verify")
@error_responses(401)
@require_service
@validate_request(VerifyIn)
@validate_response(KeyVerified)
async def verify_key(data: VerifyIn) -> KeyVerified:
    """Whose live key this is; 401 for an unknown, wrong, expired or revoked key."""
    found = await keys.verify_key(resources().db, _settings().pepper(), data.key)
    if found is None:
        raise Unauthorized("invalid API key")
    return KeyVerified(
        key_id=found.key_id, user_id=found.user_id, name=found.name, expires_at=found.expires_at
    )


@bp.get(BASE + "/oauth/<provider>/start")
@error_responses(404)
@require_service
@validate_querystring(OAuthStartQuery)
@validate_response(OAuthStarted)
async def oauth_start(provider: str, query_args: OAuthStartQuery) -> OAuthStarted:
    """The provider's authorize URL and the state it returns with (single use, short TTL)."""
    from . import oauth  # authlib + httpx2 + anyio (≈ 140 modules): only on a sign-in

    url, state = await oauth.start(
        resources(), _settings(), provider, query_args.redirect_uri, query_args.purpose, query_args.user_id
    )
    return OAuthStarted(authorize_url=url, state=state)


@bp.post(BASE + "/oauth/<provider>/callback")
@error_responses(400, 404, 409)
@require_service
@validate_request(OAuthCallbackIn)
@validate_response(OAuthDone)
async def oauth_callback(provider: str, data: OAuthCallbackIn) -> OAuthDone:
    """Exchange the code; sign in (the identity's user) or link it to the state's user."""
    from . import oauth

    done = await oauth.callback(resources(), _settings(), provider, data.code, data.state, data.redirect_uri)
    return OAuthDone(
        user_id=done.user.user_id, platform=done.platform, platform_user_id=done.platform_user_id,
        username=done.username, created=done.created,
    )  # fmt: skip
