"""Running the product: ``pricing init``, ``daemon``, ``deploy-crawlers``, ``status``,
``serve``, ``web-user``, ``demo``."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from pricing.cli.context import get
from pricing.cli.options import AsOfOpt, FormatOpt, LogFormatOpt, parse_as_of, with_log_format
from pricing.cli.output import Format, OutOpt, console, dumps, emit, err_console
from pricing.logs import setup as setup_logs
from pricing.storage import Database


def _opt(flag: str, env: str, help_text: str) -> typer.models.OptionInfo:
    return typer.Option(flag, envvar=f"PRICING_DAEMON_{env}", help=help_text, show_envvar=True)


LeaseOpt = Annotated[
    float,
    _opt(
        "--lease",
        "LEASE",
        "Seconds a lease lasts without a heartbeat; a standby takes over after that.",
    ),
]
HeartbeatOpt = Annotated[float, _opt("--heartbeat", "HEARTBEAT", "Seconds between renewals.")]
CrawlTimeoutOpt = Annotated[
    float, _opt("--crawl-timeout", "CRAWL_TIMEOUT", "Time limit of one crawl, in seconds.")
]
NightlyTimeoutOpt = Annotated[
    float,
    _opt("--nightly-timeout", "NIGHTLY_TIMEOUT", "Time limit of the nightly run, in seconds."),
]
StopTimeoutOpt = Annotated[
    float,
    _opt("--stop-timeout", "STOP_TIMEOUT", "On SIGTERM, seconds running work may take to end."),
]
KillGraceOpt = Annotated[
    float,
    _opt("--kill-grace", "KILL_GRACE", "Seconds between asking a child to stop and killing it."),
]
ReportsOpt = Annotated[Path, _opt("--reports", "REPORTS", "Nightly reports go to REPORTS/<date>/.")]
LogDirOpt = Annotated[
    Path, _opt("--log-dir", "LOG_DIR", "One log file per crawl and nightly run goes here.")
]
BaseUrlOpt = Annotated[
    list[str] | None,
    typer.Option("--base-url", help="NAME=URL: crawl this competitor at another address."),
]
AttemptsOpt = Annotated[
    int,
    _opt(
        "--max-attempts",
        "MAX_ATTEMPTS",
        "Runs of a task cut short by a daemon stop, counting the first.",
    ),
]
ScrapydOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--scrapyd",
        envvar="PRICING_DAEMON_SCRAPYD",
        show_envvar=True,
        help="Scrapyd node URL (repeatable): crawl there instead of in local processes.",
    ),
]
ScrapydProjectOpt = Annotated[
    str, _opt("--scrapyd-project", "SCRAPYD_PROJECT", "The Scrapyd project of the crawlers.")
]
ScrapydLostOpt = Annotated[
    float,
    _opt(
        "--scrapyd-lost-after",
        "SCRAPYD_LOST_AFTER",
        "Seconds a Scrapyd node may not answer about a running crawl before the crawl "
        "counts as lost and is dispatched to another node.",
    ),
]
# trial mode (docs/daemon.md): intervals instead of the crons, same job store and jobs
CrawlEveryOpt = Annotated[
    float | None,
    _opt(
        "--crawl-every",
        "CRAWL_EVERY",
        "Trial mode: crawl every N seconds instead of on the crons of schedules.yaml.",
    ),
]
NightlyEveryOpt = Annotated[
    float | None,
    _opt(
        "--nightly-every",
        "NIGHTLY_EVERY",
        "Trial mode: run the nightly pipeline every N seconds instead of on its cron.",
    ),
]
WorkersOpt = Annotated[
    int, _opt("--max-workers", "MAX_WORKERS", "Jobs (crawls, nightly) that may run at once.")
]
NodesArg = Annotated[list[str], typer.Option("--scrapyd", help="Scrapyd node URL (repeatable).")]


def nightly(
    ctx: typer.Context,
    reports: Annotated[Path, typer.Option(
        "--reports", help="Reports folder: the report goes to REPORTS/<date>/.")
    ] = Path("var/reports"),
    as_of: AsOfOpt = None,
) -> None:
    """The nightly sequence once: match new listings, optimize, apply the auto-approval
    rules, write the report. What the daemon runs on its nightly schedule; prints one JSON
    line with what it did."""
    from scheduler.nightly import run_nightly

    app_ctx = get(ctx)
    setup_logs(app_ctx.settings.log_format)
    app_ctx.db.require_schema()
    result = run_nightly(app_ctx.db, app_ctx.config, reports, as_of=parse_as_of(as_of))
    sys.stdout.write(dumps(result.as_json()) + "\n")


def init(ctx: typer.Context) -> None:
    """Create the database schema, or upgrade it to the current version."""
    db: Database = get(ctx).raw_db
    db.upgrade()
    console.print(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")


def daemon(
    ctx: typer.Context,
    lease: LeaseOpt = 60.0,
    heartbeat: HeartbeatOpt = 15.0,
    crawl_timeout: CrawlTimeoutOpt = 10800.0,
    nightly_timeout: NightlyTimeoutOpt = 7200.0,
    stop_timeout: StopTimeoutOpt = 30.0,
    kill_grace: KillGraceOpt = 10.0,
    reports: ReportsOpt = Path("var/reports"),
    log_dir: LogDirOpt = Path("var/log/daemon"),
    base_url: BaseUrlOpt = None,
    max_attempts: AttemptsOpt = 2,
    scrapyd: ScrapydOpt = None,
    scrapyd_project: ScrapydProjectOpt = "crawlers",
    scrapyd_lost_after: ScrapydLostOpt = 60.0,
    crawl_every: CrawlEveryOpt = None,
    nightly_every: NightlyEveryOpt = None,
    max_workers: WorkersOpt = 8,
    log_format: LogFormatOpt = None,
) -> None:
    """Run crawls and the nightly pipeline on their schedules (config/schedules.yaml).

    Only one daemon acts per database; start a second one anywhere as a standby.
    Stop with SIGTERM or Ctrl-C. See docs/daemon.md.
    """
    from scheduler.alerts import load_alerts
    from scheduler.daemon import Daemon
    from scheduler.options import DaemonOptionError, DaemonOptions

    app_ctx = get(ctx)
    app_ctx.settings = with_log_format(app_ctx.settings, log_format)
    setup_logs(
        app_ctx.settings.log_format,
        logging.DEBUG if app_ctx.settings.debug else logging.INFO,
    )
    config = app_ctx.config
    overrides: dict[str, str] = {}
    for item in base_url or []:
        name, sep, url = item.partition("=")
        if not sep or not url:
            raise DaemonOptionError("--base-url", f"expected NAME=URL, got {item!r}")
        config.competitor(name)  # a clear error for an unknown name
        overrides[name] = url
    options = DaemonOptions(
        lease_seconds=lease,
        heartbeat_seconds=heartbeat,
        crawl_timeout=crawl_timeout,
        nightly_timeout=nightly_timeout,
        stop_timeout=stop_timeout,
        kill_grace=kill_grace,
        reports_dir=reports.resolve(),
        log_dir=log_dir.resolve(),
        base_urls=overrides,
        max_attempts=max_attempts,
        crawl_every=crawl_every,
        nightly_every=nightly_every,
        max_workers=max_workers,
        scrapyd_nodes=tuple(scrapyd or ()),
        scrapyd_project=scrapyd_project,
        scrapyd_lost_after=scrapyd_lost_after,
    )
    alerts = load_alerts(app_ctx.settings.config_dir)
    app_ctx.db  # noqa: B018 - refuse early when the schema is missing or behind
    raise typer.Exit(Daemon(app_ctx.settings, config, options, alerts=alerts).run())


def deploy_crawlers(
    scrapyd: NodesArg,
    project: ScrapydProjectOpt = "crawlers",
    out: Annotated[Path, typer.Option("--out", help="Where the egg is written.")] = Path(
        "var/eggs"
    ),
    version: Annotated[
        str | None, typer.Option("--version", help="Version label (default: a timestamp).")
    ] = None,
) -> None:
    """Upload the crawlers (the Scrapy project, as an egg) to Scrapyd nodes, for
    `pricing daemon --scrapyd URL`. Each node needs pricing-monitor installed and
    PRICING_CONFIG_DIR set; see docs/daemon.md."""
    from scheduler.scrapyd import deploy

    for node, spiders in deploy(scrapyd, project, out, version).items():
        console.print(f"{node}: project {project}, spiders: {', '.join(spiders) or 'none'}")


def status(ctx: typer.Context, fmt: FormatOpt = Format.table, out: OutOpt = None) -> None:
    """Schedules, next runs, last runs with their health, the active daemon, alerts."""
    from scheduler.status import STATUS_COLUMNS, status_rows

    app_ctx = get(ctx)
    config = app_ctx.config  # a bad config is reported before a missing schema
    rows = status_rows(app_ctx.db, config)
    emit(rows, fmt, STATUS_COLUMNS, title="Status", out=out)


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


def demo(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the demo database, inputs and report.")
    ] = Path("var/demo"),
    nights: Annotated[
        int, typer.Option("--nights", min=1, max=730, help="Simulated nights to replay.")
    ] = 91,
    price_every: Annotated[
        int,
        typer.Option(
            "--price-every", min=1, help="Run the nightly pricing every N-th night (1: all)."
        ),
    ] = 7,
) -> None:
    """Replay a season of the whole pipeline on the bundled demo market (fresh SQLite)."""
    from pricing.cli.demo import run_demo

    app_ctx = get(ctx)
    result = run_demo(
        out,
        app_ctx.settings.config_dir,
        nights=nights,
        price_every=price_every,
        progress=lambda msg: console.print(msg, highlight=False, markup=False),
    )
    c = result.counts
    db = result.database_url
    lines = [
        "",
        f"replayed {result.nights} nights from {result.first_night.isoformat()} "
        f"in {result.seconds:.0f} s",
        f"{c['crawls']} crawls, {c['observations']} price observations, {c['runs']} "
        f"suggestion runs with {c['suggestions']} suggestions; {c['approved']} approved by "
        f"the auto-approval rules, {c['exported']} prices exported; run "
        f"{result.run_id} has {c['pending']} changes pending review",
        f"report: {result.report.resolve()}",
        "",
        "explore the demo database (or `export PRICING_DATABASE_URL=" + db + "` once):",
        f"  pricing --db {db} history {result.example_sku or 'SKU'}",
        f"  pricing --db {db} review --run {result.run_id}",
        f"  pricing --db {db} serve",
    ]
    for line in lines:
        console.print(line, highlight=False, markup=False, soft_wrap=True)
