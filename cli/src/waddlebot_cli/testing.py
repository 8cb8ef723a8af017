"""Test helpers for whole fleets: every app behind the real dispatcher and real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from quart import Quart

from flask_core.testing import live_server, reset_database, service_headers

from .dispatcher import Dispatcher


class Fleet:
    """A real in-process fleet behind hypercorn; `post` sends events with a service token."""

    def __init__(self, url: str, dispatcher: Dispatcher) -> None:
        self.url = url
        self.dispatcher = dispatcher
        self.http = httpx.AsyncClient(base_url=url, timeout=30)

    async def post(self, event: dict[str, Any], *, headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.post(
            "/router/api/v1/events",
            json=event,
            headers=headers if headers is not None else service_headers("router"),
        )

    async def batch(self, events: list[dict[str, Any]]) -> httpx.Response:
        return await self.http.post(
            "/router/api/v1/events/batch", json={"events": events}, headers=service_headers("router")
        )


@asynccontextmanager
async def run_fleet(settings: Any, apps: dict[str, Quart]) -> AsyncIterator[Fleet]:
    await reset_database(settings, apps.values())
    dispatcher = Dispatcher(apps, settings)
    async with live_server(dispatcher, settings.port) as url:
        fleet = Fleet(url, dispatcher)
        try:
            yield fleet
        finally:
            await fleet.http.aclose()
