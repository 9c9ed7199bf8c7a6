"""`minyi crawl SPIDER …`: a thin shell over ``minyi.services.crawl.crawl``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from minyi.cli.apps import app
from minyi.cli.output import JSON_HELP, QUIET_HELP, as_option, print_json, reporter
from minyi.core.errors import InputError


def parse_settings(pairs: list[str] | None) -> dict[str, Any]:
    """['DOWNLOAD_DELAY=5', 'AUTOTHROTTLE_ENABLED=false'] → Scrapy settings."""
    settings: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--set {pair!r}: expected NAME=VALUE (a Scrapy setting)")
        settings[key.strip()] = value.strip()
    return settings


def format_summary(s: dict[str, Any]) -> list[str]:
    lines = [f"{s['spider']} {s['base_url']}: {s['pages']} pages fetched"]
    if s["spider"] == "forum":
        lines.append(
            f"threads: {s['threads_found']} found, {s['threads_skipped']} unchanged (not fetched)"
        )
        lines.append(
            f"posts: {s['posts_found']} found, {s['imported']} imported, "
            f"{s['skipped']} already stored, {s['quarantined']} quarantined"
        )
    else:
        lines.append(
            f"consultations: {s['consultations_found']} found, {s['consultations_created']} created, "
            f"{s['consultations_updated']} updated, {s['consultations_unchanged']} unchanged"
        )
        for a in s["attachments"]:
            lines.append(f"attachment: {a['path']} ({a['bytes']} bytes)")
    if s["robots_forbidden"]:
        lines.append(f"skipped (robots.txt forbids): {len(s['robots_forbidden'])} pages")
    lines.append(f"errors: {len(s['errors'])}")
    for e in s["errors"][:20]:
        lines.append(f"  {e['reason']}: {e['url']}")
    if len(s["errors"]) > 20:
        lines.append(f"  … and {len(s['errors']) - 20} more (see --json)")
    for q in s["quarantine"][:10]:
        lines.append(f"  quarantined {q['locator']}: {q['reason']}")
    if s.get("aborted"):
        lines.append(f"stopped early: {s['finish_reason']}")
    return lines


@app.command("crawl")
def crawl_cmd(
    spider: str = typer.Argument(..., help="forum, npc_flcaw or moj."),
    consultation: int = typer.Option(None, "--consultation", "-c", help="Consultation the forum posts comment on (forum only)."),
    config: Path = typer.Option(None, "--config", help="Forum site TOML (default: collectors/sites/discuz.toml)."),
    base_url: str = typer.Option(None, "--base-url", help="Site address, overriding the config's or the spider's default."),
    download_attachments: Path = typer.Option(
        None, "--download-attachments", help="npc_flcaw: save each draft's attachment under this directory."
    ),
    include_closed: bool = typer.Option(False, "--include-closed", help="npc_flcaw: also read drafts whose consultation has closed."),
    pages: int = typer.Option(1, "--pages", help="moj: number of list pages to read."),
    set_: list[str] = typer.Option(None, "--set", help="Scrapy setting NAME=VALUE (repeatable), e.g. DOWNLOAD_DELAY=5."),
    log_level: str = typer.Option(None, "--log-level", help="Show Scrapy's log at this level (DEBUG, INFO, WARNING …)."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    quiet: bool = typer.Option(False, "--quiet", help=QUIET_HELP),
    as_user: str = as_option(),
) -> None:
    """Crawl a forum or an official consultation site and store what it finds.

    forum: posts of an online community (Discuz! by default; other sites via --config)
    become comments of --consultation. npc_flcaw / moj: drafts open for comment on the NPC
    and Ministry of Justice sites become consultations (created or updated). Crawls are
    polite (robots.txt, one request at a time, AutoThrottle) and incremental.

    Example: minyi crawl forum --consultation 1 --base-url https://bbs.example.gov.cn/ --json

    Example: minyi crawl npc_flcaw --download-attachments drafts/
    """
    from minyi.services.context import actor_for, unit_of_work
    from minyi.services.crawl import CRAWL_STAGE, STORE_STAGE, crawl

    overrides = parse_settings(set_)
    if log_level:
        overrides.update(LOG_ENABLED=True, LOG_LEVEL=log_level.upper())
    spider_args: dict[str, Any] = {}
    if download_attachments is not None:
        if spider != "npc_flcaw":
            raise InputError("--download-attachments is for the npc_flcaw spider")
        download_attachments.mkdir(parents=True, exist_ok=True)
        spider_args["download_dir"] = str(download_attachments)
    if include_closed:
        if spider != "npc_flcaw":
            raise InputError("--include-closed is for the npc_flcaw spider")
        spider_args["include_closed"] = True
    if pages != 1:
        if spider != "moj":
            raise InputError("--pages is for the moj spider")
        if pages < 1:
            raise InputError(f"--pages {pages}: must be at least 1")
        spider_args["pages"] = pages
    with unit_of_work() as session:
        actor = actor_for(session, as_user)
    with reporter(quiet, {CRAWL_STAGE: "Crawling", STORE_STAGE: "Storing posts"}) as report:
        summary = crawl(
            unit_of_work,
            actor,
            spider,
            consultation_id=consultation,
            config_path=config,
            base_url=base_url,
            settings_overrides=overrides,
            spider_args=spider_args,
            progress=report,
        ).to_dict()
    if as_json:
        print_json(summary)
    else:
        for line in format_summary(summary):
            typer.echo(line)
    if summary["aborted"]:
        raise typer.Exit(1)
