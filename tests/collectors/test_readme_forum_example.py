"""The README's "site that is not Discuz!" example is the configuration the tests crawl,
so the instructions a new user follows are known to work."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def readme_example() -> dict:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("Example: a site that is not Discuz!", 1)[1]
    block = re.search(r"```toml\n(.*?)```", section, re.S).group(1)
    return tomllib.loads(block)


def test_readme_example_is_the_crawled_configuration():
    tested = tomllib.loads((REPO / "tests/collectors/sites/simple.toml").read_text(encoding="utf-8"))
    example = readme_example()
    # Only the address differs: the tests serve the site on 127.0.0.1.
    example.pop("base_url")
    tested.pop("base_url")
    assert example == tested


def test_readme_example_loads_as_a_site_configuration(tmp_path):
    from collectors.spiders.siteconfig import load_site_config

    path = tmp_path / "yishi.toml"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("Example: a site that is not Discuz!", 1)[1]
    path.write_text(re.search(r"```toml\n(.*?)```", section, re.S).group(1), encoding="utf-8")
    config = load_site_config(path)
    assert config.name == "社区议事平台"
