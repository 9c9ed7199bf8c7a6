"""`minyi serve`: the review application."""

from __future__ import annotations

import typer

from minyi.cli.apps import app


@app.command("serve")
def serve_cmd(
    host: str = typer.Option(None, "--host", help="Address to listen on (default 127.0.0.1, or [web] host)."),
    port: int = typer.Option(None, "--port", help="Port (default 8000, or [web] port)."),
) -> None:
    """Start the review application (in Chinese, in the browser).

    Refuses to start while the secret key is the default: set MINYI_WEB__SECRET_KEY or
    [web] secret_key in minyi.toml (`make demo` writes one for the demo).

    Example: minyi serve --host 127.0.0.1 --port 8000
    """
    import uvicorn

    from minyi.core.errors import ConfigError
    from minyi.core.settings import DEFAULT_SECRET_KEY, get_settings
    settings = get_settings()
    if settings.web.secret_key == DEFAULT_SECRET_KEY or len(settings.web.secret_key) < 16:
        raise ConfigError(
            "the web secret key is the default (or shorter than 16 characters): set MINYI_WEB__SECRET_KEY or "
            "secret_key under [web] in minyi.toml, e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    host = host or settings.web.host
    port = port or settings.web.port
    typer.echo(f"minyi review application: http://{host}:{port}/  (Ctrl+C to stop)")
    # By import path: the CLI and the web shell are siblings that never import each other.
    uvicorn.run("web.app:create_app", factory=True, host=host, port=port, log_level="warning", proxy_headers=False)
