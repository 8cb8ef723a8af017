"""A small synchronous client for the router's internal API, for the CLI's quick verbs.

Standard library only (urllib), so `waddlebot chat` and `waddlebot commands` start fast:
no web server, no httpx. Every call carries a fresh service token with `iss` = `cli`,
signed with INTERNAL_JWT_SECRET, or the secret a dev server wrote under DATA_DIR, read
only: the CLI never creates the server's secrets (`CliSettings`).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from flask_core.tokens import mint_service_token

START_HINT = "Start it with `make run` (or `uv run waddlebot run`) in another terminal, or pass --url."
SECRET_HINT = (
    "set INTERNAL_JWT_SECRET to the same value as the server's "
    "(a dev server started without it keeps its own in DATA_DIR/secrets: use the same DATA_DIR)"
)


class CliError(Exception):
    """A failure to show the user as one line (exit code 1)."""


class MissingSecret(CliError):
    """No INTERNAL_JWT_SECRET to sign the CLI's service token with (exit code 2)."""


class CliSettings(BaseSettings):
    """What the quick verbs read. Never CoreSettings: in ENV=dev that generates secrets."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)
    router_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("./var")
    internal_jwt_secret: SecretStr | None = None

    @property
    def base_url(self) -> str:
        return self.router_url or f"http://{self.host}:{self.port}"

    def secret(self) -> str:
        """INTERNAL_JWT_SECRET, else the one a dev server wrote under DATA_DIR (read only)."""
        if self.internal_jwt_secret is not None and self.internal_jwt_secret.get_secret_value():
            return self.internal_jwt_secret.get_secret_value()
        stored = self.data_dir / "secrets" / "internal_jwt_secret"
        if stored.is_file() and (value := stored.read_text(encoding="utf-8").strip()):
            return value
        raise MissingSecret(f"no INTERNAL_JWT_SECRET: {SECRET_HINT}")


@dataclass(slots=True)
class Answer:
    status: int
    body: dict[str, Any]

    @property
    def error(self) -> dict[str, Any]:
        error = self.body.get("error")
        return error if isinstance(error, dict) else {}


class RouterClient:
    def __init__(self, settings: CliSettings, url: str | None, timeout: float = 35.0) -> None:
        self.base = (url or settings.base_url).rstrip("/")
        self.secret = settings.secret()
        self.timeout = timeout

    def call(self, method: str, path: str, body: Any = None) -> Answer:
        """One request; CliError when the router cannot be reached or is not at this URL."""
        answer = send(self.base, self.secret, self.timeout, method, path, body, "router")
        if answer.status == 404 and not _ours(answer):
            raise CliError(
                f"{self.base} answered 404 for {path}: there is no WaddleBot router there. "
                "Check --url (the server's base address, e.g. http://127.0.0.1:8080)."
            )
        return answer


def send(base: str, secret: str, timeout: float, method: str, path: str, body: Any, audience: str) -> Answer:
    """One JSON request with a service token for `audience` (the CLI's one HTTP path);
    CliError when the server cannot be reached or the base is not http(s)."""
    token = mint_service_token(secret, "cli", audience)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    url = f"{base}{path}"
    if not url.startswith(("http://", "https://")):
        raise CliError(f"--url must start with http:// or https://; got {base!r}")
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) base
            return Answer(response.status, _json(response.read()))
    except urllib.error.HTTPError as exc:
        answer = Answer(exc.code, _json(exc.read()))
        exc.close()
        return answer
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CliError(f"cannot reach WaddleBot at {base} ({reason}). {START_HINT}") from None


def _ours(answer: Answer) -> bool:
    """A 404 from a router route (it says what is missing), not from a wrong address."""
    error = answer.error
    return error.get("code") == "not_found" and error.get("message") not in (None, "not found")


def _json(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return {"error": {"message": raw[:200].decode(errors="replace")}}
    return body if isinstance(body, dict) else {}


def describe(answer: Answer) -> str:
    """`error 401: unauthorized — message` for an answer that is not a success."""
    error = answer.error
    code, message = error.get("code", ""), error.get("message", "")
    text = (
        f"error {answer.status}: {code} — {message}".strip(" —")
        if code
        else f"error {answer.status}: {message}"
    )
    if answer.status == 401:
        text += f"\nThe router refused the CLI's service token: {SECRET_HINT}."
    return text
