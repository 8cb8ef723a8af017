"""The queue API of youtube_music (service token; the portal's Songs screen, the media overlay).

`/youtube_music/api/v1/communities/{id}/queue` (list; `{items, next_cursor}`),
`…/queue/{request_id}/approve`, `DELETE …/queue/{request_id}`, `…/queue/skip`,
`…/queue/undo-skip`, `…/queue/ended` (browser_source: the media overlay finished a song)
and `GET|PUT …/settings` — the shared handlers of `flask_core.song_queue`.
"""

from __future__ import annotations

from quart import Blueprint

from flask_core.song_queue import SongQueue


def blueprint(queue: SongQueue) -> Blueprint:
    return queue.blueprint()
