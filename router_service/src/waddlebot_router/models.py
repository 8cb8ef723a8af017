"""The router owns no table (decision 0053).

It defines the community's and the marketplace's tables (their own definitions) so that
a router deployed without them still runs on the same tables through their code; pydal
takes each definition once, so a process that mounts both defines them once.
"""

from __future__ import annotations

from waddlebot_community.models import define_tables as define_community_tables
from waddlebot_marketplace.models import define_tables as define_marketplace_tables

DEFINERS = [define_community_tables, define_marketplace_tables]
