"""Inventory settings: the core names of ARCHITECTURE §2 plus this service's own (INVENTORY_*)."""

from __future__ import annotations

from flask_core import CoreSettings


class InventorySettings(CoreSettings):
    """This service's own secrets and limits live here, never in CoreSettings."""

    inventory_max_items: int = 100  # INVENTORY_MAX_ITEMS: items listed at most per answer
