"""For tests (this one and any fleet test): a fake Kong Admin API (`FakeKong`).

The real paths and shapes of consumers, key-auth and acls.

`/consumers` pages with `size` (default 100) and an opaque `offset`, answering
`{"data": [...], "next": "/consumers?offset=…" | null, "offset": "…"}`; entities are
found by id or username; 404 is `{"message": "Not found"}`; a repeated unique field is
409 with Kong's `{"code": 5, "name": "unique constraint violation", "fields": …}`; with a
token set, a request without `Kong-Admin-Token` is 401. A fleet test enables gateway_admin
with `KONG_ADMIN_URL=<FakeKong().url>` (aiohttp, a dev dependency, is imported here only).
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from typing import Any

from aiohttp import web

from flask_core.local_servers import FakeHttpServer, Recorded

CONSUMER = re.compile(r"^/consumers/([^/]+)$")
CHILDREN = re.compile(r"^/consumers/([^/]+)/(key-auth|acls)$")
CHILD = re.compile(r"^/consumers/([^/]+)/(key-auth|acls)/([^/]+)$")


def not_found() -> web.Response:
    return web.json_response({"message": "Not found"}, status=404)


def unique(fields: dict[str, Any]) -> web.Response:
    detail = ", ".join(f"{k}={v!r}" for k, v in fields.items())
    message = f"UNIQUE violation detected on '{{{detail}}}'"
    body = {"code": 5, "name": "unique constraint violation", "message": message, "fields": fields}
    return web.json_response(body, status=409)


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
        try:
            start = int(base64.urlsafe_b64decode(query["offset"]).decode()) if query.get("offset") else 0
        except (ValueError, UnicodeError):  # Kong: 400 for an offset it never gave
            return web.json_response(
                {"code": 2, "name": "invalid offset", "message": "invalid offset"}, status=400
            )
        body: dict[str, Any] = {"data": rows[start : start + size], "next": None}
        if start + size < len(rows):
            offset = base64.urlsafe_b64encode(str(start + size).encode()).decode()
            body["offset"] = offset
            body["next"] = f"{path}?offset={offset}"
        return web.json_response(body)

    async def default(self, call: Recorded) -> web.StreamResponse:
        if self.token is not None and call.headers.get("Kong-Admin-Token") != self.token:
            message = "Invalid credentials. Token or User credentials required"
            return web.json_response({"message": message}, status=401)
        if call.path == "/status":
            return web.json_response({"database": {"reachable": True}, "server": {"connections_active": 1}})
        if call.path == "/consumers":
            return self._consumers(call)
        if found := CONSUMER.match(call.path):
            return self._consumer(call, found[1])
        if found := CHILDREN.match(call.path):
            return self._children(call, found[1], found[2])
        if found := CHILD.match(call.path):
            return self._child(call, found[1], found[2], found[3])
        return not_found()

    def _consumers(self, call: Recorded) -> web.Response:
        if call.method == "GET":
            return self._page("/consumers", self.consumers, call.query)
        body = call.json if isinstance(call.json, dict) else {}
        if not body.get("username") and not body.get("custom_id"):
            message = "at least one of these fields must be non-empty: 'custom_id', 'username'"
            return web.json_response({"code": 2, "name": "schema violation", "message": message}, status=400)
        for name in ("username", "custom_id"):
            if body.get(name) and any(c.get(name) == body[name] for c in self.consumers):
                return unique({name: body[name]})
        now = int(time.time())
        consumer = {
            "id": str(uuid.uuid4()), "username": body.get("username"), "custom_id": body.get("custom_id"),
            "tags": body.get("tags"), "created_at": now, "updated_at": now,
        }  # fmt: skip
        self.consumers.append(consumer)
        return web.json_response(consumer, status=201)

    def _consumer(self, call: Recorded, ref: str) -> web.StreamResponse:
        consumer = self._find(ref)
        if consumer is None:
            return not_found()
        if call.method == "DELETE":
            self.consumers.remove(consumer)
            for kind, rows in self.children.items():
                self.children[kind] = [c for c in rows if c["consumer"]["id"] != consumer["id"]]
            return web.Response(status=204)
        return web.json_response(consumer)

    def _children(self, call: Recorded, ref: str, kind: str) -> web.Response:
        consumer = self._find(ref)
        if consumer is None:
            return not_found()
        mine = [c for c in self.children[kind] if c["consumer"]["id"] == consumer["id"]]
        if call.method == "GET":
            return self._page(call.path, mine, call.query)
        body = call.json if isinstance(call.json, dict) else {}
        entity: dict[str, Any] = {
            "id": str(uuid.uuid4()), "consumer": {"id": consumer["id"]}, "created_at": int(time.time()),
            "tags": body.get("tags"),
        }  # fmt: skip
        if kind == "key-auth":
            key = body.get("key") or uuid.uuid4().hex
            if any(c["key"] == key for c in self.children[kind]):
                return unique({"key": key})
            entity.update(key=key, ttl=body.get("ttl"))
        else:
            if any(c["group"] == body.get("group") for c in mine):
                return unique({"consumer": {"id": consumer["id"]}, "group": body.get("group")})
            entity["group"] = body.get("group")
        self.children[kind].append(entity)
        return web.json_response(entity, status=201)

    def _child(self, call: Recorded, ref: str, kind: str, child: str) -> web.StreamResponse:
        consumer = self._find(ref)
        if consumer is None:
            return not_found()
        mine = [c for c in self.children[kind] if c["consumer"]["id"] == consumer["id"]]
        match = [c for c in mine if child in (c["id"], c.get("group"))]
        if not match:
            return not_found()
        if call.method == "DELETE":
            self.children[kind].remove(match[0])
            return web.Response(status=204)
        return web.json_response(match[0])

    def keys(self) -> list[str]:
        """Every key Kong holds (key-auth matches them as they are)."""
        return [str(c["key"]) for c in self.children["key-auth"]]
