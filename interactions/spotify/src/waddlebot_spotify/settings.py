"""Spotify settings: the core names of ARCHITECTURE §2 plus this service's own (SPOTIFY_*)."""

from __future__ import annotations

from flask_core import CoreSettings


class SpotifySettings(CoreSettings):
    """This service's own secrets and limits live here, never in CoreSettings."""

    spotify_max_items: int = 100  # SPOTIFY_MAX_ITEMS: items listed at most per answer
