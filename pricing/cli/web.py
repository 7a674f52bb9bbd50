"""Commands for the web application: ``pricing serve`` and ``pricing web-user``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pricing.cli.context import get
from pricing.cli.output import console, err_console


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``web-user`` to the ``pricing`` command."""

    @app.command()
    def serve(
        ctx: typer.Context,
        host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
        allowed_host: Annotated[
            list[str] | None,
            typer.Option(
                "--allowed-host",
                help="A host name browsers may use to reach the app, besides localhost and "
                "--host (repeat it; env PRICING_WEB_ALLOWED_HOSTS replaces the defaults).",
            ),
        ] = None,
        trusted_proxy: Annotated[
            list[str] | None,
            typer.Option(
                "--trusted-proxy",
                help="Address or network of a reverse proxy whose X-Forwarded-For is "
                "believed (repeat it; env PRICING_WEB_TRUSTED_PROXIES).",
            ),
        ] = None,
    ) -> None:
        """The web application: report review, history charts, market position, JSON API.

        Reading is open to browsers on this machine (not through a proxy); changes need a
        login (users from `pricing web-user`) or an API token (PRICING_WEB_TOKENS).
        OpenAPI at /openapi.json, endpoints at /docs; docs/security.md for deployment.
        """
        from pricing.web.app import create_app
        from pricing.web.network import NetworkConfig
        from pricing.web.server import serve as run

        app_ctx = get(ctx)
        network = NetworkConfig.from_env(
            bind_host=host, extra_hosts=allowed_host or (), extra_proxies=trusted_proxy or ()
        )
        web = create_app(app_ctx.settings, database=app_ctx.db, network=network)
        auth = web.state.web.auth
        if not auth.users and not auth.tokens:
            err_console.print(
                "no web users or API tokens: the web application is read-only "
                "(add a user with `pricing web-user NAME`)",
                highlight=False,
            )
        if auth.read == "localhost" and host not in ("127.0.0.1", "::1", "localhost"):
            err_console.print(
                "reading is open only to browsers on this machine; other addresses must log "
                "in (PRICING_WEB_READ=open to change that)",
                highlight=False,
            )
        err_console.print(
            f"allowed hosts: {', '.join(network.host_patterns)}"
            + (
                f"; trusted proxies: {', '.join(map(str, network.trusted_proxies))}"
                if network.trusted_proxies
                else ""
            ),
            highlight=False,
        )
        console.print(f"serving on http://{host}:{port}/ (Ctrl-C to stop)", highlight=False)
        run(web, host, port, log_level="debug" if app_ctx.settings.debug else "info")

    @app.command("web-user")
    def web_user(
        ctx: typer.Context,
        name: Annotated[str, typer.Argument(help="User name (letters, digits, . _ @ -).")],
        users_file: Annotated[
            Path | None,
            typer.Option(
                "--file", help="Users file (default: PRICING_WEB_USERS or <config>/web_users.txt)."
            ),
        ] = None,
        password_stdin: Annotated[
            bool,
            typer.Option(
                "--password-stdin",
                help="Read the password from the first line of standard input (scripts), "
                "instead of asking twice.",
            ),
        ] = False,
    ) -> None:
        """Add a web user, or set a new password for one (asks for it twice).

        A new password ends the user's open web sessions, at their next request."""
        import os
        import sys

        from pricing.web.auth import USERS_FILE, write_user

        path = users_file or Path(
            os.environ.get("PRICING_WEB_USERS") or get(ctx).settings.config_dir / USERS_FILE
        )
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
        if len(password) < 8:
            raise typer.BadParameter("a password needs at least 8 characters")
        write_user(path, name, password)
        console.print(f"user {name} saved in {path}", highlight=False)
