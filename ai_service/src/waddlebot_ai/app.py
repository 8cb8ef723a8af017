"""create_app for the AI service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from quart import Quart

from flask_core import Resources, module_blueprint
from flask_core import create_app as core_create_app
from flask_core.app import add_ready_check
from flask_core.app import resources as resources_of
from flask_core.supervise import cancel_and_wait

from .keys import Keys
from .manifest import SPEC
from .models import define_tables
from .openai_api import KEYS
from .openai_api import bp as openai_bp
from .providers import ProviderError
from .routes import bp
from .service import ENGINE_KEY, Engine
from .settings import AiSettings

PREFIX = "ai"


def create_app(settings: AiSettings | None = None, resources: Resources | None = None) -> Quart:
    """The AI app: module routes (manifest, commands, events), settings, `/ai/v1`."""
    settings = settings or AiSettings()
    blueprints = [module_blueprint(SPEC), bp, openai_bp]
    app = core_create_app(PREFIX, settings, blueprints, PREFIX, resources=resources, models=[define_tables])

    async def provider_ready(res: Resources) -> tuple[bool, str]:
        """The configured provider answers its model list (reported; never fails /readyz:
        a provider outage gives the fallback text, it does not take the service out)."""
        found = res.extras.get(ENGINE_KEY)
        if not isinstance(found, Engine):
            return False, "starting"
        try:
            await found.providers.get().models(timeout=1.5)
        except ProviderError as exc:
            return False, exc.reason
        return True, "ok"

    add_ready_check(app, "provider", provider_ready, required=False)

    @app.while_serving
    async def _engine() -> AsyncGenerator[None]:
        res = resources_of(app)
        engine = Engine(res, settings)
        res.extras[ENGINE_KEY] = engine
        key_store = Keys(res, settings.ai_key_cache_ttl)
        app.extensions[KEYS] = key_store
        flusher = asyncio.create_task(key_store.run_forever(), name="ai:usage-flush")
        try:
            yield
        finally:
            await cancel_and_wait(flusher)
            await key_store.flush()
            await engine.close()
            if res.extras.get(ENGINE_KEY) is engine:
                del res.extras[ENGINE_KEY]

    return app
