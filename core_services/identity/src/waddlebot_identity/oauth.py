"""OAuth sign-in and linking for Twitch, Discord and Slack (authlib's async httpx client).

`start` stores a state (short TTL, single use, with the PKCE verifier where the provider
supports PKCE) and answers the provider's authorize URL; `callback` takes the state
once, exchanges the code at the provider's token endpoint, reads the provider's user
(Twitch `GET {TWITCH_API_URL}/users`, Discord `GET {DISCORD_API_URL}/users/@me`, Slack
`{SLACK_API_URL}/openid.connect.userInfo`) and resolves or links that identity.
Decision 0050 says why authlib is used here and how its client is kept in bounds.
"""

from __future__ import annotations

import secrets
import time
import warnings
from dataclasses import dataclass
from typing import Any

from flask_core import BadRequest, DependencyUnavailable, NotFound, get_logger
from flask_core.resources import Resources

from . import service
from .service import User
from .settings import IdentitySettings

with warnings.catch_warnings():
    # authlib 1.9 warns that its httpx integration prefers httpx2 (decision 0050).

    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.httpx_client import (  # type: ignore[import-untyped]
        AsyncOAuth2Client,
        OAuthError,
    )

log = get_logger(__name__)
PROVIDERS = ("twitch", "discord", "slack")
PURPOSES = ("login", "link")


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    userinfo_url: str
    scope: str
    pkce: bool


def provider(settings: IdentitySettings, name: str) -> Provider:
    """The provider's endpoints and client; 404 when unknown or not configured."""
    secret_of = {
        "twitch": (settings.twitch_client_id, settings.twitch_client_secret),
        "discord": (settings.discord_client_id, settings.discord_client_secret),
        "slack": (settings.slack_client_id, settings.slack_client_secret),
    }
    if name not in secret_of:
        raise NotFound("unknown OAuth provider", details={"provider": name})
    client_id, secret = secret_of[name]
    if not client_id or secret is None or not secret.get_secret_value():
        raise NotFound(
            f"{name} sign-in is not configured ({name.upper()}_CLIENT_ID / {name.upper()}_CLIENT_SECRET)",
            details={"provider": name},
        )
    client_secret = secret.get_secret_value()
    match name:
        case "twitch":
            auth = settings.twitch_auth_url.rstrip("/")
            return Provider(
                name, client_id, client_secret, f"{auth}/authorize", f"{auth}/token",
                f"{settings.twitch_api_url.rstrip('/')}/users", "", pkce=False,
            )  # fmt: skip
        case "discord":
            api = settings.discord_api_url.rstrip("/")
            return Provider(
                name, client_id, client_secret, settings.discord_authorize_url, f"{api}/oauth2/token",
                f"{api}/users/@me", "identify", pkce=True,
            )  # fmt: skip
        case _:
            api = settings.slack_api_url.rstrip("/")
            return Provider(
                name, client_id, client_secret, settings.slack_authorize_url, f"{api}/openid.connect.token",
                f"{api}/openid.connect.userInfo", "openid profile", pkce=False,
            )  # fmt: skip


def _client(p: Provider, redirect_uri: str, timeout: float) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=p.client_id,
        client_secret=p.client_secret,
        scope=p.scope or None,
        redirect_uri=redirect_uri,
        token_endpoint_auth_method="client_secret_post",
        code_challenge_method="S256" if p.pkce else None,
        timeout=timeout,
        follow_redirects=False,
    )


async def start(
    res: Resources,
    settings: IdentitySettings,
    name: str,
    redirect_uri: str,
    purpose: str,
    user_id: str | None,
) -> tuple[str, str]:
    """(authorize_url, state) for a sign-in or a link of the user `user_id`."""
    p = provider(settings, name)
    if purpose == "link" and (user_id is None or await service.get_user(res.db, user_id) is None):
        raise NotFound("linking needs an existing user_id", details={"user_id": user_id})
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48) if p.pkce else None
    async with _client(p, redirect_uri, settings.identity_oauth_timeout) as client:
        url, _ = client.create_authorization_url(p.authorize_url, state=state, code_verifier=verifier)

    def store(d: Any) -> None:
        now = time.time()
        d(d.identity_oauth_states.expires_at < now - 86400).delete()  # forget long-dead states
        d.identity_oauth_states.insert(
            state=state, provider=name, purpose=purpose, redirect_uri=redirect_uri,
            user_id=int(user_id) if purpose == "link" and user_id else None, code_verifier=verifier,
            expires_at=now + settings.identity_oauth_state_ttl,
        )  # fmt: skip

    await res.db.run(store)
    return str(url), state


def _take_state(d: Any, state: str, name: str, redirect_uri: str) -> Any:
    t = d.identity_oauth_states
    now = time.time()
    live = (t.state == state) & (t.used_at == None) & (t.expires_at > now)  # noqa: E711
    row = d(live).select(limitby=(0, 1)).first()
    if row is None or row.provider != name or row.redirect_uri != redirect_uri:
        return None
    if not d(live).update(used_at=now):  # a concurrent callback took it first
        return None
    return row


@dataclass(frozen=True, slots=True)
class Signed:
    user: User
    platform: str
    platform_user_id: str
    username: str
    created: bool


async def _profile(p: Provider, client: AsyncOAuth2Client) -> tuple[str, str, str]:
    """(platform user id, username, display name) from the provider's userinfo."""
    headers = {"Client-Id": p.client_id} if p.name == "twitch" else {}
    answer = await client.get(p.userinfo_url, headers=headers)
    if answer.status_code != 200:
        raise DependencyUnavailable(
            f"{p.name} did not return the user", details={"status": answer.status_code}
        )
    body = answer.json()
    match p.name:
        case "twitch":
            user = (body.get("data") or [{}])[0]
            return str(user["id"]), str(user["login"]), str(user.get("display_name") or user["login"])
        case "discord":
            return str(body["id"]), str(body["username"]), str(body.get("global_name") or body["username"])
        case _:
            if body.get("ok") is False:
                raise DependencyUnavailable(
                    "slack did not return the user", details={"error": body.get("error")}
                )
            uid = str(body.get("https://slack.com/user_id") or body["sub"])
            name = str(body.get("name") or body.get("given_name") or uid)
            return uid, name, name


async def callback(
    res: Resources, settings: IdentitySettings, name: str, code: str, state: str, redirect_uri: str
) -> Signed:
    """Take the state once, exchange the code, read the user, sign in or link."""
    p = provider(settings, name)
    row = await res.db.run(_take_state, state, name, redirect_uri)
    if row is None:
        raise BadRequest("unknown, used or expired state", code="invalid_state")
    async with _client(p, redirect_uri, settings.identity_oauth_timeout) as client:
        try:
            token = await client.fetch_token(
                p.token_url, grant_type="authorization_code", code=code,
                code_verifier=row.code_verifier or None,
            )  # fmt: skip
            if not token.get("access_token"):  # Twitch answers 400 {status, message}
                raise OAuthError(error=str(token.get("message") or "no access token"))
            platform_user_id, username, display = await _profile(p, client)
        except OAuthError as exc:
            log.info("identity.oauth_refused", provider=name, error=exc.error)
            raise BadRequest(
                f"{name} refused the code", code="oauth_failed", details={"error": exc.error}
            ) from None
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise DependencyUnavailable(f"{name} answered in an unexpected format") from exc
        except DependencyUnavailable:
            raise
        except Exception as exc:  # httpx transport errors and timeouts
            raise DependencyUnavailable(
                f"{name} is unavailable", details={"reason": type(exc).__name__}
            ) from exc
    existing = await res.db.read(service._find_identity, name, platform_user_id)
    user = await service.resolve(res.db, name, platform_user_id, username, display)
    created = existing is None
    if row.purpose == "link":
        user = await _link(res, int(row.user_id), user)
    log.info("identity.oauth_done", provider=name, purpose=row.purpose, user_id=user.user_id, created=created)
    return Signed(user, name, platform_user_id, username, created)


async def _link(res: Resources, into_id: int, signed: User) -> User:
    """Merge the signed-in identity's user into the linking user (the rules of !verify)."""
    into = await service.get_user(res.db, str(into_id))
    if into is None:
        raise NotFound("the linking user no longer exists")
    if into.user_id == signed.user_id:
        return into
    clash = sorted({i.platform for i in into.identities} & {i.platform for i in signed.identities})
    if clash:
        raise service_conflict(clash[0])
    await res.db.run(lambda d: service.merge_users(d, int(signed.user_id), int(into.user_id), time.time()))
    await service.invalidate(res, signed, into)
    await service.notify_merges(res)
    merged = await service.get_user(res.db, into.user_id)
    assert merged is not None
    return merged


def service_conflict(platform: str) -> Exception:
    from flask_core import Conflict

    return Conflict(
        f"the user already has a {platform} account linked",
        code="already_linked",
        details={"platform": platform},
    )
