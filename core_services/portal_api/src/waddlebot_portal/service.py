"""Portal domain logic, no Quart: accounts, sessions, the audit log (re-exported here).

The modules: `accounts` (argon2id passwords, roles per community, identity links),
`sessions` (access tokens, rotating refresh families), `audit` (the audit log),
`screens` (the management screens' table), `simulator` (chat lines through the router).
"""

from __future__ import annotations

from .accounts import authenticate, create_user, find_by_email, get_user, grant, memberships
from .audit import record as record_audit
from .sessions import end as end_session
from .sessions import rotate as rotate_session
from .sessions import start as start_session

__all__ = [
    "authenticate",
    "create_user",
    "end_session",
    "find_by_email",
    "get_user",
    "grant",
    "memberships",
    "record_audit",
    "rotate_session",
    "start_session",
]
