"""The portal's list contract (§12): `limit`, `cursor`, `q`, `sort` → `{items, next_cursor}`.

A cursor is opaque to callers: the position after the last item of a page, as URL-safe
base64 of a small JSON object. A cursor that does not decode is a 422.
"""

from __future__ import annotations

import base64
import binascii
import json

from flask_core import ValidationFailed


def encode(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        offset = json.loads(raw)["o"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise ValidationFailed("invalid cursor", details={"field": "cursor"}) from exc
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= 10**9:
        raise ValidationFailed("invalid cursor", details={"field": "cursor"})
    return offset


def next_cursor(offset: int, count: int, more: bool) -> str | None:
    return encode(offset + count) if more else None
