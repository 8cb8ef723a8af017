"""Tables the Slack collector uses: only the shared `outbox` (no table of its own).

Bot identity comes from `auth.test` and user roles from `users.info` (cached), so
nothing Slack-specific needs to be stored.
"""

from __future__ import annotations

from flask_core import outbox
from flask_core.database import Definer

MODELS: tuple[Definer, ...] = (outbox.define_tables,)
