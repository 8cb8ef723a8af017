"""Complete, valid OpenAPI 3.1 for every service, with as little per-route ceremony as possible.

A route declares its success answer with quart-schema (`validate_response`, or
`document_response` for a route that returns a raw `Response`). `WaddleOpenAPI` adds
what follows from the route itself, in the one error shape (`ErrorBody`):

- a JSON request body is `required`, and may be answered 400 `invalid_json`, 413, 415
  and 422 `validation_error`;
- a path or query parameter may be answered 404 / 422;
- `/<prefix>/api/v1/...` needs a service token (ARCHITECTURE §2): security
  `serviceToken` (HTTP bearer) and 401, unless the route names its own scheme with
  `signed_by(...)` (the platforms' webhook signatures, as API keys in a header);
- every operation may be answered 500 `internal` and 503 `dependency_unavailable`.

Extra statuses a route can answer are declared with `error_responses(404, 409, ...)`.
Only the security schemes some operation uses appear under `components`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field
from quart_schema import document_response, security_scheme
from quart_schema.openapi import QUART_SCHEMA_SECURITY_ATTRIBUTE, OpenAPIProvider
from werkzeug.routing.rules import Rule

#: The schemes a route may name (`serviceToken` is applied by path, the rest by `signed_by`).
SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "serviceToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "Service token: HS256 JWT signed with INTERNAL_JWT_SECRET, aud = this prefix",
    },
    "twitchSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "Twitch-Eventsub-Message-Signature",
        "description": "EventSub HMAC-SHA256 over message id, timestamp and raw body",
    },
    "slackSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Slack-Signature",
        "description": "Slack v0 HMAC-SHA256 over timestamp and raw body",
    },
    "discordSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Signature-Ed25519",
        "description": "Ed25519 signature over timestamp and raw body",
    },
}
_DECLARED_ERROR = "x-waddlebot-error"
_MESSAGES = {
    400: "bad request or invalid JSON",
    401: "missing or invalid credentials",
    403: "not allowed",
    404: "not found",
    405: "method not allowed",
    409: "conflict",
    413: "the request body is too large",
    415: "expected application/json",
    422: "the request is not valid",
    429: "too many requests",
    500: "internal error",
    503: "a dependency is unavailable (or the service is starting or disabled)",
}


class ErrorInfo(BaseModel):
    code: str
    message: str
    details: Any = Field(default_factory=dict)
    request_id: str | None = None


class ErrorBody(BaseModel):
    """The one error shape (ARCHITECTURE §3)."""

    error: ErrorInfo


class NoContent(BaseModel):
    """No content."""


class PlainText(BaseModel):
    """A text/plain body."""


def error_responses[T: Callable[..., Any]](*statuses: int) -> Callable[[T], T]:
    """Document that a route may answer these statuses, in the error shape."""

    def decorate(func: T) -> T:
        for status in statuses:
            func = document_response(ErrorBody, status)(func)
        return func

    return decorate


def signed_by[T: Callable[..., Any]](platform: str) -> Callable[[T], T]:
    """A webhook authenticated by `platform`'s signature header (not a service token)."""
    name = f"{platform}Signature"
    if name not in SECURITY_SCHEMES:
        raise KeyError(f"no security scheme {name!r}")
    return security_scheme([{name: []}])


def _error_object(status: int) -> dict[str, Any]:
    return {
        "description": _MESSAGES.get(status, "error"),
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }


class WaddleOpenAPI(OpenAPIProvider):
    """quart-schema's provider, completed as the module docstring says."""

    def schema(self) -> dict[str, Any]:
        document = super().schema()
        components = document["components"]
        components["schemas"]["ErrorBody"] = ErrorBody.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components["schemas"].update(components["schemas"]["ErrorBody"].pop("$defs", {}))
        used = {
            name
            for path in document["paths"].values()
            for operation in path.values()
            for requirement in operation.get("security", [])
            for name in requirement
        }
        if used:
            components["securitySchemes"] = {name: SECURITY_SCHEMES[name] for name in sorted(used)}
        document["paths"] = dict(document["paths"])
        return document

    def build_paths(self, rule: Rule) -> tuple[dict[str, Any], dict[str, Any]]:
        paths, components = super().build_paths(rule)
        func = self._app.view_functions[rule.endpoint]
        prefix = str(self._app.config.get("WADDLEBOT_PREFIX", ""))
        internal = bool(prefix) and rule.rule.startswith(f"/{prefix}/api/v1/")
        explicit = getattr(func, QUART_SCHEMA_SECURITY_ATTRIBUTE, None) is not None
        for operations in paths.values():
            for operation in operations.values():
                self._complete(operation, rule, internal and not explicit)
        return paths, components

    def _complete(self, operation: dict[str, Any], rule: Rule, service_token: bool) -> None:
        statuses = {500, 503}
        body = operation.get("requestBody")
        if body is not None:
            body["required"] = True
            statuses |= {400, 413, 415, 422}
        if rule.arguments:
            statuses |= {404, 422}
        if any(p.get("in") == "query" for p in operation["parameters"]):
            statuses.add(422)
        if service_token:
            operation["security"] = [{"serviceToken": []}]
        if operation.get("security"):
            statuses.add(401)
        # A copy per method: quart-schema shares one responses dict between methods.
        responses = dict(operation["responses"])
        for status in sorted(statuses):
            responses.setdefault(status, _error_object(status))
        for status, answer in responses.items():
            if answer.get("description") == _DECLARED_ERROR:
                responses[status] = _error_object(int(status))
        operation["responses"] = {str(k): v for k, v in sorted(responses.items(), key=lambda kv: int(kv[0]))}
        if not operation["parameters"]:
            del operation["parameters"]

    def build_response_object(
        self, model: type[Any], headers_model: type[Any] | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if model is NoContent:
            return {"description": "no content"}, {}
        if model is PlainText:
            return {"description": "text", "content": {"text/plain": {"schema": {"type": "string"}}}}, {}
        if model is ErrorBody:
            return {"description": _DECLARED_ERROR}, {}  # completed with its status in _complete
        return super().build_response_object(model, headers_model)
