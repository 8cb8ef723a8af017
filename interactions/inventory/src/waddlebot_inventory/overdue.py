"""Overdue checkouts: announced once in the chat they were made in, through the router.

Each checkout has a job (`inventory_overdue`) in the shared durable scheduler at its
due time. Firing posts `@user, please return the <item>: it was due …` through
`POST /router/api/v1/messages` (flask_core.outbound) with §11's message id
`inventory:overdue:<checkout id>:<due>`, so a replica that fires it again never posts
twice; a returned checkout's job is cancelled in the checkin's unit of work.
"""

from __future__ import annotations

from quart import Quart

from flask_core import Resources, get_logger
from flask_core.app import resources
from flask_core.message_limits import fit
from flask_core.outbound import post_message
from flask_core.scheduler import Job, Scheduler
from flask_core.supervise import supervise

from . import service
from .service import OVERDUE_KIND, Checkout
from .settings import InventorySettings

log = get_logger(__name__)
PREFIX = "inventory"


def message_id(checkout: Checkout, job: Job) -> str:
    return f"{PREFIX}:overdue:{checkout.id}:{job.occurrence_key}"


def notice(checkout: Checkout) -> str:
    due = f"{checkout.due_at:%Y-%m-%d %H:%M} UTC"
    return fit(
        f"@{checkout.holder_name}, please return the {checkout.item_name}: it was due {due}.",
        checkout.platform,
    )


async def fire(res: Resources, job: Job) -> None:
    """Announce one overdue checkout; raise (DependencyUnavailable) to have it retried."""
    checkout = await service.get_checkout(res.db, int(job.payload.get("checkout_id", 0)))
    if checkout is None or checkout.returned_at is not None:
        return
    await post_message(
        res, PREFIX, message_id=message_id(checkout, job), community_id=checkout.community_id,
        platform=checkout.platform, server_id=checkout.server_id, channel_id=checkout.channel_id,
        responses=[{"type": "chat", "text": notice(checkout)}],
    )  # fmt: skip
    await service.mark_announced(res.db, checkout.id)


def install(app: Quart, settings: InventorySettings) -> None:
    """Run the overdue scheduler (its kind only) under supervision while the app serves."""

    async def body() -> None:
        res = resources(app)

        async def handler(job: Job) -> None:
            await fire(res, job)

        runner = Scheduler(res.db, {OVERDUE_KIND: handler}, interval=settings.inventory_scheduler_interval)
        app.extensions["inventory.scheduler"] = runner
        await runner.run()

    supervise(app, "scheduler", body)
