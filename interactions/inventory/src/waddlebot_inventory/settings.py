"""Inventory settings: the core names of ARCHITECTURE §2 plus this service's own (INVENTORY_*)."""

from __future__ import annotations

from flask_core import CoreSettings


class InventorySettings(CoreSettings):
    """`INVENTORY_CHECKOUT_HOURS`: a checkout's loan without `[hours]` (default 24);
    `INVENTORY_MAX_CHECKOUT_HOURS` (default 720); `INVENTORY_SCHEDULER_INTERVAL`: seconds
    between polls of the overdue scheduler (default 1); `INVENTORY_LABELS_TIMEOUT`: the
    budget of a call to the labels service (default 3 s)."""

    inventory_checkout_hours: float = 24.0
    inventory_max_checkout_hours: float = 720.0
    inventory_scheduler_interval: float = 1.0
    inventory_labels_timeout: float = 3.0
