from __future__ import annotations

import pytest

from minyi.core.errors import ConfigError
from minyi.core.settings import load_settings


def test_default_database_is_a_local_sqlite_file(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MINYI_DATABASE_URL", raising=False)
    monkeypatch.delenv("MINYI_CONFIG", raising=False)
    assert load_settings().database_url == "sqlite:///minyi.db"
    assert load_settings().pipeline.embedding_backend == "use"


def test_toml_file_is_read(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MINYI_DATABASE_URL", raising=False)
    (tmp_path / "minyi.toml").write_text(
        'database_url = "sqlite:///other.db"\n[pipeline]\nembedding_backend = "tfidf"\n', encoding="utf-8"
    )
    s = load_settings()
    assert (s.database_url, s.pipeline.embedding_backend) == ("sqlite:///other.db", "tfidf")


def test_environment_overrides_the_toml_file(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "minyi.toml").write_text('[pipeline]\nembedding_backend = "tfidf"\n', encoding="utf-8")
    monkeypatch.setenv("MINYI_PIPELINE__EMBEDDING_BACKEND", "sentence-transformers")
    monkeypatch.setenv("MINYI_DATABASE_URL", "postgresql://u:p@h/db")
    s = load_settings()
    assert s.pipeline.embedding_backend == "sentence-transformers"
    assert s.database_url == "postgresql://u:p@h/db"


def test_config_file_named_by_environment(monkeypatch, tmp_path):
    cfg = tmp_path / "elsewhere.toml"
    cfg.write_text("[pipeline]\nuse_threads = 1\n", encoding="utf-8")
    monkeypatch.setenv("MINYI_CONFIG", str(cfg))
    assert load_settings().pipeline.use_threads == 1


def test_invalid_settings_give_a_config_error(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "minyi.toml").write_text("[pipeline]\nuse_threads = 'many'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid settings"):
        load_settings()


def test_a_misspelt_key_in_the_toml_file_is_an_error_naming_it(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MINYI_CONFIG", raising=False)
    (tmp_path / "minyi.toml").write_text('[pipeline]\nclusterr = "kmeans"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"pipeline\.clusterr: unknown key"):
        load_settings()
    (tmp_path / "minyi.toml").write_text('databse_url = "sqlite:///x.db"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"databse_url: unknown key"):
        load_settings()


def test_an_unknown_component_name_fails_at_load_naming_the_key(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MINYI_CONFIG", raising=False)
    monkeypatch.setenv("MINYI_PIPELINE__CLUSTERER", "spectral")
    with pytest.raises(ConfigError, match=r"pipeline\.clusterer: 'spectral' is not a known component"):
        load_settings()
    monkeypatch.setenv("MINYI_PIPELINE__CLUSTERER", "kmeans")
    monkeypatch.setenv("MINYI_PIPELINE__EMBEDDING_BACKEND", "word2vec")
    with pytest.raises(ConfigError, match=r"pipeline\.embedding_backend: 'word2vec'"):
        load_settings()


def test_every_component_the_settings_accept_is_implemented():
    from minyi.core.vocab import PIPELINE_COMPONENTS
    from pipeline import components

    assert {stage: tuple(components.names(stage)) for stage in components.stages()} == PIPELINE_COMPONENTS
    for stage, names in PIPELINE_COMPONENTS.items():
        for name in names:
            assert callable(components.component(stage, name))


def test_the_default_secret_is_recognised():
    from minyi.core.settings import DEFAULT_SECRET_KEY, WebSettings

    assert WebSettings().secret_key == DEFAULT_SECRET_KEY
