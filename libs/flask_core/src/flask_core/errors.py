"""One error shape everywhere: {"error": {code, message, details, request_id}}."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """An error with a stable code, an HTTP status and optional details."""

    code = "internal"
    status = 500
    message = "internal error"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or type(self).message
        self.code = code or type(self).code
        self.status = status or type(self).status
        self.details = details
        self.headers = headers or {}
        super().__init__(self.message)

    def body(self, request_id: str | None) -> dict[str, Any]:
        return error_body(self.code, self.message, self.details, request_id)


def error_body(code: str, message: str, details: Any, request_id: str | None) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "details": details if details is not None else {},
            "request_id": request_id,
        }
    }


class BadRequest(ServiceError):
    code, status, message = "bad_request", 400, "bad request"


class InvalidJSON(ServiceError):
    code, status, message = "invalid_json", 400, "the request body is not valid JSON"


class ValidationFailed(ServiceError):
    code, status, message = "validation_error", 422, "the request is not valid"


class Unauthorized(ServiceError):
    code, status, message = "unauthorized", 401, "authentication required"


class Forbidden(ServiceError):
    code, status, message = "forbidden", 403, "not allowed"


class NotFound(ServiceError):
    code, status, message = "not_found", 404, "not found"


class MethodNotAllowed(ServiceError):
    code, status, message = "method_not_allowed", 405, "method not allowed"


class Conflict(ServiceError):
    code, status, message = "conflict", 409, "conflict"


class PayloadTooLarge(ServiceError):
    code, status, message = "payload_too_large", 413, "the request body is too large"


class UnsupportedMediaType(ServiceError):
    code, status, message = "unsupported_media_type", 415, "expected application/json"


class RateLimited(ServiceError):
    code, status, message = "rate_limited", 429, "too many requests"


class DependencyUnavailable(ServiceError):
    code, status, message = "dependency_unavailable", 503, "a dependency is unavailable"


class InternalError(ServiceError):
    code, status, message = "internal", 500, "internal error"
