"""The bodies of the queue API: the shared song queue's (one definition for both music services)."""

from __future__ import annotations

from flask_core.song_queue import Ended, QueueQuery, QueueSettings, RequestList, RequestOut, SettingsPatch

__all__ = ["Ended", "QueueQuery", "QueueSettings", "RequestList", "RequestOut", "SettingsPatch"]
