"""Labels settings: the core names of ARCHITECTURE §2 plus this service's own (LABELS_*)."""

from __future__ import annotations

from flask_core import CoreSettings


class LabelsSettings(CoreSettings):
    """This service's own secrets and limits live here, never in CoreSettings."""

    labels_max_items: int = 100  # LABELS_MAX_ITEMS: items listed at most per answer
