"""What youtube_music offers the router: the song request commands of §12 (Music)."""

from __future__ import annotations

from flask_core import Manifest, ManifestCommand, ModuleSpec
from flask_core.song_queue import DESCRIPTIONS, ROLES, USAGES, SongQueue

from .service import YouTube
from .settings import YoutubeMusicSettings

VERSION = "1.1.0"

#: The queue settings the modules screen edits (decision 0078): `flask_core.song_queue`'s
#: `QueueSettings`, served at `PUT /youtube_music/api/v1/communities/{id}/settings`.
SETTINGS_SCHEMA = {
    "type": "object",
    "properties": {
        "user_limit": {
            "type": "integer", "title": "Requests per viewer in the queue", "minimum": 1, "maximum": 50,
            "description": "How many songs one viewer may have waiting at once.",
        },
        "max_duration": {
            "type": "integer", "title": "Longest song (seconds)", "minimum": 10, "maximum": 7200,
        },
        "approval": {
            "type": "boolean", "title": "Moderators approve requests",
            "description": "Requests wait for a moderator before they are queued.",
        },
        "skip_votes": {
            "type": "integer", "title": "Votes to skip a song", "minimum": 1, "maximum": 1000,
        },
        "blocked_channels": {"type": "array", "items": {"type": "string"}, "maxItems": 500,
                             "title": "Blocked channels"},
        "blocked_words": {"type": "array", "items": {"type": "string"}, "maxItems": 500,
                          "title": "Blocked words"},
        "blocked_ids": {"type": "array", "items": {"type": "string"}, "maxItems": 500,
                        "title": "Blocked videos"},
    },
    "additionalProperties": False,
}  # fmt: skip

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
    settings_schema=SETTINGS_SCHEMA,
)


def build(settings: YoutubeMusicSettings) -> tuple[SongQueue, ModuleSpec]:
    queue = SongQueue("youtube_music", YouTube(settings), label="YouTube video")
    return queue, ModuleSpec(manifest=MANIFEST, commands=queue.handlers())
