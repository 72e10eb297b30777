"""Settings for one party's process, read from a TOML file and ``CORRIDOR_*`` variables.

Environment variables win over the file so that secrets (the key passphrase, database
passwords) never need to be written into it. One ``Settings`` object is built per process,
by the party's composition root; nothing imports a module-level singleton.
"""

from __future__ import annotations

import tomllib
import warnings
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from corridor.errors import ConfigurationError
from corridor.types import Environment, PartyKind

_LOCAL_PASSPHRASE = "corridor-local-only"  # noqa: S105  # refused outside local and test


# OWASP Password Storage Cheat Sheet: Argon2id with at least 19 MiB of memory.
_OWASP_ARGON2_MEMORY_KIB = 19456
_DID_KEY_PATTERN = r"^did:key:z[1-9A-HJ-NP-Za-km-z]{40,60}$"


class InsecureSettingWarning(UserWarning):
    """A setting is fine for a laptop demo but unsafe anywhere else."""


class Peer(BaseModel):
    """Another party this node talks to: its name and the base URL of its API."""

    model_config = {"extra": "forbid", "frozen": True}

    name: str = Field(pattern=r"^[a-z][a-z0-9-]{1,40}$")
    kind: PartyKind
    url: str = Field(pattern=r"^https?://")
    jurisdiction: str = Field(default="", max_length=8)
    display_name: str = Field(default="", max_length=200)
    """How people see the peer named in pages (the portal's hospital directory)."""


class LicensedInstitution(BaseModel):
    """An institution a regulator licenses: it issues ``credential`` to ``did`` on request."""

    model_config = {"extra": "forbid", "frozen": True}

    did: str = Field(pattern=r"^did:web:[A-Za-z0-9.%:_-]+$")
    credential: Literal["LicensedHealthcareProvider", "AccreditedDataCenter"]
    name: str = Field(default="", max_length=200)


class ExportProfile(BaseModel):
    """What a sending hospital has in place for exports (facts it files with regulators)."""

    model_config = {"extra": "forbid", "frozen": True}

    mechanism: Literal[
        "none", "cn_sc", "cn_certification", "cn_security_assessment", "gba_sc", "hk_rmc"
    ] = "none"
    contract_ref: str = Field(default="", max_length=255)
    contract_filed: bool = False
    in_mainland_gba: bool = False
    is_ciio: bool = False
    pipia_done: bool = True
    timezone: str = "UTC"


class Settings(BaseSettings):
    """Everything one node needs to start; see docs/settings.md for each field."""

    model_config = SettingsConfigDict(
        env_prefix="CORRIDOR_", env_nested_delimiter="__", extra="forbid"
    )

    environment: Environment = "local"
    party: PartyKind
    name: str = Field(pattern=r"^[a-z][a-z0-9-]{1,40}$")
    display_name: str = ""
    jurisdiction: str = Field(default="", max_length=8)
    public_url: str = Field(pattern=r"^https?://")
    state_dir: Path
    database_url: str = ""
    key_passphrase: SecretStr = SecretStr(_LOCAL_PASSPHRASE)
    peers: list[Peer] = Field(default_factory=list)
    enclave_backend: Literal["simulated"] = "simulated"
    ledger_origin: str = "corridor.example/log"
    ledger_batch_size: int = Field(default=256, ge=1, le=10_000)
    ledger_witness_quorum: int | None = Field(default=None, ge=0)
    ledger_log_vkey: str = ""
    monitor_interval_seconds: float = Field(default=0.0, ge=0)
    request_timeout_seconds: float = Field(default=30.0, gt=0)
    # Identity (docs/identity.md): keys, DID resolution, signed requests, credentials.
    key_store: Literal["file", "database"] = "file"
    key_kdf_memory_kib: int = Field(default=19456, ge=1024, le=4 * 1024 * 1024)
    operators: list[Annotated[str, Field(pattern=_DID_KEY_PATTERN)]] = Field(default_factory=list)
    did_hosts: dict[str, str] = Field(default_factory=dict)
    did_cache_seconds: float = Field(default=300.0, ge=0)
    request_window_seconds: float = Field(default=300.0, ge=5, le=3600)
    credential_cache_seconds: float = Field(default=60.0, ge=0)
    credential_validity_days: int = Field(default=365, ge=1, le=3650)
    licensed_institutions: list[LicensedInstitution] = Field(default_factory=list)
    export: ExportProfile = Field(default_factory=ExportProfile)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment over file: ``load_settings`` passes the file as init values last."""
        del settings_cls, dotenv_settings, file_secret_settings
        return (env_settings, init_settings)

    @model_validator(mode="after")
    def _refuse_unsafe_outside_local(self) -> Settings:
        unsafe: list[str] = []
        if self.key_passphrase.get_secret_value() == _LOCAL_PASSPHRASE:
            unsafe.append("key_passphrase is the built-in local passphrase")
        if self.key_kdf_memory_kib < _OWASP_ARGON2_MEMORY_KIB:
            unsafe.append("key_kdf_memory_kib is below the OWASP Argon2id minimum (19456)")
        if self.enclave_backend == "simulated" and self.party == "datacenter":
            unsafe.append("enclave_backend 'simulated' offers no hardware isolation")
        if self.environment == "production" and unsafe:
            raise ConfigurationError(
                "refusing insecure settings in production", detail={"problems": unsafe}
            )
        return self

    @property
    def effective_database_url(self) -> str:
        """The configured database, or a SQLite file in the party's state folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.state_dir / 'corridor.db').as_posix()}"

    def peer(self, name: str) -> Peer:
        """Return the peer called ``name`` or fail with a configuration error."""
        for peer in self.peers:
            if peer.name == name:
                return peer
        raise ConfigurationError(f"no peer named {name!r} in this node's settings")

    def peers_of_kind(self, kind: PartyKind) -> list[Peer]:
        """Return every configured peer of one kind, in configuration order."""
        return [peer for peer in self.peers if peer.kind == kind]

    def warn_if_insecure(self) -> None:
        """Warn at start-up about settings that only suit a local demo."""
        if self.environment == "production":
            return
        if self.key_passphrase.get_secret_value() == _LOCAL_PASSPHRASE:
            warnings.warn(
                f"{self.name}: keys are protected by the built-in local passphrase",
                InsecureSettingWarning,
                stacklevel=2,
            )


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build settings from a TOML file (optional), the environment and explicit overrides."""
    values: dict[str, Any] = {}
    if config_file is not None:
        try:
            values = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigurationError(f"cannot read settings file {config_file}: {exc}") from exc
    values.update(overrides)
    return Settings(**values)
