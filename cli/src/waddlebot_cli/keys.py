"""`waddlebot keys create --name <label> [--user <platform>:<username> | --user-id ID]`.

Creates a user API key through identity's internal API (`POST /identity/api/v1/users/
{id}/keys`, service token from `cli`) and prints the key alone on the last line of
stdout (it is shown once). `--user` looks the user up by platform and username;
without `--user`/`--user-id` the key belongs to the local "operator" user (the `web`
identity `operator`, created on first use). Works against `make run` and a fleet's
proxy alike (IDENTITY_URL, else the server's base URL).
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from .client import Answer, CliError, CliSettings, MissingSecret, describe, send

PLATFORMS = ("twitch", "discord", "slack", "web")
OPERATOR = {"platform": "web", "platform_user_id": "operator", "username": "operator"}


class KeysSettings(CliSettings):
    identity_url: str | None = None

    @property
    def identity_base(self) -> str:
        return self.identity_url or self.router_url or f"http://{self.host}:{self.port}"


def register(sub: Any) -> None:
    keys = sub.add_parser("keys", help="user API keys (identity)")
    verbs = keys.add_subparsers(dest="verb", required=True)
    create = verbs.add_parser("create", help="create an API key; the key is the last line of output")
    create.add_argument("--name", required=True, help="a label for the key, e.g. 'my script'")
    who = create.add_mutually_exclusive_group()
    who.add_argument("--user", help="<platform>:<username>, e.g. twitch:amy (default: the operator user)")
    who.add_argument("--user-id", help="the internal user id")
    create.add_argument("--expires-in-days", type=int, help="days until the key expires (default 90)")
    create.add_argument("--url", help="WaddleBot's base URL (default: IDENTITY_URL, else http://HOST:PORT)")
    keys.set_defaults(func=cmd_keys)


class IdentityClient:
    def __init__(self, settings: KeysSettings, url: str | None, timeout: float = 15.0) -> None:
        self.base = (url or settings.identity_base).rstrip("/")
        self.secret = settings.secret()
        self.timeout = timeout
        if not self.base.startswith(("http://", "https://")):
            raise CliError(f"--url must start with http:// or https://; got {self.base!r}")

    def call(self, method: str, path: str, body: Any = None) -> Answer:
        return send(self.base, self.secret, self.timeout, method, path, body, "identity")


def user_id_for(client: IdentityClient, user: str | None, user_id: str | None) -> str:
    if user_id:
        found = client.call("GET", f"/identity/api/v1/users/{urllib.parse.quote(user_id, safe='')}")
        if found.status == 404:
            raise CliError(f"no user with id {user_id}")
    elif user:
        platform, sep, username = user.partition(":")
        if not sep or platform not in PLATFORMS or not username:
            raise CliError(f"--user must be <platform>:<username> ({', '.join(PLATFORMS)}); got {user!r}")
        query = urllib.parse.urlencode({"platform": platform, "username": username})
        found = client.call("GET", f"/identity/api/v1/lookup?{query}")
        if found.status == 404:
            raise CliError(f"no user known as {username} on {platform} (they appear once they chat)")
    else:
        found = client.call("POST", "/identity/api/v1/resolve", OPERATOR)
    if found.status != 200:
        raise CliError(describe(found))
    return str(found.body["user_id"])


def create_key(client: IdentityClient, args: argparse.Namespace) -> tuple[str, str]:
    """(a line about the key, the key)."""
    user_id = user_id_for(client, args.user, args.user_id)
    body: dict[str, Any] = {"name": args.name}
    if args.expires_in_days is not None:
        body["expires_in_days"] = args.expires_in_days
    made = client.call("POST", f"/identity/api/v1/users/{user_id}/keys", body)
    if made.status != 201:
        raise CliError(describe(made))
    about = (
        f"API key {made.body['key_id']} ({made.body['name']}) for user {user_id}, "
        f"expires {made.body['expires_at']}. It is shown only now:"
    )
    return about, str(made.body["key"])


def cmd_keys(args: argparse.Namespace) -> int:
    try:
        about, key = create_key(IdentityClient(KeysSettings(), args.url), args)
    except MissingSecret as exc:
        print(f"waddlebot keys: {exc}", file=sys.stderr)
        return 2
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(about)
    print(key)
    return 0
