"""The AI tables (pydal), migrated with every other service's by `waddlebot migrate`.

- `ai_community_settings`: one row per community that changed anything (provider,
  model, persona, system prompt, whether mentions are answered, greetings per event
  type); a community without a row uses the service's settings.
- `ai_key_usage`: requests and tokens counted per user API key of our OpenAI-compatible
  endpoint (the key itself lives in identity; only its id is kept here).
"""

from __future__ import annotations

from typing import Any

from pydal import Field

from flask_core import ensure_index


def define_tables(db: Any) -> None:
    db.define_table(
        "ai_community_settings",
        Field("community_id", "bigint", notnull=True),
        Field("provider", "string", length=16),  # None: AI_PROVIDER
        Field("model", "string", length=200),  # None: the provider's model setting
        Field("persona", "text"),
        Field("system_prompt", "text"),
        Field("mentions", "boolean", default=True),
        Field("greetings", "json"),  # {"follow": true, ...}; unset types are off
        Field("updated_at", "double"),
    )
    ensure_index(
        db, "ai_community_settings", "ai_community_settings_community", ("community_id",), unique=True
    )
    db.define_table(
        "ai_key_usage",
        Field("key_id", "string", length=128, notnull=True),
        Field("user_id", "string", length=128),
        Field("requests", "bigint", default=0),
        Field("prompt_tokens", "bigint", default=0),
        Field("completion_tokens", "bigint", default=0),
        Field("last_used_at", "double"),
    )
    ensure_index(db, "ai_key_usage", "ai_key_usage_key", ("key_id",), unique=True)
