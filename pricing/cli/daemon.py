"""``pricing daemon``: the scheduler daemon (crawls and the nightly pipeline, unattended)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from pricing.cli.context import get
from pricing.cli.options import LogFormatOpt, with_log_format
from pricing.cli.output import Format, OutOpt, console, emit
from pricing.logs import setup as setup_logs

FormatOpt = Annotated[Format, typer.Option("--format", help="Output format.")]


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


def register(app: typer.Typer) -> None:
    @app.command()
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

    @app.command("deploy-crawlers")
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

    @app.command()
    def status(ctx: typer.Context, fmt: FormatOpt = Format.table, out: OutOpt = None) -> None:
        """Schedules, next runs, last runs with their health, the active daemon, alerts."""
        from scheduler.status import STATUS_COLUMNS, status_rows

        app_ctx = get(ctx)
        config = app_ctx.config  # a bad config is reported before a missing schema
        rows = status_rows(app_ctx.db, config)
        emit(rows, fmt, STATUS_COLUMNS, title="Status", out=out)
