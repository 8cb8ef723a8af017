"""Labels settings: the core names of ARCHITECTURE §2 plus this service's own (LABELS_*)."""

from __future__ import annotations

from flask_core import CoreSettings


class LabelsSettings(CoreSettings):
    """Limits of the labels service.

    `LABELS_MAX_PER_USER` (default 5): labels one user may carry per community;
    `LABELS_MAX_PER_ENTITY` (default 20): labels on one item, event, quote or command.
    """

    labels_max_per_user: int = 5
    labels_max_per_entity: int = 20
