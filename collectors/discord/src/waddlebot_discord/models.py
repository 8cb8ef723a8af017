"""Tables the Discord collector uses: only the shared `outbox` (no table of its own).

Interaction state (the type 4 / type 5 decision) lives in Redis or in the process for
the 15 minutes a token lives; the gateway's guild cache lives in py-cord.
"""

from __future__ import annotations

from flask_core import outbox
from flask_core.database import Definer

MODELS: tuple[Definer, ...] = (outbox.define_tables,)
