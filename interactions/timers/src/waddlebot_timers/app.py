"""create_app for the timers service."""

from __future__ import annotations

from quart import Quart

from flask_core import Resources, module_blueprint, scheduler
from flask_core import create_app as core_create_app
from flask_core.app import resources
from flask_core.scheduler import Job, Scheduler, utcnow
from flask_core.supervise import supervise

from . import service
from .manifest import SPEC
from .models import define_tables
from .routes import bp
from .settings import TimersSettings

PREFIX = "timers"


def create_app(settings: TimersSettings | None = None, resources: Resources | None = None) -> Quart:
    """The timers app: module routes (manifest, commands, events), the REST API, the ticks."""
    settings = settings or TimersSettings()
    blueprints = [module_blueprint(SPEC), bp]
    app = core_create_app(
        PREFIX,
        settings,
        blueprints,
        PREFIX,
        resources=resources,
        models=[define_tables, scheduler.define_tables],
    )
    _install_ticks(app, settings)
    return app


def _install_ticks(app: Quart, settings: TimersSettings) -> None:
    """Run the timers' tick jobs on the shared durable scheduler while the app serves.

    The clock is `app.extensions[service.CLOCK_KEY]` (the real time): a test puts its
    own there before the app starts, so even the scheduler's first pass reads it.
    """
    app.extensions.setdefault(service.CLOCK_KEY, utcnow)

    async def body() -> None:
        res = resources(app)

        async def handler(job: Job) -> None:
            await service.tick(res, job)

        runner = Scheduler(
            res.db,
            {service.KIND: handler},
            clock=lambda: app.extensions[service.CLOCK_KEY](),
            interval=settings.timers_scheduler_interval,
        )
        # Commands and events read the same clock as the ticks (tests move it, never sleep).
        res.extras[service.CLOCK_KEY] = lambda: runner.clock()
        app.extensions["timers.scheduler"] = runner
        await runner.run()

    supervise(app, "scheduler", body)
