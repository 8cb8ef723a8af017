"""Request and response models of the marketplace API (quart-schema + pydantic)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints

from flask_core.events import Role

ModuleName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class ModuleIn(BaseModel):
    """`PUT …/communities/{id}/modules/{name}`: install, enable, disable, change settings."""

    model_config = ConfigDict(extra="forbid")
    #: Left out: as it is (a module not installed yet is installed enabled).
    enabled: bool | None = None
    settings: dict[str, Any] | None = None  # None: leave the module's settings as they are


class InstallationOut(BaseModel):
    community_id: int
    module: str
    enabled: bool
    #: The module's own settings now (decision 0078): {} without a schema, None when the
    #: module did not answer.
    settings: dict[str, Any] | None
    disabled: list[str] = Field(default_factory=list)


class ModuleItem(BaseModel):
    """One catalogue module as a community sees it (the portal's modules screen)."""

    name: str
    description: str = ""
    version: str = ""
    kind: str  # builtin | external
    installed: bool
    enabled: bool
    settings: dict[str, Any] | None  # the module's own (None: it did not answer)
    settings_schema: dict[str, Any]  # the manifest's JSON Schema ({}: no settings)
    commands: list[str]
    conflicts_with: list[str]  # cannot be enabled beside these (rivals included)
    exclusive_with: list[str]  # enabling this one switches these off (§12 Music)
    updated_at: str | None = None


class ModuleList(BaseModel):
    items: list[ModuleItem]
    next_cursor: str | None = None


class DefaultsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    modules: list[ModuleName] = Field(max_length=64)


class DefaultsOut(BaseModel):
    installed: list[str]
    skipped: list[str]


class ConfigOut(BaseModel):
    """The router's cached read of one community (key `marketplace:config:{id}`)."""

    modules: list[str]
    installed: list[str]
    overrides: dict[str, dict[str, Any]]


class CatalogueItem(BaseModel):
    name: str
    kind: str
    base_url: str | None = None
    manifest: dict[str, Any]


class CatalogueList(BaseModel):
    items: list[CatalogueItem]
    next_cursor: str | None = None


class ExternalIn(BaseModel):
    """`POST /marketplace/api/v1/modules`: register an external module by its URL."""

    model_config = ConfigDict(extra="forbid")
    name: ModuleName
    url: HttpUrl


class ExternalOut(BaseModel):
    """The module's own signing secret, shown once (never INTERNAL_JWT_SECRET, §12)."""

    name: str
    url: str
    secret: str
    manifest: dict[str, Any]


class CommandPatch(BaseModel):
    """Per-community command settings; a field sent as null goes back to the default."""

    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    user_cooldown: Annotated[float, Field(ge=0, le=86400)] | None = None
    global_cooldown: Annotated[float, Field(ge=0, le=86400)] | None = None
    cost: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    enabled: bool | None = None
    cooldown_message: Annotated[str, Field(max_length=300)] | None = None


class CommandPatched(CommandPatch):
    model_config = ConfigDict(extra="forbid")
    community_id: int
    path: str
    module: str


class CommandItem(BaseModel):
    path: str
    module: str
    description: str = ""
    usage: str = ""
    role: str
    user_cooldown: float | None = None
    global_cooldown: float | None = None
    cost: int = 0
    aliases: list[str] = Field(default_factory=list)
    enabled: bool = True
    available: bool = True  # its module is enabled here (or it is a core command)
    cooldown_message: str | None = None


class CommandList(BaseModel):
    items: list[CommandItem]
    next_cursor: str | None = None


class ExternalItem(BaseModel):
    manifest: dict[str, Any]
    base_url: str | None = None
    secret: str | None = None


class ExternalsOut(BaseModel):
    """`GET /marketplace/api/v1/externals`: name → the module's URL and own secret."""

    items: dict[str, ExternalItem]
