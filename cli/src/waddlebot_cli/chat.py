"""`waddlebot chat`: talk to the router as a test user, from a terminal.

Kept light on purpose (it answers in well under a second): no web server, no httpx.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from typing import Any

from flask_core.events import ROLE_ORDER

from .client import Answer, CliError, CliSettings, MissingSecret, RouterClient, describe

LATE_ANSWER_WAIT = 30.0


def register(sub: Any) -> None:
    chat = sub.add_parser("chat", help="send a chat line to the router and print the answer")
    chat.add_argument("text", nargs="?", help="the chat line, e.g. '!quote'; none opens a prompt")
    chat.add_argument("--platform", default="web", choices=["web", "twitch", "discord", "slack"])
    chat.add_argument("--server", default="demo", help="server/community id (default: demo)")
    chat.add_argument("--channel", help="channel id (default: the server id)")
    chat.add_argument("--user", default="viewer", help="username (default: viewer)")
    chat.add_argument("--role", default="everyone", choices=ROLE_ORDER)
    chat.add_argument("--url", help="WaddleBot's base URL (default: ROUTER_URL, else http://HOST:PORT)")


def build_event(args: argparse.Namespace, text: str) -> dict[str, Any]:
    roles = [] if args.role == "everyone" else [args.role]
    return {
        "event_id": f"{args.platform}:cli-{uuid.uuid4()}",
        "platform": args.platform,
        "server_id": args.server,
        "channel_id": args.channel or args.server,
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


def wait_late(client: RouterClient, invocation_id: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + LATE_ANSWER_WAIT
    while time.monotonic() < deadline:
        answer = client.call("GET", f"/router/api/v1/responses/{invocation_id}")
        if answer.status != 200:
            break
        responses: list[dict[str, Any]] = answer.body.get("responses") or []
        if responses:
            return responses
        time.sleep(0.5)
    return []


def show(client: RouterClient, answer: Answer) -> None:
    body = answer.body
    responses = body.get("responses", [])
    if body.get("pending") and body.get("invocation_id"):
        print("(the bot is thinking…)", file=sys.stderr)
        responses = wait_late(client, body["invocation_id"])
    for item in responses:
        print(item.get("text") or f"[{item.get('type')}] {item.get('payload', '')}")
    if not responses:
        print(f"({body.get('status', 'no answer')}: no reply)", file=sys.stderr)


def say(client: RouterClient, args: argparse.Namespace, text: str) -> int:
    """Send one line; print the bot's answer. 1 when it could not be asked."""
    try:
        answer = client.call("POST", "/router/api/v1/events", build_event(args, text))
        if answer.status >= 400:
            print(describe(answer), file=sys.stderr)
            return 1
        show(client, answer)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def prompt(client: RouterClient, args: argparse.Namespace) -> int:
    try:
        print(
            f"Chatting as {args.user} ({args.role}) on {args.platform}/{args.server}. "
            "Type a line for the bot; exit, quit, Ctrl-D or Ctrl-C to leave."
        )
    except KeyboardInterrupt:  # Ctrl-C while the banner is written: leave as quietly as at the prompt
        print()
        return 0
    while True:
        try:
            line = input("> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if line.strip() in ("exit", "quit"):
            return 0
        if line.strip():
            try:
                say(client, args, line)
            except KeyboardInterrupt:  # waiting for an answer: back to the prompt
                print()


def run(args: argparse.Namespace, settings: CliSettings) -> int:
    try:
        client = RouterClient(settings, args.url)
    except MissingSecret as exc:
        print(f"waddlebot chat: {exc}", file=sys.stderr)
        return 2
    if args.text is not None:
        return say(client, args, args.text)
    return prompt(client, args)
