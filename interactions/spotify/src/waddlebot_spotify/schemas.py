"""Bodies of the spotify API: the shared queue's, plus the account's."""

from __future__ import annotations

from pydantic import BaseModel, Field

from flask_core.song_queue import Ended, QueueQuery, QueueSettings, RequestList, RequestOut, SettingsPatch

__all__ = [
    "AccountOut", "CallbackQuery", "ConnectOut", "Ended", "QueueQuery", "QueueSettings", "RequestList",
    "RequestOut", "SettingsPatch",
]  # fmt: skip


class ConnectOut(BaseModel):
    authorize_url: str


class AccountOut(BaseModel):
    connected: bool


class CallbackQuery(BaseModel):
    code: str | None = Field(default=None, max_length=2000)
    state: str | None = Field(default=None, max_length=200)
    error: str | None = Field(default=None, max_length=200)
