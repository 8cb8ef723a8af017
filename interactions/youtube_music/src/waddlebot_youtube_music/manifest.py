"""What youtube_music offers the router: the song request commands of §12 (Music)."""

from __future__ import annotations

from flask_core import Manifest, ManifestCommand, ModuleSpec
from flask_core.song_queue import DESCRIPTIONS, ROLES, USAGES, SongQueue

from .service import YouTube
from .settings import YoutubeMusicSettings

VERSION = "1.0.0"

MANIFEST = Manifest(
    name="youtube_music",
    version=VERSION,
    description="Song requests from YouTube, played by the media overlay.",
    commands=[
        ManifestCommand(
            path=path, description=DESCRIPTIONS[path], usage=usage, role=ROLES.get(path, "everyone")
        )
        for path, usage in USAGES.items()
    ],
)


def build(settings: YoutubeMusicSettings) -> tuple[SongQueue, ModuleSpec]:
    queue = SongQueue("youtube_music", YouTube(settings), label="YouTube video")
    return queue, ModuleSpec(manifest=MANIFEST, commands=queue.handlers())
