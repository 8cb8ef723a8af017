"""Seed a running `waddlebot run` (same DATA_DIR/DATABASE_URL) for the browser tests.

Makes a portal user and grants it `broadcaster` in the dev `web:demo` community, through
the portal's own functions (`waddlebot users create/grant` once the CLI has them). Prints
one JSON line: {"email", "password", "community_id"}.

    uv run --no-sync python portal_frontend/e2e/seed.py --email e2e@example.test --password ...
"""

from __future__ import annotations

import argparse
import asyncio
import json

from flask_core.resources import Resources
from waddlebot_portal import accounts
from waddlebot_portal.models import define_tables as portal_tables
from waddlebot_portal.settings import PortalSettings
from waddlebot_router import communities
from waddlebot_router.models import define_tables as router_tables


async def seed(email: str, password: str, role: str) -> dict[str, object]:
    settings = PortalSettings()
    res = await Resources.open(settings)
    try:
        res.db.add_models(portal_tables)
        res.db.add_models(router_tables)
        community_id = await communities.find_community(res, "web", "demo")
        if community_id is None:
            raise SystemExit("no web:demo community: start `waddlebot run` with ENV=dev first")
        account = await accounts.find_by_email(res.db, email)
        if account is None:
            account = await accounts.create_user(res.db, settings, email, password)
        await accounts.grant(res.db, account.id, community_id, role, by="e2e-seed")
        return {"email": email, "password": password, "community_id": community_id}
    finally:
        await res.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--role", default="broadcaster")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(seed(args.email, args.password, args.role))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
