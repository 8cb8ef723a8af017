"""Inventory asks the labels service (service-to-service HTTP with the shared client).

Items are labelled as entities of type `item` with the item's id. In `make run` the
labels service is in the same process and the call goes to the process's own address.
"""

from __future__ import annotations

from typing import Any

from flask_core import DependencyUnavailable, Resources

from .settings import InventorySettings

PREFIX = "inventory"


class LabelRefused(ValueError):
    """The labels service refused the label (its limit, a system label, a bad name)."""


def _base(community_id: int) -> str:
    return f"/labels/api/v1/communities/{community_id}"


async def label_item(
    res: Resources, settings: InventorySettings, community_id: int, item_id: int, label: str
) -> list[str]:
    """Put `label` on the item (created when new); → the item's labels now."""
    response = await res.http.for_service(PREFIX).call(
        "labels", "POST", f"{_base(community_id)}/entities/item/{item_id}/labels",
        json={"label": label}, timeout=settings.inventory_labels_timeout, retries=1,
    )  # fmt: skip
    if response.status_code in (409, 422):
        body: Any = response.json()
        raise LabelRefused(str(body.get("error", {}).get("message", "refused")))
    if response.status_code != 200:
        raise DependencyUnavailable("labels refused the call", details={"status": response.status_code})
    return [str(item["name"]) for item in response.json()["items"]]


async def items_with_label(
    res: Resources, settings: InventorySettings, community_id: int, label: str
) -> list[int]:
    """The ids of the community's items labelled `label` (at most 1000)."""
    ids: list[int] = []
    cursor: str | None = None
    for _ in range(10):
        params = {"labels": label, "type": "item", "limit": "100", **({"cursor": cursor} if cursor else {})}
        response = await res.http.for_service(PREFIX).call(
            "labels", "GET", f"{_base(community_id)}/entities", params=params,
            timeout=settings.inventory_labels_timeout,
        )  # fmt: skip
        if response.status_code == 422:
            return []  # not a label name: nothing carries it
        if response.status_code != 200:
            raise DependencyUnavailable("labels refused the call", details={"status": response.status_code})
        body = response.json()
        ids += [int(i["entity_id"]) for i in body["items"] if str(i["entity_id"]).isdigit()]
        cursor = body.get("next_cursor")
        if not cursor:
            break
    return ids
