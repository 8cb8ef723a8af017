"""schemathesis hooks for `test_schemathesis.py` (loaded by `st run` through SCHEMATHESIS_HOOKS).

Service tokens live at most 60 s, so each request gets a fresh one, for the audience
of the operation's prefix (the first path segment), signed with WB_TEST_SECRET.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis

from flask_core.auth import mint_service_token


@schemathesis.auth(refresh_interval=None)
class ServiceToken:
    def get(self, case: Any, ctx: Any) -> str:
        prefix = case.operation.path.strip("/").split("/", 1)[0]
        return mint_service_token(os.environ["WB_TEST_SECRET"], "schemathesis", prefix)

    def set(self, case: Any, data: str, ctx: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
