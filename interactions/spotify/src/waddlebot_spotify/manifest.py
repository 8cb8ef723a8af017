"""What spotify offers the router: the song request commands of §12 (Music)."""

from __future__ import annotations

from flask_core import Manifest, ManifestCommand, ModuleSpec
from flask_core.song_queue import DESCRIPTIONS, ROLES, USAGES, SongQueue

from .service import Accounts, Spotify
from .settings import SpotifySettings

VERSION = "1.0.0"

MANIFEST = Manifest(
    name="spotify",
    version=VERSION,
    description="Song requests into the streamer's Spotify queue (exclusive with youtube_music).",
    commands=[
        ManifestCommand(
            path=path, description=DESCRIPTIONS[path], usage=usage, role=ROLES.get(path, "everyone")
        )
        for path, usage in USAGES.items()
    ],
)


def build(settings: SpotifySettings) -> tuple[SongQueue, Accounts, ModuleSpec]:
    accounts = Accounts(settings)
    queue = SongQueue("spotify", Spotify(settings, accounts), label="Spotify track")
    return queue, accounts, ModuleSpec(manifest=MANIFEST, commands=queue.handlers())
