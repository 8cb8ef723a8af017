"""What the Slack webhooks answer (Slack reads only the status and, for a challenge, the body)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class WebhookAnswer(BaseModel):
    """200 with an optional JSON body (`{"challenge": ...}` for `url_verification`)."""

    body: dict[str, Any] | None = None
    status: int = 200


class Challenge(BaseModel):
    """200: empty, or `{"challenge": ...}` for the Events API's `url_verification`."""

    challenge: str | None = None
