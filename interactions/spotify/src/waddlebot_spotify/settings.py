"""spotify settings: the core names of ARCHITECTURE §2 plus Spotify's (§11)."""

from __future__ import annotations

from flask_core import CoreSettings


class SpotifySettings(CoreSettings):
    """`SPOTIFY_CLIENT_ID` / `SPOTIFY_CLIENT_SECRET` (the app registered with Spotify; its
    redirect URI is `PUBLIC_URL/spotify/oauth/callback`), `SPOTIFY_API_URL` and
    `SPOTIFY_AUTH_URL` (local fakes in tests). `SPOTIFY_POLL_INTERVAL`: seconds between
    now-playing checks of connected communities (0: only when a command asks)."""

    spotify_client_id: str | None = None
    spotify_client_secret: str | None = None
    spotify_api_url: str = "https://api.spotify.com/v1"
    spotify_auth_url: str = "https://accounts.spotify.com"
    spotify_timeout: float = 4.0
    spotify_poll_interval: float = 15.0
    spotify_state_ttl: float = 600.0
