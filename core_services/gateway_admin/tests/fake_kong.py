"""A fake Kong Admin API: the real paths and shapes of consumers, key-auth and acls.

`/consumers` pages with `size` (default 100) and an opaque `offset`, answering
`{"data": [...], "next": "/consumers?offset=…" | null, "offset": "…"}`; entities are
found by id or username; 404 is `{"message": "Not found"}`; a repeated unique field is
409 with Kong's `{"code": 5, "name": "unique constraint violation", "fields": …}`; with a
token set, a request without `Kong-Admin-Token` is 401.
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from typing import Any

from aiohttp import web

from flask_core.testing import FakeHttpServer

CONSUMER = re.compile(r"^/consumers/([^/]+)$")
CHILDREN = re.compile(r"^/consumers/([^/]+)/(key-auth|acls)$")
CHILD = re.compile(r"^/consumers/([^/]+)/(key-auth|acls)/([^/]+)$")


def not_found() -> web.Response:
    return web.json_response({"message": "Not found"}, status=404)


def unique(fields: dict[str, Any]) -> web.Response:
    detail = ", ".join(f"{k}={v!r}" for k, v in fields.items())
    return web.json_response(
        {"code": 5, "name": "unique constraint violation", "message": f"UNIQUE violation detected on '{{{detail}}}'",
         "fields": fields},
        status=409,
    )  # fmt: skip


class FakeKong(FakeHttpServer):
    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        self.token = token
        self.consumers: list[dict[str, Any]] = []
        self.children: dict[str, list[dict[str, Any]]] = {"key-auth": [], "acls": []}

    def _find(self, ref: str) -> dict[str, Any] | None:
        return next((c for c in self.consumers if ref in (c["id"], c["username"])), None)

    @staticmethod
    def _page(path: str, rows: list[dict[str, Any]], query: dict[str, str]) -> web.Response:
        size = int(query.get("size", "100"))
        start = int(base64.urlsafe_b64decode(query["offset"]).decode()) if query.get("offset") else 0
        data = rows[start : start + size]
        body: dict[str, Any] = {"data": data, "next": None}
        if start + size < len(rows):
            offset = base64.urlsafe_b64encode(str(start + size).encode()).decode()
            body["offset"] = offset
            body["next"] = f"{path}?offset={offset}"
        return web.json_response(body)

    async def default(self, call: Any) -> web.StreamResponse:
        if self.token is not None and call.headers.get("Kong-Admin-Token") != self.token:
            return web.json_response(
                {"message": "Invalid credentials. Token or User credentials required"}, status=401
            )
        now = int(time.time())
        if call.path == "/status":
            return web.json_response({"database": {"reachable": True}, "server": {"connections_active": 1}})
        if call.path == "/consumers":
            if call.method == "GET":
                return self._page("/consumers", self.consumers, call.query)
            body = call.json or {}
            if not body.get("username") and not body.get("custom_id"):
                return web.json_response(
                    {
                        "code": 2,
                        "name": "schema violation",
                        "message": "at least one of these fields must be non-empty: 'custom_id', 'username'",
                    },
                    status=400,
                )
            for field in ("username", "custom_id"):
                if body.get(field) and any(c.get(field) == body[field] for c in self.consumers):
                    return unique({field: body[field]})
            consumer = {"id": str(uuid.uuid4()), "username": body.get("username"), "custom_id": body.get("custom_id"),
                        "tags": body.get("tags"), "created_at": now, "updated_at": now}  # fmt: skip
            self.consumers.append(consumer)
            return web.json_response(consumer, status=201)
        if found := CONSUMER.match(call.path):
            consumer = self._find(found[1])
            if consumer is None:
                return not_found()
            if call.method == "DELETE":
                self.consumers.remove(consumer)
                for kind in self.children:
                    self.children[kind] = [
                        c for c in self.children[kind] if c["consumer"]["id"] != consumer["id"]
                    ]
                return web.Response(status=204)
            return web.json_response(consumer)
        if found := CHILDREN.match(call.path):
            consumer = self._find(found[1])
            if consumer is None:
                return not_found()
            kind = found[2]
            mine = [c for c in self.children[kind] if c["consumer"]["id"] == consumer["id"]]
            if call.method == "GET":
                return self._page(call.path, mine, call.query)
            body = call.json or {}
            entity: dict[str, Any] = {"id": str(uuid.uuid4()), "consumer": {"id": consumer["id"]}, "created_at": now,
                                      "tags": body.get("tags")}  # fmt: skip
            if kind == "key-auth":
                key = body.get("key") or uuid.uuid4().hex
                if any(c["key"] == key for c in self.children[kind]):
                    return unique({"key": key})
                entity.update(key=key, ttl=body.get("ttl"))
            else:
                if any(c["group"] == body.get("group") for c in mine):
                    return unique({"consumer": {"id": consumer["id"]}, "group": body.get("group")})
                entity["group"] = body["group"]
            self.children[kind].append(entity)
            return web.json_response(entity, status=201)
        if found := CHILD.match(call.path):
            consumer = self._find(found[1])
            kind, ref = found[2], found[3]
            match = [
                c for c in self.children[kind]
                if consumer is not None and c["consumer"]["id"] == consumer["id"] and ref in (c["id"], c.get("group"))
            ]  # fmt: skip
            if not match:
                return not_found()
            if call.method == "DELETE":
                self.children[kind].remove(match[0])
                return web.Response(status=204)
            return web.json_response(match[0])
        return not_found()

    def keys(self) -> list[str]:
        return [c["key"] for c in self.children["key-auth"]]
