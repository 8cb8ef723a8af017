"""Per-community AI settings: provider, model, persona, system prompt, mentions, greetings.

Read through the shared cache (`get_or_set(local=True)`: no database read and no Redis
round trip per question in the steady state), invalidated on every change so every
replica sees it at once. The tenant is always the community id of the path: a row is
only ever read or written by its own `community_id`.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from flask_core import Resources

from .settings import AiSettings

GREETING_TYPES = ("follow", "subscription", "raid", "cheer")
CACHE_TTL = 300.0


@dataclass(slots=True)
class CommunityAi:
    """What one community uses; None fields fall back to the service's settings."""

    community_id: int
    provider: str | None = None
    model: str | None = None
    persona: str | None = None
    system_prompt: str | None = None
    mentions: bool = True
    greetings: dict[str, bool] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def provider_name(self, settings: AiSettings) -> str:
        return self.provider or settings.ai_provider

    def model_name(self, settings: AiSettings) -> str:
        if self.model:
            return self.model
        return (
            settings.waddleai_model if self.provider_name(settings) == "waddleai" else settings.ollama_model
        )

    def system_messages(self, settings: AiSettings) -> list[dict[str, str]]:
        """The system prompt, then the persona: always first, before any remembered turn."""
        prompt = self.system_prompt if self.system_prompt is not None else settings.ai_system_prompt
        persona = self.persona if self.persona is not None else settings.ai_persona
        out = [{"role": "system", "content": prompt}] if prompt.strip() else []
        if persona.strip():
            out.append({"role": "system", "content": f"Persona: {persona.strip()}"})
        return out

    def greets(self, event_type: str) -> bool:
        return bool(self.greetings.get(event_type, False))


def _key(community_id: int) -> str:
    return f"ai:community:{community_id}"


def _row(db: Any, community_id: int) -> dict[str, Any] | None:
    t = db.ai_community_settings
    row = db(t.community_id == community_id).select(limitby=(0, 1)).first()
    if row is None:
        return None
    return {
        "community_id": community_id,
        "provider": row.provider,
        "model": row.model,
        "persona": row.persona,
        "system_prompt": row.system_prompt,
        "mentions": bool(row.mentions) if row.mentions is not None else True,
        "greetings": {k: bool(v) for k, v in (row.greetings or {}).items() if k in GREETING_TYPES},
    }


async def load(res: Resources, community_id: int) -> CommunityAi:
    async def read() -> dict[str, Any]:
        found = await res.db.read(_row, community_id)
        return found or {"community_id": community_id}

    value = await res.cache.get_or_set(_key(community_id), read, CACHE_TTL, local=True)
    return CommunityAi(**value)


def _upsert(db: Any, community_id: int, values: dict[str, Any]) -> None:
    t = db.ai_community_settings
    values = {**values, "updated_at": time.time()}
    if not db(t.community_id == community_id).update(**values):
        t.insert(community_id=community_id, **values)


async def save(res: Resources, community_id: int, changes: dict[str, Any]) -> CommunityAi:
    """Apply `changes` (only the fields given; None clears a field) and return the result."""
    current = (await load(res, community_id)).to_dict()
    if "greetings" in changes and changes["greetings"] is not None:
        changes = {**changes, "greetings": {**current["greetings"], **changes["greetings"]}}
    if changes.get("mentions", True) is None:
        changes["mentions"] = True
    merged = {**current, **changes, "community_id": community_id}
    values = {
        k: merged[k] for k in ("provider", "model", "persona", "system_prompt", "mentions", "greetings")
    }
    await res.db.run(_upsert, community_id, values)
    await res.cache.invalidate(_key(community_id))
    return CommunityAi(**merged)
