"""`waddlebot chat`: talk to the router as a test user, from a terminal."""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Literal

import httpx
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from flask_core.auth import mint_service_token
from flask_core.events import ROLE_ORDER

LATE_ANSWER_WAIT = 30.0
SECRET_HINT = (
    "set INTERNAL_JWT_SECRET to the same value as the server's "
    "(a dev server started without it keeps its own in DATA_DIR/secrets: use the same DATA_DIR)"
)


class MissingSecret(Exception):
    """The CLI has no INTERNAL_JWT_SECRET to sign its service token with."""


class ChatSettings(BaseSettings):
    """What `waddlebot chat` reads. It never creates a secret: the server's are its own."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)
    router_url: str | None = None
    data_dir: Path = Path("./var")
    internal_jwt_secret: SecretStr | None = None

    def secret(self, name: Literal["internal"]) -> str:
        """INTERNAL_JWT_SECRET, else the one a dev server wrote under DATA_DIR (read only)."""
        if self.internal_jwt_secret is not None and self.internal_jwt_secret.get_secret_value():
            return self.internal_jwt_secret.get_secret_value()
        stored = self.data_dir / "secrets" / f"{name}_jwt_secret"
        if stored.is_file() and (value := stored.read_text(encoding="utf-8").strip()):
            return value
        raise MissingSecret(f"no INTERNAL_JWT_SECRET: {SECRET_HINT}")


def register(sub: Any) -> None:
    chat = sub.add_parser("chat", help="send a chat line to the router and print the answer")
    chat.add_argument("text", nargs="?", help="the chat line, e.g. '!quote'; none opens a prompt")
    chat.add_argument("--platform", default="web", choices=["web", "twitch", "discord", "slack"])
    chat.add_argument("--server", default="demo", help="server/community id (default: demo)")
    chat.add_argument("--channel", default="demo", help="channel id (default: demo)")
    chat.add_argument("--user", default="viewer", help="username (default: viewer)")
    chat.add_argument("--role", default="everyone", choices=ROLE_ORDER)
    chat.add_argument("--url", help="router base URL (default: ROUTER_URL, else http://127.0.0.1:8080)")


def build_event(args: argparse.Namespace, text: str) -> dict[str, Any]:
    roles = [] if args.role == "everyone" else [args.role]
    return {
        "event_id": f"{args.platform}:cli-{uuid.uuid4()}",
        "platform": args.platform,
        "server_id": args.server,
        "channel_id": args.channel,
        "user": {
            "platform_user_id": f"cli-{args.user}",
            "username": args.user,
            "display_name": args.user,
            "roles": roles,
        },
        "type": "chat_message",
        "text": text,
        "reply": {"kind": "inline"},
    }


class ChatClient:
    def __init__(self, settings: ChatSettings, url: str | None) -> None:
        self.base = (url or settings.router_url or "http://127.0.0.1:8080").rstrip("/")
        self.secret = settings.secret("internal")
        self.http = httpx.Client(timeout=35.0)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_service_token(self.secret, 'cli', 'router')}"}

    def send(self, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        url = f"{self.base}/router/api/v1/events"
        response = self.http.post(url, json=event, headers=self._headers())
        return response.status_code, _json(response)

    def wait_late(self, invocation_id: str) -> list[dict[str, Any]]:
        url = f"{self.base}/router/api/v1/responses/{invocation_id}"
        deadline = time.monotonic() + LATE_ANSWER_WAIT
        while time.monotonic() < deadline:
            response = self.http.get(url, headers=self._headers())
            body = _json(response)
            if response.status_code == 200 and body.get("responses"):
                responses: list[dict[str, Any]] = body["responses"]
                return responses
            if response.status_code != 200:
                break
            time.sleep(0.5)
        return []

    def close(self) -> None:
        self.http.close()


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"error": {"message": response.text[:200]}}
    return body if isinstance(body, dict) else {}


def say(client: ChatClient, args: argparse.Namespace, text: str) -> int:
    """Send one line; print the bot's answer. 1 on an HTTP error."""
    try:
        status, body = client.send(build_event(args, text))
    except httpx.HTTPError as exc:
        print(f"error: cannot reach the router at {client.base}: {exc}", file=sys.stderr)
        return 1
    if status >= 400:
        error = body.get("error", {})
        print(f"error {status}: {error.get('code', '')} {error.get('message', '')}".strip(), file=sys.stderr)
        if status == 401:
            print(f"The router refused the CLI's service token: {SECRET_HINT}.", file=sys.stderr)
        return 1
    responses = body.get("responses", [])
    if body.get("pending") and body.get("invocation_id"):
        print("(the bot is thinking…)", file=sys.stderr)
        responses = client.wait_late(body["invocation_id"])
    for item in responses:
        print(item.get("text") or f"[{item.get('type')}] {item.get('payload', '')}")
    if not responses:
        print(f"({body.get('status', 'no answer')})", file=sys.stderr)
    return 0


def run(args: argparse.Namespace, settings: ChatSettings) -> int:
    try:
        client = ChatClient(settings, args.url)
    except MissingSecret as exc:
        print(f"waddlebot chat: {exc}", file=sys.stderr)
        return 2
    try:
        if args.text is not None:
            return say(client, args, args.text)
        print(f"Chatting as {args.user} ({args.role}) on {args.platform}/{args.server}. Ctrl-D to quit.")
        while True:
            try:
                line = input("> ")
            except EOFError:
                print()
                return 0
            if line.strip() in ("exit", "quit"):
                return 0
            if line.strip():
                say(client, args, line)
    finally:
        client.close()
