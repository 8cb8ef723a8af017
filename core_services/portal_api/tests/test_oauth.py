"""OAuth sign-in: the portal → identity's fixed contract → a fake platform provider.

Each test runs against the real identity service (with the fake provider as Twitch) and
against `fake_identity`, which speaks only the fixed contract (start → {authorize_url,
state}; callback {code, state, redirect_uri} → {user_id, platform, platform_user_id,
username, created}) and really exchanges the code with the fake provider.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
import pytest_asyncio
from aiohttp import web
from pydantic import BaseModel
from quart import Blueprint, request
from quart_schema import validate_request

from flask_core import CoreSettings, create_app, require_service
from flask_core.errors import BadRequest
from flask_core.testing import FakeHttpServer
from waddlebot_cli.testing import run_fleet


@pytest.fixture(params=["embedded"])
def backend(request: Any, data_dir: Any) -> dict[str, Any]:
    return {"database_url": f"sqlite://{(data_dir / 'test.sqlite').resolve()}"}


class Provider(FakeHttpServer):
    """A platform's OAuth endpoints: consent, code for token, the user behind the token."""

    def __init__(self) -> None:
        super().__init__()
        self.codes: dict[str, dict[str, str]] = {}
        self.tokens: dict[str, dict[str, str]] = {}
        self.next_user = {"id": "tw-1", "login": "waddles"}
        self.route("GET", "/oauth2/authorize", self.authorize)
        self.route("POST", "/oauth2/token", self.token)
        self.route("GET", "/helix/users", self.users)

    async def authorize(self, call: Any) -> web.StreamResponse:
        code = secrets.token_hex(8)
        self.codes[code] = dict(self.next_user)
        target = call.query["redirect_uri"] + "?" + urlencode({"code": code, "state": call.query["state"]})
        raise web.HTTPFound(target)

    async def token(self, call: Any) -> web.StreamResponse:
        user = self.codes.pop(call.form.get("code", ""), None)
        if user is None:
            return web.json_response({"message": "Invalid authorization code"}, status=400)
        token = secrets.token_hex(8)
        self.tokens[token] = user
        return web.json_response({"access_token": token, "token_type": "bearer"})

    async def users(self, call: Any) -> web.StreamResponse:
        user = self.tokens.get(call.headers.get("Authorization", "").removeprefix("Bearer "))
        if user is None:
            return web.json_response({"message": "unauthorized"}, status=401)
        return web.json_response({"data": [user]})


class CallbackIn(BaseModel):
    code: str
    state: str
    redirect_uri: str


def fake_identity(settings: CoreSettings, provider: Provider) -> Any:
    bp = Blueprint("identity", __name__)
    states: dict[str, str] = {}
    users: dict[str, str] = {}

    @bp.get("/api/v1/oauth/<name>/start")
    @require_service
    async def start(name: str) -> Any:
        assert request.args["purpose"] == "login"
        state = secrets.token_urlsafe(16)
        states[state] = request.args["redirect_uri"]
        query = urlencode({"client_id": "cid", "redirect_uri": states[state], "state": state})
        return {"authorize_url": f"{provider.url}/oauth2/authorize?{query}", "state": state}

    @bp.post("/api/v1/oauth/<name>/callback")
    @require_service
    @validate_request(CallbackIn)
    async def callback(name: str, data: CallbackIn) -> Any:
        if states.pop(data.state, None) != data.redirect_uri:
            raise BadRequest("unknown state")
        async with httpx.AsyncClient(base_url=provider.url) as http:
            token = await http.post(
                "/oauth2/token", data={"code": data.code, "redirect_uri": data.redirect_uri}
            )
            if token.status_code != 200:
                raise BadRequest("the provider refused the code")
            me = await http.get(
                "/helix/users", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
            )
        user = me.json()["data"][0]
        created = user["id"] not in users
        user_id = users.setdefault(user["id"], uuid.uuid4().hex)
        return {"user_id": user_id, "platform": name, "platform_user_id": user["id"],
                "username": user["login"], "created": created}  # fmt: skip

    return create_app("identity", settings, [bp], "identity")


def real_identity(make_settings: Any, common: dict[str, Any], provider: Provider) -> Any:
    from waddlebot_identity.app import create_app as create_identity
    from waddlebot_identity.settings import IdentitySettings

    settings = make_settings(
        IdentitySettings, twitch_client_id="cid", twitch_client_secret="csecret",
        twitch_auth_url=f"{provider.url}/oauth2", twitch_api_url=f"{provider.url}/helix", **common,
    )  # fmt: skip
    return create_identity(settings)


@pytest_asyncio.fixture(params=["identity", "contract"])
async def oauth_fleet(
    request: pytest.FixtureRequest, make_settings: Any, common: dict[str, Any], app: Any
) -> AsyncIterator[Any]:
    """The real identity service (merged from identity-rep), and the contract's fake."""
    from waddlebot_router.app import create_app as create_router
    from waddlebot_router.settings import RouterSettings

    provider = Provider()
    async with provider.serving():
        identity = (
            real_identity(make_settings, common, provider)
            if request.param == "identity"
            else fake_identity(make_settings(CoreSettings, **common), provider)
        )
        apps = {
            "router": create_router(make_settings(RouterSettings, **common)),
            "identity": identity,
            "portal": app,
        }
        async with run_fleet(app.extensions["waddlebot.settings"], apps) as fleet:
            yield fleet, provider


async def sign_in_with_twitch(http: httpx.AsyncClient, next_path: str = "/c/1") -> httpx.Response:
    started = await http.get("/portal/api/v1/auth/oauth/twitch/start", params={"next": next_path})
    assert started.status_code == 302, started.text
    consent = await http.get(started.headers["Location"])  # the user clicks "Authorize"
    assert consent.status_code == 302
    callback = urlsplit(consent.headers["Location"])
    assert callback.path == "/portal/api/v1/auth/oauth/twitch/callback"
    return await http.get(f"{callback.path}?{callback.query}")


async def test_sign_in_with_a_platform_account_creates_then_reuses_the_portal_user(oauth_fleet: Any) -> None:
    fleet, provider = oauth_fleet
    async with httpx.AsyncClient(base_url=fleet.url) as http:
        done = await sign_in_with_twitch(http)
        assert done.status_code == 302 and done.headers["Location"] == "/c/1"
        me = (await http.get("/portal/api/v1/me")).json()
        assert me["user"]["display_name"] == "waddles" and me["user"]["email"] is None
        first_id = me["user"]["id"]
        token_calls = provider.calls("/oauth2/token")
        assert len(token_calls) == 1
        assert token_calls[0].form["redirect_uri"] == f"{fleet.url}/portal/api/v1/auth/oauth/twitch/callback"
    async with httpx.AsyncClient(base_url=fleet.url) as again:
        assert (await sign_in_with_twitch(again, "//evil.example/x")).headers["Location"] == "/"
        assert (await again.get("/portal/api/v1/me")).json()["user"]["id"] == first_id


async def test_a_signed_in_user_links_their_platform_account(oauth_fleet: Any, app: Any) -> None:
    from flask_core.app import resources
    from waddlebot_portal import accounts

    fleet, provider = oauth_fleet
    local = await accounts.create_user(resources(app).db, app.extensions["waddlebot.settings"], "amy@example.com",
                                       "correct horse battery")  # fmt: skip
    provider.next_user = {"id": "tw-amy", "login": "amy_tv"}
    async with httpx.AsyncClient(base_url=fleet.url) as http:
        signed = await http.post(
            "/portal/api/v1/auth/login",
            json={"email": "amy@example.com", "password": "correct horse battery"},
        )
        assert signed.status_code == 200
        assert (await sign_in_with_twitch(http)).status_code == 302
        assert (await http.get("/portal/api/v1/me")).json()["user"]["id"] == local.id
    async with httpx.AsyncClient(base_url=fleet.url) as other_browser:  # Twitch alone now finds amy
        assert (await sign_in_with_twitch(other_browser)).status_code == 302
        assert (await other_browser.get("/portal/api/v1/me")).json()["user"]["email"] == "amy@example.com"


async def test_a_callback_this_browser_did_not_start_is_refused(oauth_fleet: Any) -> None:
    fleet, _ = oauth_fleet
    async with (
        httpx.AsyncClient(base_url=fleet.url) as victim,
        httpx.AsyncClient(base_url=fleet.url) as attacker,
    ):
        started = await attacker.get("/portal/api/v1/auth/oauth/twitch/start")
        consent = await attacker.get(started.headers["Location"])
        forged = await victim.get(consent.headers["Location"].removeprefix(fleet.url))  # login CSRF
        assert forged.status_code == 401 and forged.json()["error"]["details"]["reason"] == "state"
        assert (await victim.get("/portal/api/v1/me")).status_code == 401
        denied = await victim.get(
            "/portal/api/v1/auth/oauth/twitch/callback", params={"error": "access_denied"}
        )
        assert denied.status_code == 400
        unknown = await victim.get("/portal/api/v1/auth/oauth/myspace/start")
        assert unknown.status_code == 404


async def test_a_client_asking_for_json_gets_the_consent_url_and_then_me(oauth_fleet: Any) -> None:
    fleet, _ = oauth_fleet
    json_only = {"Accept": "application/json"}
    async with httpx.AsyncClient(base_url=fleet.url) as http:
        started = await http.get("/portal/api/v1/auth/oauth/twitch/start", headers=json_only)
        assert started.status_code == 200
        consent = await http.get(started.json()["authorize_url"])
        callback = urlsplit(consent.headers["Location"])
        done = await http.get(f"{callback.path}?{callback.query}", headers=json_only)
        assert done.status_code == 200 and done.json()["user"]["display_name"] == "waddles"
        assert (await http.get("/portal/api/v1/me")).status_code == 200
