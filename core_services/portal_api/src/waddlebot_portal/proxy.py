"""The management API: routes generated from `screens.SCREENS`, proxied with a service token.

For each screen `/portal/api/v1/communities/{id}/<name>`: GET (a page, `limit/cursor/q/sort`
→ `{items, next_cursor}`), POST (create), and per item GET, PATCH or PUT (update) and
DELETE, as its row lists. The portal checks the session and the role (the community from
the path, the role from the token), calls `/<owner>/api/v1/communities/{id}/<resource>`
as `portal`, and writes an audit entry (before and after) for every change. A service that
is not installed answers 503 `dependency_unavailable`; its own errors come back as they are.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError, create_model
from quart import Blueprint, Response
from quart_schema import document_response, tag, validate_querystring, validate_request, validate_response

from flask_core import service_table
from flask_core.app import resources
from flask_core.errors import Conflict, DependencyUnavailable, ServiceError
from flask_core.openapi import NoContent, error_responses

from . import audit, feed
from .schemas import ListQuery
from .screens import BY_NAME, SCREENS, Action, Screen
from .web import actor, member, min_role, portal_settings

BASE = "/api/v1/communities/<int:community_id>"
_CONVERTERS = {"int": "int", "string": "string", "path": "path"}


def page_model(screen: Screen) -> type[BaseModel]:
    name = "".join(part.capitalize() for part in screen.name.split("_")) + "Page"
    return create_model(name, items=(list[screen.item], ...), next_cursor=(str | None, None))  # type: ignore[name-defined]


async def resolved(screen: Screen, community_id: int) -> Screen:
    """The screen as served in this community: for a row with `owners` (exclusive modules),
    the one the community has enabled — read from the owner of the `modules` screen (the
    marketplace's `…/config`, the same one database read the router caches) — or 409."""
    if not screen.owners:
        return screen
    modules = BY_NAME["modules"]
    path = f"/{modules.owner}/api/v1/communities/{community_id}/config"
    body = _json(modules, await _call(modules, "GET", path))
    names = body.get("modules", []) if isinstance(body, dict) else []
    enabled = {str(name) for name in names}
    present = service_table.installed()
    for owner in screen.owners:
        if owner in enabled and owner in present:
            return replace(screen, owner=owner)
    raise Conflict(
        f"no module for {screen.name} is enabled here (enable one of: {', '.join(screen.owners)})",
        details={"reason": "not_enabled", "services": list(screen.owners)},
    )


def _codes(screen: Screen) -> tuple[int, ...]:
    """The documented error statuses of a screen's routes (409: no owner enabled)."""
    return (403, 409) if screen.owners else (403,)


def _check_installed(owner: str) -> None:
    if owner not in service_table.installed():
        raise DependencyUnavailable(
            f"the {owner} service is not installed", details={"service": owner, "reason": "not_installed"}
        )


def _url(screen: Screen, community_id: int, key: str | None = None) -> str:
    path = f"/{screen.owner}/api/v1/communities/{community_id}/{screen.resource}"
    if key is not None:
        path += "/" + quote(key, safe="/" if screen.key == "path" else "")
    return path


async def _call(screen: Screen, method: str, path: str, **kwargs: Any) -> httpx.Response:
    _check_installed(screen.owner)
    client = resources().http.for_service("portal")
    url = resources().settings.service_url(screen.owner) + path
    return await client.request(
        method, url, audience=screen.owner, timeout=portal_settings().portal_proxy_timeout,
        breaker_key=screen.owner, **kwargs,
    )  # fmt: skip


def _relay_error(screen: Screen, answer: httpx.Response) -> ServiceError:
    """The owning service's 4xx in the error shape (a 404 from a service without this
    resource yet is `dependency_unavailable`: the screen's API is not there)."""
    try:
        body = answer.json()
        error = body["error"]
        code, message, details = str(error["code"]), str(error["message"]), error.get("details") or {}
    except (ValueError, KeyError, TypeError):
        return DependencyUnavailable(
            f"the {screen.owner} service has no {screen.resource} API",
            details={"service": screen.owner, "status": answer.status_code},
        )
    if answer.status_code == 404 and code == "not_found" and details == {} and message == "not found":
        return DependencyUnavailable(
            f"the {screen.owner} service has no {screen.resource} API", details={"service": screen.owner}
        )
    return ServiceError(message, code=code, status=answer.status_code, details=details)


def _json(screen: Screen, answer: httpx.Response) -> Any:
    if answer.status_code >= 400:
        raise _relay_error(screen, answer)
    if answer.status_code == 204 or not answer.content:
        return None
    try:
        return answer.json()
    except ValueError:
        raise DependencyUnavailable(f"the {screen.owner} service answered no JSON") from None


def _local_page(screen: Screen, rows: list[dict[str, Any]], query: ListQuery) -> dict[str, Any]:
    """Page a whole list the way a §12 service would (a cursor is the last key seen)."""
    if query.q:
        words = query.q.lower().split()
        rows = [
            r for r in rows if all(any(w in str(r.get(f, "")).lower() for f in screen.search) for w in words)
        ]
    field = (query.sort or screen.key_field).lstrip("-")
    reverse = bool(query.sort and query.sort.startswith("-"))
    rows = sorted(rows, key=lambda r: (r.get(field) is None, str(r.get(field, ""))), reverse=reverse)
    if query.cursor:
        keys = [str(r.get(screen.key_field)) for r in rows]
        rows = rows[keys.index(query.cursor) + 1 :] if query.cursor in keys else []
    page = rows[: query.limit]
    more = len(rows) > query.limit
    return {"items": page, "next_cursor": str(page[-1].get(screen.key_field)) if more and page else None}


async def fetch_list(screen: Screen, community_id: int, query: ListQuery) -> dict[str, Any]:
    if screen.paged:
        params = {k: v for k, v in query.model_dump().items() if v is not None}
        body = _json(screen, await _call(screen, "GET", _url(screen, community_id), params=params))
        items = body.get(screen.list_key, []) if isinstance(body, dict) else []
        return {"items": items, "next_cursor": body.get("next_cursor") if isinstance(body, dict) else None}
    body = _json(screen, await _call(screen, "GET", _url(screen, community_id)))
    rows = body.get(screen.list_key, []) if isinstance(body, dict) else []
    return _local_page(screen, [r for r in rows if isinstance(r, dict)], query)


async def _before(screen: Screen, community_id: int, key: str) -> Any:
    """The item as it is now (the audit's `before`); None when it cannot be read."""
    if "get" in screen.ops:
        answer = await _call(screen, "GET", _url(screen, community_id, key))
        if answer.status_code == 404:
            return None
        return _json(screen, answer)
    body = _json(screen, await _call(screen, "GET", _url(screen, community_id)))
    rows = body.get(screen.list_key, []) if isinstance(body, dict) else []
    wanted = " ".join(key.replace("/", " ").split()) if screen.key == "path" else key
    return next((r for r in rows if isinstance(r, dict) and str(r.get(screen.key_field)) == wanted), None)


async def _audited(
    screen: Screen, community_id: int, action: str, key: str | None, before: Any, after: Any,
    *, role: str | None = None,
) -> None:  # fmt: skip
    user, _ = await member(community_id, role or screen.write_role)
    who = actor(user)
    await audit.record(
        resources().db, who, community_id=community_id, action=action, resource=screen.name,
        resource_id=key, before=before, after=after,
    )  # fmt: skip
    feed.publish(
        community_id,
        "change",
        {"resource": screen.name, "action": action, "resource_id": key, "actor": who.name},
    )


def _named[F: Callable[..., Awaitable[Any]]](func: F, name: str, doc: str) -> F:
    func.__name__ = func.__qualname__ = name
    func.__doc__ = doc
    return func


def _as(model: type[BaseModel], body: Any) -> Any:
    try:
        return model.model_validate(body).model_dump(mode="json")
    except ValidationError:
        raise DependencyUnavailable("the owning service answered an unexpected shape") from None


def add_screen(bp: Blueprint, screen: Screen) -> None:
    """Register the routes of one screen on the portal's blueprint."""
    collection = f"{BASE}/{screen.name}"
    one = f"{collection}/<{_CONVERTERS[screen.key]}:key>"
    page = page_model(screen)
    label = screen.name.replace("_", " ")
    tagged = tag([screen.name])
    _add_whole(bp, screen, collection, tagged)
    for action in screen.all_actions:
        _add_action(bp, screen, collection, action, tagged)

    if "list" in screen.ops:

        async def list_view(community_id: int, query_args: ListQuery) -> Any:
            await member(community_id, screen.view_role)
            here = await resolved(screen, community_id)
            return _as(page, await fetch_list(here, community_id, query_args))

        view: Any = _named(list_view, f"list_{screen.name}", f"The community's {label} (a page).")
        view = validate_response(page)(validate_querystring(ListQuery)(view))
        view = error_responses(*_codes(screen))(tagged(view))
        bp.add_url_rule(collection, view.__name__, min_role(screen.view_role)(view), methods=["GET"])

    if "get" in screen.ops:

        async def get_view(community_id: int, key: Any) -> Any:
            await member(community_id, screen.view_role)
            here = await resolved(screen, community_id)
            answer = await _call(here, "GET", _url(here, community_id, str(key)))
            return _as(screen.item, _json(here, answer))

        view = _named(get_view, f"get_{screen.name}_item", f"One of the community's {label}.")
        view = error_responses(*_codes(screen))(tagged(validate_response(screen.item)(view)))
        bp.add_url_rule(one, view.__name__, min_role(screen.view_role)(view), methods=["GET"])

    if "create" in screen.ops and screen.create is not None:

        async def create_view(community_id: int, data: BaseModel) -> Any:
            user, _ = await member(community_id, screen.write_role)
            body = data.model_dump(mode="json", exclude_unset=True)
            if screen.creator_field:  # the item keeps who added it: the portal's user
                body[screen.creator_field] = {"platform": "web", "user_id": f"portal:{user.sub}",
                                      "username": actor(user).name or user.sub}  # fmt: skip
            here = await resolved(screen, community_id)
            created = _json(here, await _call(here, "POST", _url(here, community_id), json=body))
            key = str(created.get(screen.key_field)) if isinstance(created, dict) else None
            await _audited(here, community_id, "create", key, None, created)
            return _as(screen.item, created), 201

        view = _named(create_view, f"create_{screen.name}_item", f"Add to the community's {label}.")
        view = validate_response(screen.item, 201)(validate_request(screen.create)(view))
        view = error_responses(*_codes(screen))(tagged(view))
        bp.add_url_rule(collection, view.__name__, min_role(screen.write_role)(view), methods=["POST"])

    if "update" in screen.ops and screen.update is not None:
        answer_model = screen.updated or screen.item

        async def update_view(community_id: int, key: Any, data: BaseModel) -> Any:
            await member(community_id, screen.write_role)
            here = await resolved(screen, community_id)
            before = await _before(here, community_id, str(key))
            body = data.model_dump(mode="json", exclude_unset=True)
            answer = await _call(here, here.update_method, _url(here, community_id, str(key)), json=body)
            after = _json(here, answer)
            await _audited(here, community_id, "update", str(key), before, after)
            return _as(answer_model, after)

        view = _named(update_view, f"update_{screen.name}_item", f"Change one of the community's {label}.")
        view = validate_response(answer_model)(validate_request(screen.update)(view))
        view = error_responses(*_codes(screen))(tagged(view))
        bp.add_url_rule(one, view.__name__, min_role(screen.write_role)(view), methods=[screen.update_method])

    if "delete" in screen.ops:

        async def delete_view(community_id: int, key: Any, query_args: BaseModel | None = None) -> Any:
            await member(community_id, screen.write_role)
            here = await resolved(screen, community_id)
            before = await _before(here, community_id, str(key))
            params = query_args.model_dump(exclude_defaults=True, mode="json") if query_args else {}
            path = _url(here, community_id, str(key))
            _json(here, await _call(here, "DELETE", path, params=params or None))
            # a delete with options (inventory's force) records them as its "after"
            await _audited(here, community_id, "delete", str(key), before, params or None)
            return Response("", status=204)

        view = _named(delete_view, f"delete_{screen.name}_item", f"Remove one of the community's {label}.")
        if screen.delete_query is not None:
            view = validate_querystring(screen.delete_query)(view)
        view = error_responses(*_codes(screen))(tagged(document_response(NoContent, 204)(view)))
        bp.add_url_rule(one, view.__name__, min_role(screen.write_role)(view), methods=["DELETE"])


def _add_whole(bp: Blueprint, screen: Screen, path: str, tagged: Any) -> None:
    """A screen that is one object (`show`: GET, `replace`: PUT), e.g. AI settings."""
    label = screen.name.replace("_", " ")
    if "show" in screen.ops:

        async def show_view(community_id: int) -> Any:
            await member(community_id, screen.view_role)
            here = await resolved(screen, community_id)
            return _as(screen.item, _json(here, await _call(here, "GET", _url(here, community_id))))

        view: Any = _named(show_view, f"get_{screen.name}", f"The community's {label}.")
        view = error_responses(*_codes(screen))(tagged(validate_response(screen.item)(view)))
        bp.add_url_rule(path, view.__name__, min_role(screen.view_role)(view), methods=["GET"])
    if "replace" in screen.ops and screen.update is not None:

        async def replace_view(community_id: int, data: BaseModel) -> Any:
            await member(community_id, screen.write_role)
            here = await resolved(screen, community_id)
            url = _url(here, community_id)
            before = _json(here, await _call(here, "GET", url))
            body = data.model_dump(mode="json", exclude_unset=True)
            after = _json(here, await _call(here, here.update_method, url, json=body))
            await _audited(here, community_id, "update", None, before, after)
            return _as(screen.item, after)

        view = _named(replace_view, f"update_{screen.name}", f"Change the community's {label}.")
        view = validate_response(screen.item)(validate_request(screen.update)(view))
        view = error_responses(*_codes(screen))(tagged(view))
        bp.add_url_rule(
            path, view.__name__, min_role(screen.write_role)(view), methods=[screen.update_method]
        )


def _add_action(bp: Blueprint, screen: Screen, path: str, action: Action, tagged: Any) -> None:
    """POST `/<screen>/<action>` → the owner's `/<resource>/<action>` (no body), audited;
    an item action is POST `/<screen>/<key>/<action>` → `/<resource>/<key>/<action>`."""
    role, answer_model = action.role, action.answer or screen.action_answer

    async def action_view(community_id: int, key: Any = None) -> Any:
        await member(community_id, role)
        here = await resolved(screen, community_id)
        target = None if key is None else str(key)
        url = _url(here, community_id, target) + f"/{action.segment}"
        answer = _json(here, await _call(here, "POST", url))
        after = None if action.secret else answer  # a secret (token URL, link code) is not kept in the audit
        await _audited(here, community_id, action.name, target, None, after, role=role)
        return _as(answer_model, answer)

    name = f"{action.name}_{screen.name}" + ("_item" if action.item else "")
    label = action.name.replace("_", " ")
    doc = (action.doc or f"{label.capitalize()} the community's {screen.name}.").rstrip(".")
    view: Any = _named(action_view, name, f"{doc} ({role} and up).")
    view = error_responses(*_codes(screen))(tagged(validate_response(answer_model)(view)))
    route = f"{path}/<{_CONVERTERS[screen.key]}:key>" if action.item else path
    bp.add_url_rule(
        f"{route}/{action.name.replace('_', '-')}", view.__name__, min_role(role)(view), methods=["POST"]
    )


def add_screens(bp: Blueprint) -> None:
    for screen in SCREENS:
        add_screen(bp, screen)
