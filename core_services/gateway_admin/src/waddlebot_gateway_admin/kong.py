"""A small client for Kong's Admin API (consumers, key-auth credentials, ACL groups).

Paths and shapes as Kong documents them: `GET /consumers?size=&offset=` → `{data, next,
offset}` (`next` is null on the last page), `POST /consumers {username, custom_id, tags}`,
`/consumers/{id}/key-auth`, `/consumers/{id}/acls`, 404 `{"message": "Not found"}`, 409 on
a unique violation. `KONG_ADMIN_TOKEN` goes in the `Kong-Admin-Token` header.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from flask_core.errors import Conflict, DependencyUnavailable, NotFound, ServiceError, ValidationFailed
from flask_core.resources import Resources

from .settings import GatewayAdminSettings


class Kong:
    def __init__(self, res: Resources, settings: GatewayAdminSettings) -> None:
        if not settings.kong_admin_url:
            raise DependencyUnavailable(
                "the gateway is not configured", details={"status": "disabled", "missing": ["KONG_ADMIN_URL"]}
            )
        self.base = settings.kong_admin_url.rstrip("/")
        self.client = res.http.for_service("gateway_admin")
        self.timeout = settings.kong_timeout
        self.headers = {"Accept": "application/json"}
        if settings.kong_admin_token is not None and settings.kong_admin_token.get_secret_value():
            self.headers["Kong-Admin-Token"] = settings.kong_admin_token.get_secret_value()

    async def call(self, method: str, path: str, *, json: Any = None, params: Any = None) -> Any:
        answer = await self.client.request(
            method, self.base + path, json=json, params=params, headers=self.headers,
            timeout=self.timeout, breaker_key="kong",
        )  # fmt: skip
        if answer.status_code >= 400:
            raise _error(answer)
        if answer.status_code == 204 or not answer.content:
            return None
        return answer.json()

    async def page(self, path: str, size: int, offset: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a Kong collection and the offset of the next one (None: last page)."""
        params: dict[str, Any] = {"size": size}
        if offset:
            params["offset"] = offset
        body = await self.call("GET", path, params=params)
        data = body.get("data", []) if isinstance(body, dict) else []
        following = body.get("offset") if isinstance(body, dict) and body.get("next") else None
        return [d for d in data if isinstance(d, dict)], following


def segment(value: str) -> str:
    return quote(value, safe="")


def _error(answer: httpx.Response) -> ServiceError:
    try:
        body = answer.json()
        message = str(body.get("message") or body.get("name") or "Kong refused the request")
    except ValueError:
        body, message = {}, "Kong refused the request"
    details = {"kong_status": answer.status_code}
    if isinstance(body, dict) and isinstance(body.get("fields"), dict):
        details["fields"] = body["fields"]
    match answer.status_code:
        case 404:
            return NotFound(message, details=details)
        case 409:
            return Conflict(message, details=details)
        case 400:
            return ValidationFailed(message, details=details)
        case 401 | 403:
            return DependencyUnavailable("Kong refused the admin credentials", details=details)
    return DependencyUnavailable(message, details=details)
