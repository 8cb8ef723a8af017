"""`waddlebot users create|grant`: portal accounts and their roles per community.

    waddlebot users create --email E [--password P] [--admin]
    waddlebot users grant --email E --community <platform>:<server_id> --role <role>

Works on DATABASE_URL directly (no server needed: the first admin is made before anyone
can sign in), applying the portal's tables first (safe to run twice). Without
`--password` the password is read from stdin (a prompt on a terminal), so it need not
show in the shell's history. Passwords are hashed with argon2id by the portal's code.
A community is a platform server the bot has seen (its first chat message creates it).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import Any

from flask_core.errors import ServiceError

from .client import CliError
from .commands import PLATFORMS, split_community

ROLES = ("everyone", "regular", "subscriber", "vip", "moderator", "broadcaster")


def register(sub: Any) -> None:
    users = sub.add_parser("users", help="create portal accounts and give them roles per community")
    verbs = users.add_subparsers(dest="verb", required=True)
    create = verbs.add_parser("create", help="create a portal account (email and password)")
    create.add_argument("--email", required=True)
    create.add_argument("--password", help="the password (default: read from stdin / a prompt)")
    create.add_argument("--admin", action="store_true", help="an operator: every community, every right")
    grant = verbs.add_parser("grant", help="give an account a role in one community")
    grant.add_argument("--email", required=True)
    where = f"<platform>:<server_id> ({', '.join(PLATFORMS)}), e.g. twitch:9001"
    grant.add_argument("--community", required=True, help=where)
    grant.add_argument("--role", required=True, choices=ROLES)
    users.set_defaults(func=run)


def _password(args: argparse.Namespace) -> str:
    if args.password is not None:
        return str(args.password)
    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    return sys.stdin.readline().rstrip("\n")


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    try:
        from waddlebot_portal.settings import PortalSettings
    except ImportError:
        print("waddlebot users: the portal service (waddlebot-portal) is not installed", file=sys.stderr)
        return 2
    from flask_core.settings import set_default_env

    set_default_env(env="dev", log_level="WARNING")  # like `waddlebot run`: a dev server's store
    try:
        settings = PortalSettings()
    except ValidationError as exc:
        messages = "; ".join(str(err.get("msg", err)) for err in exc.errors())
        print(f"waddlebot users: invalid settings: {messages}", file=sys.stderr)
        return 2
    try:
        if args.verb == "create":
            password = _password(args)
            return asyncio.run(_create(settings, args.email, password, args.admin))
        platform, server_id = split_community(args.community)
        return asyncio.run(_grant(settings, args.email, platform, server_id, args.role))
    except CliError as exc:
        print(f"waddlebot users: {exc}", file=sys.stderr)
        return 2
    except ServiceError as exc:  # a taken email, a too short password …
        print(f"waddlebot users: {exc.message}", file=sys.stderr)
        return 1


async def _open(settings: Any) -> Any:
    from flask_core.resources import Resources
    from waddlebot_portal.models import define_tables

    res = await Resources.open(settings)
    res.db.add_models(define_tables)
    try:
        from waddlebot_community.models import define_tables as community_tables
    except ImportError as exc:  # pragma: no cover - every install has the community service
        raise SystemExit("waddlebot users: the community service is not installed") from exc
    res.db.add_models(community_tables)  # grants name communities, which the community service owns
    await res.db.migrate()
    return res


async def _create(settings: Any, email: str, password: str, admin: bool) -> int:
    from waddlebot_portal import accounts

    res = await _open(settings)
    try:
        account = await accounts.create_user(res.db, settings, email, password, admin=admin)
    finally:
        await res.close()
    kind = "admin" if account.admin else "user"
    print(f"created {kind} {account.email} (id {account.id})")
    return 0


async def _grant(settings: Any, email: str, platform: str, server_id: str, role: str) -> int:
    from waddlebot_portal import accounts
    from waddlebot_router.communities import find_community

    res = await _open(settings)
    try:
        account = await accounts.find_by_email(res.db, email)
        if account is None:
            print(f"waddlebot users: no account {email!r}; create it first", file=sys.stderr)
            return 1
        community_id = await find_community(res, platform, server_id)
        if community_id is None:
            print(
                f"waddlebot users: no community for {platform}:{server_id} yet; "
                "its first chat message creates it",
                file=sys.stderr,
            )
            return 1
        before = await accounts.grant(res.db, account.id, community_id, role, by="cli")
    finally:
        await res.close()
    was = f" (was {before})" if before else ""
    print(f"{account.email} is {role} in community {community_id} ({platform}:{server_id}){was}")
    return 0
