"""Browser source settings: the core names of ARCHITECTURE §2 plus BROWSER_SOURCE_*."""

from __future__ import annotations

from flask_core import CoreSettings


class BrowserSourceSettings(CoreSettings):
    """Overlay tokens, fan-out and client limits (scaled down in tests and the bench).

    - `browser_source_grace`: seconds a rotated-out token keeps working (5 minutes).
    - `browser_source_replay`: items per (community, kind) sent again to a new client.
    - `browser_source_queue`: items waiting for one client before it is dropped (slow).
    - `browser_source_heartbeat`: seconds between the page's pings; the server closes a
      client silent for three of them and re-checks its token on each ping.
    - `browser_source_token_cache`: seconds a checked token is trusted in process.
    """

    browser_source_grace: float = 300.0
    browser_source_replay: int = 20
    browser_source_queue: int = 64
    browser_source_heartbeat: float = 15.0
    browser_source_token_cache: float = 2.0
    browser_source_dedupe_ttl: float = 86400.0
