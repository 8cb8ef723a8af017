"""The checks between resolving a command and running it (ARCHITECTURE §12), in order:

role → cooldown → user and community limits → points cost. A command refused by its
role or silenced by a cooldown never reaches the limits, so it does not count toward
them. A refusal (`rejected`) carries its error text the first time per (user, command)
per cooldown window and nothing after; a command on cooldown answers nothing; only the
first block by a limit carries a notice. Moderators and the broadcaster skip cooldowns
and the per-user limit unless the community turns that off; the community-wide limit
applies to everyone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_core.events import role_rank

from . import accounts

if TYPE_CHECKING:
    from .registry import CommandSpec
    from .service import Router, Work

#: Roles that skip cooldowns and the per-user limit (unless the community says otherwise).
EXEMPT_FROM = role_rank("moderator")


def cooldowns(
    spec: CommandSpec, default: float, community: dict[str, Any] | None = None
) -> tuple[float, float]:
    """(user, global) cooldown in seconds. Unset on the command: the community's default
    cooldowns, else none per user and the router's default shared (§12)."""
    community = community or {}
    user_default = community.get("default_user_cooldown") or 0.0
    shared_default = community.get("default_global_cooldown")
    if shared_default is None:
        shared_default = default
    user = user_default if spec.user_cooldown is None else spec.user_cooldown
    shared = shared_default if spec.global_cooldown is None else spec.global_cooldown
    return float(user), float(shared)


def is_exempt(roles: list[str], settings: dict[str, Any]) -> bool:
    """Moderators and up skip cooldowns and the user limit, unless the community turned it off."""
    if not settings.get("moderators_skip_limits", True):
        return False
    return max((role_rank(r) for r in roles), default=0) >= EXEMPT_FROM


async def permit(router: Router, work: Work) -> None:
    """Role, then cooldowns (consumed only by invocations allowed this far)."""
    assert work.match is not None
    spec, user = work.match.spec, work.event.user
    user_cd, global_cd = cooldowns(spec, router.settings.router_default_cooldown, work.settings)
    have = max((role_rank(r) for r in user.roles), default=0)
    if have < role_rank(spec.role):
        text = f"@{user.username}, !{spec.path} needs {spec.role} or higher."
        await refuse(router, work, "forbidden", text, max(user_cd, global_cd))
        return
    if work.exempt:
        return
    for seconds, key in (
        (user_cd, f"router:cd:{work.community_id}:{spec.path}:{work.event.platform}:{user.platform_user_id}"),
        (global_cd, f"router:cdg:{work.community_id}:{spec.path}"),
    ):
        if seconds > 0 and not (await router.res.limiter.cooldown(key, seconds)).allowed:
            work.finish("rate_limited")  # on cooldown: silence, as chat expects
            return


async def check_limits(router: Router, works: list[Work]) -> None:
    """Per-user (not for exempt callers) and per-community windows, in one round trip."""
    commands = [w for w in works if w.result is None and w.match is not None]
    if not commands:
        return
    user_n, user_w = router.user_limit
    com_n, com_w = router.community_limit
    checks: list[tuple[str, int, float]] = []
    owners: list[Work] = []
    for w in commands:
        if not w.exempt:
            checks.append((_user_key(w), user_n, user_w))
            owners.append(w)
        checks.append((f"router:community:{w.community_id}", com_n, com_w))
        owners.append(w)
    decisions = await router.res.limiter.hit_many(checks)
    for w, decision in zip(owners, decisions, strict=True):
        if w.result is None and not decision.allowed:
            wait = max(1, round(decision.retry_after))
            text = f"@{w.event.user.username}, slow down: try again in {wait}s."
            w.finish("rate_limited", [{"type": "chat", "text": text}] if decision.notify else [])


def _user_key(w: Work) -> str:
    return f"router:user:{w.community_id}:{w.event.platform}:{w.event.user.platform_user_id}"


async def charge(router: Router, work: Work) -> None:
    """Points cost, debited from the asker's balance before the command runs.

    Once per invocation (the charge id is the invocation id, so a redelivered event pays
    once); a short balance is `rejected` with the balance and cost; reputation that is
    not there or not answering refuses the command: it never runs for free.
    """
    assert work.match is not None
    spec = work.match.spec
    if spec.cost <= 0:
        return
    user = work.event.user.username
    await router.identify([work])
    outcome, details = await accounts.charge(
        router, work.community_id, work.identity.user_id if work.identity else None,
        work.invocation_id, spec.cost, f"!{spec.path}",
    )  # fmt: skip
    if outcome is accounts.Charge.PAID:
        work.charged = True
        return
    user_cd, global_cd = cooldowns(spec, router.settings.router_default_cooldown, work.settings)
    if outcome is accounts.Charge.SHORT:
        balance = details.get("balance", 0)
        text = f"@{user}, !{spec.path} costs {spec.cost} points; you have {balance}."
        await refuse(router, work, "insufficient_points", text, max(user_cd, global_cd))
        return
    text = f"@{user}, !{spec.path} costs {spec.cost} points, and points are unavailable right now."
    await refuse(router, work, "points_unavailable", text, max(user_cd, global_cd))


async def refuse(router: Router, work: Work, code: str, text: str, window: float) -> None:
    """`rejected`, with the error text only the first time per (user, command) per window."""
    assert work.match is not None
    first = True
    if window > 0:
        who = f"{work.event.platform}:{work.event.user.platform_user_id}"
        key = f"router:deny:{work.community_id}:{work.match.spec.path}:{who}"
        first = (await router.res.limiter.cooldown(key, window)).allowed
    work.finish("rejected", [{"type": "error", "code": code, "text": text}] if first else [])
