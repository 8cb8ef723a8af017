"""create_app for the spotify service."""

from __future__ import annotations

import asyncio
import contextlib

from quart import Quart

from flask_core import Resources, get_logger, module_blueprint
from flask_core import create_app as core_create_app
from flask_core.app import resources as app_resources
from flask_core.song_queue import SongError, SongQueue
from flask_core.supervise import cancel_and_wait

from .manifest import build
from .models import define_tables
from .routes import blueprints
from .service import Accounts
from .settings import SpotifySettings

PREFIX = "spotify"
log = get_logger(__name__)


def create_app(settings: SpotifySettings | None = None, resources: Resources | None = None) -> Quart:
    """Song requests (module routes), the queue API and the account connection."""
    settings = settings or SpotifySettings()
    queue, accounts, spec = build(settings)
    routes = [module_blueprint(spec), *blueprints(queue, accounts)]
    app = core_create_app(PREFIX, settings, routes, PREFIX, resources=resources, models=[define_tables])
    app.extensions["music.queue"] = queue

    @app.before_serving
    async def _start_poller() -> None:
        if settings.spotify_poll_interval > 0:
            task = asyncio.create_task(
                _poll(app_resources(app), queue, accounts, settings.spotify_poll_interval)
            )
            app.extensions["spotify.poller"] = task

    @app.after_serving
    async def _stop_poller() -> None:
        task = app.extensions.pop("spotify.poller", None)
        if task is not None:
            await cancel_and_wait(task)

    return app


async def _poll(res: Resources, queue: SongQueue, accounts: Accounts, every: float) -> None:
    """Now playing of every connected community, so the overlay follows the streamer's player."""
    while True:
        await asyncio.sleep(every)
        try:
            communities = await accounts.connected(res)
        except Exception as exc:
            log.warning("spotify.poll_failed", error=repr(exc))
            continue
        for community_id in communities:
            with contextlib.suppress(SongError):
                try:
                    await queue.observe(res, community_id)
                except SongError:
                    raise
                except Exception as exc:
                    log.warning("spotify.poll_failed", community_id=community_id, error=repr(exc))
