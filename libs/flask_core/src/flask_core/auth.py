"""Service tokens (HS256), portal user tokens and the roles of ARCHITECTURE §4.2.

Service tokens: `iss` = caller prefix, `aud` = target prefix, `iat`, `exp` ≤ 60 s after
`iat`, signed with INTERNAL_JWT_SECRET; minted by the shared HTTP client through a
`TokenCache` and checked by `require_service`. Portal tokens: `sub`, `admin`,
`communities` ({community_id: role}), `typ` (access|refresh), signed with
PORTAL_JWT_SECRET and checked by `require_user`. The signature and header are checked by
`flask_core.tokens.decode` (the standard library; decision 0088), the claims here by one
table of rules per kind of token (`SERVICE_CLAIMS`, `USER_CLAIMS`, RFC 7519 §4.1 with a
leeway); each refusal says why.
"""

from __future__ import annotations

import functools
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_core import tokens
from flask_core.errors import Forbidden, Unauthorized
from flask_core.events import ROLE_ORDER, ROLE_RANK, role_at_least
from flask_core.logging import get_logger
from flask_core.metrics import counter
from flask_core.tokens import MAX_SERVICE_TTL
from flask_core.tokens import mint_service_token as mint_service_token

TOKEN_CACHE_SECONDS = 30.0
DEFAULT_LEEWAY = 5

#: Roles, lowest to highest (ARCHITECTURE §4.2); `admin` only ever comes from the portal.
INTERNAL_SECRET_KEY = "WADDLEBOT_INTERNAL_SECRET"
PORTAL_SECRET_KEY = "WADDLEBOT_PORTAL_SECRET"
PREFIX_KEY = "WADDLEBOT_PREFIX"

log = get_logger(__name__)
AUTH_REJECTIONS = counter(
    "waddlebot_auth_rejections_total", "Refused credentials by kind and reason", ("kind", "reason")
)


# --- tokens -------------------------------------------------------------------------------


def mint_user_token(
    secret: str,
    sub: str,
    *,
    admin: bool = False,
    communities: Mapping[str | int, str] | None = None,
    typ: str = "access",
    ttl: int = 900,
) -> str:
    """A portal user token (used by the portal's login and by tests)."""
    now = int(time.time())
    claims = {
        "sub": sub,
        "admin": admin,
        "communities": {str(cid): role for cid, role in (communities or {}).items()},
        "typ": typ,
        "iat": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
    }
    return tokens.encode(secret, claims)


@dataclass(slots=True)
class _Cached:
    token: str
    secret: str
    minted_at: float


@dataclass(slots=True)
class TokenCache:
    """Reuses a minted service token per (iss, aud) for at most `max_age` (≤ 30) seconds."""

    max_age: float = TOKEN_CACHE_SECONDS
    clock: Callable[[], float] = time.monotonic
    _tokens: dict[tuple[str, str], _Cached] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.max_age = min(self.max_age, TOKEN_CACHE_SECONDS)

    def get(self, secret: str, iss: str, aud: str) -> str:
        now = self.clock()
        cached = self._tokens.get((iss, aud))
        if cached is not None and cached.secret == secret and now - cached.minted_at < self.max_age:
            return cached.token
        token = mint_service_token(secret, iss, aud)
        self._tokens[(iss, aud)] = _Cached(token, secret, now)
        return token


_SIGNATURE_REFUSALS = {
    "bad_signature": "bad signature",
    "algorithm": "algorithm not allowed",
    "malformed": "malformed",
}


def _decode(token: str, secret: str, what: str) -> dict[str, Any]:
    """Check the signature and algorithm; return the claims or raise Unauthorized."""
    if not token:
        raise _refused("missing", f"missing {what}")
    try:
        return tokens.decode(token, secret)
    except tokens.TokenError as exc:
        raise _refused(exc.reason, f"invalid {what}: {_SIGNATURE_REFUSALS[exc.reason]}") from None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_text(value: object) -> bool:
    return isinstance(value, str) and value != ""


def _is_role_map(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(role, str) for role in value.values())


#: What each claim must be: (claim, required, test of its value).
type ClaimRules = tuple[tuple[str, bool, Callable[[object], bool]], ...]
SERVICE_CLAIMS: ClaimRules = (
    ("iss", True, _is_text), ("aud", True, lambda v: True), ("iat", True, _is_number),
    ("exp", True, _is_number), ("nbf", False, _is_number),
)  # fmt: skip
USER_CLAIMS: ClaimRules = (
    ("sub", True, _is_text), ("typ", True, lambda v: True), ("iat", True, _is_number),
    ("exp", True, _is_number), ("nbf", False, _is_number),
    ("admin", False, lambda v: isinstance(v, bool)), ("communities", False, _is_role_map),
)  # fmt: skip


def _check(
    claims: dict[str, Any],
    rules: ClaimRules,
    what: str,
    leeway: int,
    *,
    audience: str | None = None,
    typ: str | None = None,
) -> None:
    """The claims' rules, then audience, type and time (RFC 7519 §4.1); Unauthorized if not."""
    for name, required, valid in rules:
        value = claims.get(name)
        if value is None or value == "":
            if not required and name not in claims:
                continue  # an optional claim left out; present but null or blank is refused
            if name == "typ":
                raise _refused("wrong_type", f"invalid {what}: {typ} token required")
            raise _refused("claims", f"invalid {what}: missing or bad {name}")
        if not valid(value):
            raise _refused("claims", f"invalid {what}: missing or bad {name}")
    if audience is not None:
        aud = claims["aud"]
        if not (aud == audience or (isinstance(aud, list) and audience in aud)):
            raise _refused("wrong_audience", f"invalid {what}: wrong audience")
    if typ is not None and claims["typ"] != typ:
        raise _refused("wrong_type", f"invalid {what}: {typ} token required")
    now = time.time()
    if now - leeway > claims["exp"]:
        raise _refused("expired", f"invalid {what}: expired")
    if claims["iat"] > now + leeway:
        raise _refused("not_yet_valid", f"invalid {what}: issued in the future")
    if "nbf" in claims and claims["nbf"] > now + leeway:
        raise _refused("not_yet_valid", f"invalid {what}: not valid yet")


def _refused(reason: str, message: str) -> Unauthorized:
    return Unauthorized(
        message,
        details={"reason": reason},
        headers={"WWW-Authenticate": 'Bearer realm="waddlebot"'},
    )


#: Service tokens already verified, until they expire: a caller reuses its token for up to
#: TOKEN_CACHE_SECONDS, so each request would otherwise check the same signature again.
_VERIFIED: dict[tuple[str, str, str, int], dict[str, Any]] = {}
_VERIFIED_MAX = 1024


def verify_service_token(
    token: str, secret: str, audience: str, leeway: int = DEFAULT_LEEWAY
) -> dict[str, Any]:
    """The claims of a valid service token for `audience`, or Unauthorized saying why.

    A token that passed every check is remembered (keyed by the token, secret, audience
    and leeway) until its `exp`; a later request with it only checks that it has not
    expired since. Refusals are never remembered.
    """
    what = "service token"
    key = (token, secret, audience, leeway)
    known = _VERIFIED.get(key)
    if known is not None:
        if time.time() - leeway <= known["exp"]:
            return dict(known)
        del _VERIFIED[key]
    claims = _decode(token, secret, what)
    _check(claims, SERVICE_CLAIMS, what, leeway, audience=audience)
    if claims["exp"] - claims["iat"] > MAX_SERVICE_TTL + leeway:
        raise _refused("lifetime", f"invalid {what}: lifetime too long")
    if len(_VERIFIED) >= _VERIFIED_MAX:
        now = time.time()
        for stale in [k for k, c in _VERIFIED.items() if now - k[3] > c["exp"]] or list(_VERIFIED):
            del _VERIFIED[stale]
    _VERIFIED[key] = dict(claims)
    return claims


@dataclass(frozen=True, slots=True)
class PortalUser:
    """The verified identity behind a portal user token."""

    sub: str
    admin: bool
    communities: dict[str, str]

    def role_in(self, community_id: str | int) -> str | None:
        return "admin" if self.admin else self.communities.get(str(community_id))


def verify_user_token(
    token: str, secret: str, *, typ: str = "access", leeway: int = DEFAULT_LEEWAY
) -> dict[str, Any]:
    """The claims of a valid portal token of type `typ`, or Unauthorized saying why."""
    what = "user token"
    claims = _decode(token, secret, what)
    _check(claims, USER_CLAIMS, what, leeway, typ=typ)
    return claims


# --- Quart decorators ---------------------------------------------------------------------


def _quart() -> Any:
    """Quart, imported on first use: minting tokens (the chat CLI) must not load the web stack."""
    import quart

    return quart


def _bearer() -> str:
    header: str = _quart().request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return token.strip()


def _config(key: str) -> str:
    value = _quart().current_app.config.get(key)
    if not value:
        raise RuntimeError(f"app config {key} is not set (the app factory must set it)")
    return str(value)


def _record(kind: str, exc: Unauthorized | Forbidden) -> None:
    reason = exc.details.get("reason", exc.code) if isinstance(exc.details, dict) else exc.code
    service = str(_quart().current_app.config.get(PREFIX_KEY) or "unknown")
    AUTH_REJECTIONS.labels(service, kind, reason).inc()
    event = "auth.service_rejected" if kind == "service" else "auth.user_rejected"
    request = _quart().request
    log.info(event, reason=reason, status=exc.status, path=request.path, method=request.method)


def require_service[**P, R](view: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Refuse the request unless it carries a service token for this app's prefix."""

    @functools.wraps(view)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            claims = verify_service_token(_bearer(), _config(INTERNAL_SECRET_KEY), _config(PREFIX_KEY))
        except Unauthorized as exc:
            _record("service", exc)
            raise
        _quart().g.service_claims = claims
        return await view(*args, **kwargs)

    return wrapper


def current_service() -> str | None:
    """The calling service (`iss`) of a request that passed `require_service`."""
    claims = _quart().g.get("service_claims")
    return str(claims["iss"]) if claims else None


def require_user[**P, R](
    min_role: str | None = None, roles: Collection[str] | None = None
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Refuse the request unless it carries a portal access token allowed here.

    With `min_role` the user's role in the path's `community_id` must rank at least that
    high; with `roles` it must be one of them. `admin: true` passes everything.
    """
    for name in (min_role, *(roles or ())):
        if name is not None and name not in ROLE_RANK:
            raise ValueError(f"unknown role {name!r}; expected one of {', '.join(ROLE_ORDER)}")
    scoped = min_role is not None or bool(roles)

    def decorate(view: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(view)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if scoped and "community_id" not in kwargs:
                raise RuntimeError(f"{view.__name__}: require_user needs a <community_id> path")
            try:
                claims = verify_user_token(_bearer(), _config(PORTAL_SECRET_KEY))
            except Unauthorized as exc:
                _record("user", exc)
                raise
            user = PortalUser(
                sub=claims["sub"],
                admin=bool(claims.get("admin", False)),
                communities=dict(claims.get("communities", {})),
            )
            if scoped and not user.admin:
                role = user.role_in(str(kwargs["community_id"]))
                allowed = role is not None
                if allowed and min_role is not None:
                    allowed = role_at_least(role, min_role)
                if allowed and roles:
                    allowed = role in roles
                if not allowed:
                    denied = Forbidden(
                        "your role in this community does not allow this",
                        details={"reason": "role"},
                    )
                    _record("user", denied)
                    raise denied
            _quart().g.user_claims = claims
            _quart().g.user = user
            return await view(*args, **kwargs)

        return wrapper

    return decorate


def current_user() -> PortalUser | None:
    """The portal user of a request that passed `require_user`."""
    user = _quart().g.get("user")
    return user if isinstance(user, PortalUser) else None
