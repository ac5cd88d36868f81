"""The ``cityops`` command line: init, demo, load, quarantine, report, serve, settings, ….

Accounts (issue 12): ``user``, ``token``, ``audit``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

import click
import sqlalchemy as sa

from cityops import store
from cityops.datasets import DATASETS
from cityops.settings import get_settings, settings_markdown

DATASET_NAMES = tuple(DATASETS)


def _settings(ctx: click.Context):
    return ctx.obj["settings"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", help="Override CITYOPS_DATA_DIR.")
@click.option("--database-url", help="Override CITYOPS_DATABASE_URL.")
@click.pass_context
def cli(ctx: click.Context, data_dir: str | None, database_url: str | None) -> None:
    """cityops: city operations-centre dashboard (一网统管).

    Typical first run: `cityops init`, `cityops demo`, `cityops serve`.
    """
    try:
        settings = get_settings(data_dir=data_dir, database_url=database_url)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    ctx.obj = {"settings": settings}


def _storage(ctx: click.Context):
    from cityops.queries import snapshots
    from cityops.store.versions import Storage

    settings = _settings(ctx)
    storage = Storage(settings)
    # every writer session records the status KPIs (at most hourly), for the wall's trends
    storage.finishers.append(lambda engine: snapshots.record(engine, settings))
    return storage


def _describe(storage) -> str:
    if storage.versioned:
        return f"{storage.root} (version {storage.version_label()})"
    return _safe_url(storage.url)


@cli.command()
@click.option("--force", is_flag=True, help="Reload the boundaries even if present.")
@click.pass_context
def init(ctx: click.Context, force: bool) -> None:
    """Create the store and write the administrative boundaries into it."""
    from loaders.boundaries import load_boundaries

    storage = _storage(ctx)
    if storage.has_areas() and not force:
        click.echo("boundaries already present (use --force to reload)")
        click.echo(f"store: {_describe(storage)}")
        return
    started = time.perf_counter()
    with storage.writer() as engine:
        written = load_boundaries(engine, replace=True)
    _audit_load(ctx, "ok", "boundaries", "cnmaps", areas=written)
    click.echo(f"boundaries: {written} areas written in {time.perf_counter() - started:.1f} s")
    click.echo(f"store: {_describe(storage)}")


def _geography(ctx: click.Context, engine):
    from cityops.geo import geography

    settings = _settings(ctx)
    return geography(engine, settings.city_codes, settings.grid_resolution)


@cli.command()
@click.option("--seed", default=7, show_default=True, help="Random seed: same seed, same data.")
@click.option(
    "--scale",
    type=click.Choice(["small", "city"]),
    default="small",
    show_default=True,
    help="small: a few thousand entities per city, seconds. city: Suqian-scale "
    "(70k cameras in 宿迁, 1M+ bookings, 5M GPS points, 200k rentals) for benchmarks.",
)
@click.option("--if-empty", is_flag=True, help="Do nothing when the store already has city data.")
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Last day of the timeline (default: today in Asia/Shanghai).",
)
@click.pass_context
def demo(ctx: click.Context, seed: int, scale: str, if_empty: bool, today) -> None:
    """Replace the city datasets with a demo, written as department files and loaded.

    The files (mixed formats, encodings and coordinate systems, a few bad rows
    each) stay in <data_dir>/demo/ for trying `cityops load` by hand.
    """
    from cityops.clock import TZ
    from loaders.demo_files import run_demo

    storage = _storage(ctx)
    if not storage.has_areas():
        raise click.ClickException("the store has no boundaries: run `cityops init` first")
    if if_empty:
        from cityops.store.executor import execute

        counted = execute(storage, sa.select(sa.func.count().label("n")).select_from(store.cameras))
        if counted["n"].iloc[0]:
            click.echo("store already has city data; demo skipped")
            return
    now = dt.datetime.now(TZ).replace(tzinfo=None, microsecond=0)
    day = today.date() if today else now.date()
    if today:
        now = dt.datetime.combine(day, now.time())
    started = time.perf_counter()
    folder = Path(_settings(ctx).data_dir).resolve() / "demo"
    with storage.writer() as engine:
        reports = run_demo(
            engine,
            _geography(ctx, engine),
            folder,
            seed=seed,
            scale=scale,
            today=day,
            now=now,
            progress=lambda m: click.echo(m, err=True),
        )
    for r in reports:  # each demo file is a load like any department's
        _audit_load(ctx, "ok", r.dataset, r.file, load_id=r.load_id, rows_read=r.rows_read,
                    quarantined=r.quarantined, source="demo")  # fmt: skip
    click.echo(
        f"{'file':<34}{'dataset':<18}{'read':>10}{'loaded':>10}{'quar.':>8}{'flag.':>7}{'s':>8}"
    )
    for r in reports:
        click.echo(
            f"{Path(r.file).name:<34}{r.dataset:<18}{r.rows_read:>10,}"
            f"{r.inserted + r.updated:>10,}{r.quarantined:>8,}{r.flagged:>7,}{r.seconds:>8.1f}"
        )
    click.echo(
        f"demo ({scale}, seed {seed}) loaded in {time.perf_counter() - started:.1f} s; "
        f"files in {folder}"
    )


@cli.command()
@click.argument("dataset", type=click.Choice(sorted(DATASET_NAMES)))
@click.argument("path", type=click.Path(dir_okay=False))
@click.option(
    "--crs",
    type=click.Choice(["wgs84", "gcj02", "bd09"]),
    default="wgs84",
    show_default=True,
    help="Coordinate system of the file's lon/lat.",
)
@click.option(
    "--sheet",
    default=None,
    metavar="NAME|N",
    help="Excel: the sheet to read, by name or number from 1 "
    "(default: the first sheet holding the dataset's header).",
)
@click.option(
    "--encoding",
    default=None,
    metavar="NAME",
    help="CSV: the file's encoding (utf-8, gb18030, big5, shift_jis, …), decoded strictly "
    "(default: UTF-8, else GB18030, refused when neither reads plausibly).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the load report as one JSON object.")
@click.pass_context
def load(ctx: click.Context, dataset: str, path: str, crs: str, sheet: str | None,
         encoding: str | None, as_json: bool) -> None:  # fmt: skip
    """Load a department file (CSV, Excel, Parquet or GeoJSON) into the store.

    Bad rows are quarantined with their reason (exit 0). The file is refused
    when it cannot be read or is not a DATASET file: exit 2, one line
    `refused: …`, no data changed, and the refusal is recorded in the load
    history (`cityops quarantine list`, /data, /api/v1/datasets).
    """
    from loaders.load import load_into
    from loaders.read import FileRefused

    storage = _storage(ctx)
    if not storage.has_areas():
        raise click.ClickException("the store has no boundaries: run `cityops init` first")
    size = os.path.getsize(path) if os.path.isfile(path) else 0
    stages = ["reading", "checking", "placing", "writing"]
    show_bar = size > 5_000_000 and sys.stderr.isatty() and not as_json
    try:
        with (
            open(os.devnull, "w") as devnull,
            click.progressbar(
                length=len(stages),
                label=f"{dataset} ← {os.path.basename(path)}",
                file=sys.stderr if show_bar else devnull,
            ) as bar,
        ):
            report = load_into(
                storage,
                dataset,
                path,
                geography=lambda engine: _geography(ctx, engine),
                crs=crs,
                sheet=sheet,
                encoding=encoding,
                progress=lambda _msg: bar.update(1),
            )
    except FileRefused as exc:
        _audit_load(ctx, "refused", dataset, path, refusal=exc.key, load_id=exc.load_id)
        if as_json:
            click.echo(
                json.dumps(
                    {"dataset": dataset, "file": path, "status": "refused", "refused": str(exc),
                     "refusal_key": exc.key, "load_id": exc.load_id},
                    ensure_ascii=False,
                )
            )  # fmt: skip
        click.echo(f"refused: {exc}", err=True)
        if exc.record_error:
            click.echo(f"warning: the refusal is not in the load history: {exc.record_error}",
                       err=True)  # fmt: skip
        ctx.exit(2)
    except Exception as exc:  # the database refused the rows, …: still a load attempt
        _audit_load(ctx, "failed", dataset, path, error=type(exc).__name__)
        raise
    _audit_load(ctx, "ok", dataset, path, load_id=report.load_id, rows_read=report.rows_read,
                inserted=report.inserted, updated=report.updated,
                quarantined=report.quarantined)  # fmt: skip
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        for warning in report.warnings:  # for the logs of scripted imports
            click.echo(f"warning: {warning}", err=True)
    else:
        click.echo(_report_table(report))


def _audit_load(ctx: click.Context, outcome: str, dataset: str, path: str, **detail) -> None:
    """Write the ``load`` row of the audit log; a failure to write it is a warning only.

    The load itself is done (or refused) by then: its exit code stays what it was.
    """
    from cityops.auth import audit
    from cityops.auth.schema import auth_engine

    try:
        audit.record(auth_engine(_settings(ctx)), _cli_actor(), "load", outcome,
                     dataset=dataset, file=os.path.basename(path), **detail)  # fmt: skip
    except Exception as exc:
        click.echo(f"warning: the load is not in the audit log: {store.safe_error(exc)}", err=True)


def _report_table(report) -> str:
    source = f"  format {report.format}"
    if report.encoding:
        source += f", encoding {report.encoding}"
    if report.delimiter and report.delimiter != ",":
        source += f", separated by {DELIMITER_NAMES.get(report.delimiter, report.delimiter)}"
    lines = [f"{report.dataset} ← {report.file}", source + f", coordinates {report.crs}"]
    if report.sheet is not None:
        sheet = f"  sheet {report.sheet!r} read"
        if report.skipped_sheets:
            sheet += "; skipped: " + ", ".join(repr(s) for s in report.skipped_sheets)
        lines.append(sheet)
    lines += [
        f"  {'rows read':<14}{report.rows_read:>10,}",
        f"  {'inserted':<14}{report.inserted:>10,}",
        f"  {'updated':<14}{report.updated:>10,}",
        f"  {'quarantined':<14}{report.quarantined:>10,}",
        f"  {'flagged':<14}{report.flagged:>10,}",
    ]
    if report.collapsed:
        lines.append(f"  {'collapsed':<14}{report.collapsed:>10,}  (repeated rows, kept once)")
    for reason, count in sorted(report.reasons.items()):
        lines.append(f"    {reason:<24}{count:>8,}")
    if report.ignored_columns:
        lines.append(f"  columns not loaded: {', '.join(report.ignored_columns)}")
    for warning in report.warnings:
        lines.append(f"  warning: {warning}")
    lines.append(f"  load {report.load_id} in {report.seconds:.2f} s")
    if report.quarantined:
        lines.append(f"  see: cityops quarantine show {report.load_id}")
    return "\n".join(lines)


DELIMITER_NAMES = {";": "semicolons", "\t": "tabs", "|": "bars", ",": "commas"}


def _reader(ctx: click.Context):
    """Return the published store to read, or a one-line error (exit 1) when there is none."""
    from cityops.store.versions import StoreMissing

    storage = _storage(ctx)
    try:
        storage.reader_engine()
        return storage
    except StoreMissing as exc:
        raise click.ClickException(str(exc)) from None


@cli.group()
def quarantine() -> None:
    """Browse the rows loads did not accept (and the flagged ones), and refused files."""


@quarantine.command("list")
@click.option("--dataset", type=click.Choice(sorted(DATASET_NAMES)), help="Only this dataset.")
@click.option(
    "--status", type=click.Choice(["accepted", "refused"]), help="Only accepted or refused files."
)
@click.option("--limit", default=30, show_default=True, help="Newest loads shown.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@click.pass_context
def quarantine_list(ctx: click.Context, dataset: str | None, status: str | None, limit: int,
                    as_json: bool) -> None:  # fmt: skip
    """List recent loads, accepted and refused, with their quarantined and flagged counts."""
    from cityops.geo import PROVINCE
    from cityops.queries import catalogue

    frame = catalogue.loads(
        _reader(ctx), allowed=PROVINCE, dataset=dataset, limit=limit, status=status
    )
    if as_json:
        for rec in frame.to_dict("records"):
            for key in ("refusal_args", "warnings"):
                rec[key] = json.loads(rec[key]) if rec.get(key) else None
            click.echo(json.dumps(rec, ensure_ascii=False, default=str))
        return
    if frame.empty:
        click.echo("no loads yet")
        return
    click.echo(
        f"{'load':<34}{'dataset':<20}{'finished':<21}{'status':<10}{'read':>9}{'quar.':>8}"
        f"{'flag.':>8}  file"
    )
    for r in frame.itertuples():
        line = (
            f"{r.load_id:<34}{r.dataset:<20}{r.finished_at!s:<21}{r.status:<10}{r.rows_read:>9,}"
            f"{r.quarantined:>8,}{r.flagged:>8,}  {r.file}"
        )
        if r.status == "refused":
            line += f"  refused: {r.refusal}"
        click.echo(line)


@quarantine.command("show")
@click.argument("load_id")
@click.option("--limit", default=50, show_default=True, help="Rows shown.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@click.pass_context
def quarantine_show(ctx: click.Context, load_id: str, limit: int, as_json: bool) -> None:
    """Show the quarantined and flagged rows of one load, with reasons and the raw row.

    Personal data (landlords' names and phones, vehicle plates) is masked.
    Exit 1 when there is no such load.
    """
    from cityops.geo import PROVINCE
    from cityops.queries import catalogue

    storage = _reader(ctx)
    found = catalogue.load(storage, load_id, allowed=PROVINCE)
    if found is None:
        raise click.ClickException(f"no load {load_id}: see `cityops quarantine list`")
    if found["status"] == "refused":
        if as_json:
            keep = ("load_id", "dataset", "file", "status", "refusal", "refusal_key", "finished_at")
            click.echo(json.dumps({k: found[k] for k in keep}, ensure_ascii=False, default=str))
        else:
            click.echo(f"load {load_id}: {found['file']} was refused: {found['refusal']}")
        return
    frame = catalogue.issues(storage, allowed=PROVINCE, load_id=load_id, limit=limit)
    if frame.empty:
        click.echo(f"load {load_id}: no quarantined or flagged rows")
        return
    for rec in frame.to_dict("records"):
        if as_json:
            rec["raw"] = json.loads(rec["raw"])
            rec["message_args"] = json.loads(rec["message_args"]) if rec["message_args"] else None
            click.echo(json.dumps(rec, ensure_ascii=False, default=str))
        else:
            click.echo(
                f"row {rec['row_number']:>7}  {rec['severity']:<12}{rec['reason']:<11}"
                f"{rec['message']}\n           {rec['raw']}"
            )


class _UsageError(click.ClickException):
    """A bad scope, period or option value: one line, exit 2, nothing written."""

    exit_code = 2


@cli.command()
@click.option(
    "--scope",
    "scope_code",
    required=True,
    help="Area code of the province (320000), a city or a district, or a grid cell.",
)
@click.option("--from", "start", help="First day of the period, YYYY-MM-DD.")
@click.option("--to", "end", help="Last day of the period, YYYY-MM-DD (default: --from).")
@click.option(
    "--last",
    type=click.Choice(["daily", "weekly", "monthly"]),
    help="Instead of --from/--to: the last whole day, Monday–Sunday week or "
    "calendar month before today (for cron).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["pdf", "html", "xlsx"]), default="pdf", show_default=True
)
@click.option(
    "--output",
    "output",
    required=True,
    type=click.Path(),
    help="File to write, or an existing directory to write the report's own "
    "name into (cityops_<scope>_<period>_<lang>.<ext>).",
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option(
    "--map-kpi", default=None, help="KPI the map is coloured by (default cameras_online_rate)."
)
@click.pass_context
def report(
    ctx: click.Context,
    scope_code: str,
    start: str | None,
    end: str | None,
    last: str | None,
    fmt: str,
    output: str,
    lang: str,
    map_kpi: str | None,
) -> None:
    """Make a report (日报/周报/月报) of a city or district as PDF, HTML or Excel.

    Exit codes: 0 written; 1 the store or Chromium is missing, or the output
    cannot be written; 2 a bad scope, period or option (nothing written).
    The file appears whole or not at all (written beside, then renamed).
    """
    from cityops.clock import today
    from cityops.geo import ScopeError
    from cityops.periods import PeriodError, last_complete, parse_period
    from cityops.queries.context import Context
    from cityops.queries.kpis import KPI_BY_NAME
    from cityops.reports import make

    if last and (start or end):
        raise _UsageError("give either --last or --from/--to, not both")
    if not last and not start:
        raise _UsageError("give the period: --from YYYY-MM-DD [--to YYYY-MM-DD] or --last")
    try:
        period = last_complete(last, today()) if last else parse_period(start, end)
    except PeriodError as exc:
        raise _UsageError(str(exc)) from None
    if map_kpi and map_kpi not in KPI_BY_NAME:
        raise _UsageError(
            f"--map-kpi: unknown KPI {map_kpi!r}; choose from {', '.join(KPI_BY_NAME)}"
        )
    _reader(ctx)  # the store exists (else one line, exit 1)
    context = Context(_settings(ctx))
    try:
        scope = context.geo.scope(scope_code)
    except ScopeError as exc:
        raise _UsageError(f"--scope: {exc}") from None
    target = Path(output)
    started = time.perf_counter()
    try:
        content, name = make(
            context,
            scope=scope,
            period=period,
            fmt=fmt,
            allowed=context.allowed_scope(),
            lang=lang,
            map_kpi=map_kpi,
        )
    except RuntimeError as exc:  # Chromium missing or failing
        raise click.ClickException(str(exc)) from None
    finally:
        context.storage.close()
    if target.is_dir():
        target = target / name
    if not target.parent.is_dir():
        raise click.ClickException(f"cannot write {target}: no directory {target.parent}")
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_bytes(content)
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"cannot write {target}: {exc.strerror}") from None
    click.echo(
        f"wrote {target} ({len(content) / 1024:,.0f} KB, "
        f"{time.perf_counter() - started:.1f} s): {context.geo.scope_name(scope)}, "
        f"{period.start} – {period.end}"
    )


@cli.command()
@click.option("--host", default=None, help="Address to listen on (CITYOPS_HOST).")
@click.option("--port", type=int, default=None, help="Port to listen on (CITYOPS_PORT).")
@click.option("--debug/--no-debug", default=None, help="Dash debug mode (CITYOPS_DEBUG).")
@click.option(
    "--demo/--no-demo",
    default=None,
    help="Demo mode (CITYOPS_DEMO; `make run`): login on, key and local admin made if missing, "
    "this machine only.",
)
@click.pass_context
def serve(
    ctx: click.Context, host: str | None, port: int | None, debug: bool | None, demo: bool | None
) -> None:
    """Serve the dashboard and the API."""
    from app import create_app
    from cityops.settings import Settings
    from cityops.web.security import is_loopback

    settings = _settings(ctx)
    host = host or settings.host
    port = port or settings.port
    debug = settings.debug if debug is None else debug
    demo = settings.demo if demo is None else demo
    if debug and not is_loopback(host):  # the Werkzeug debugger runs code for its visitors
        click.echo(f"--debug serves this machine only (127.0.0.1, ::1), not {host}", err=True)
        ctx.exit(2)
    if settings.auth == "off" and not is_loopback(host):  # no login: this machine only
        click.echo(
            f"CITYOPS_AUTH=off serves this machine only (127.0.0.1, ::1), not {host}: "
            "turn login on (CITYOPS_AUTH=on, see README Access) to serve a network",
            err=True,
        )
        ctx.exit(2)
    if demo and not is_loopback(host):  # a made-up key and a printed password: no network
        click.echo(
            f"demo mode serves this machine only (127.0.0.1, ::1), not {host}: set "
            "CITYOPS_SECRET_KEY and create accounts (README Access) to serve a network",
            err=True,
        )
        ctx.exit(2)
    settings = Settings({**settings.values, "host": host, "demo": demo})  # the name is allowed
    if demo and settings.auth == "on":
        settings = _demo_settings(settings)
    storage = _storage(ctx)
    if storage.needs_migration():  # a store written by an older cityops: add what it lacks
        with storage.writer():
            pass
        click.echo(f"store migrated to this version's schema: {_describe(storage)}")
    # the check's reader must not keep its version open for the server's life: a version
    # merged away since would never give its disk back
    storage.close()
    try:
        app = create_app(settings)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"cityops on http://{host}:{port}/  (store: {_describe(_storage(ctx))})")
    if settings.auth == "on":
        _echo_login(settings, f"http://{host}:{port}/login")
    if debug:
        app.run(host=host, port=port, debug=True, dev_tools_disable_version_check=True)
    else:
        from waitress import serve as waitress_serve

        waitress_serve(app.server, host=host, port=port, threads=settings.threads, ident="cityops")


def _demo_settings(settings):
    """Return ``settings`` with the demo key when ``CITYOPS_SECRET_KEY`` is not set."""
    from cityops.auth.demo import demo_secret_key
    from cityops.settings import Settings

    if settings.secret_key.strip():
        return settings
    return Settings({**settings.values, "secret_key": demo_secret_key(Path(settings.data_dir))})


def _echo_login(settings, url: str) -> None:
    """Print how to sign in to the server being started.

    Demo mode: the local admin (made now if the store has no account). Otherwise a
    warning when no account could sign in.
    """
    from cityops.auth.accounts import list_accounts
    from cityops.auth.demo import ensure_demo_admin
    from cityops.auth.schema import auth_engine

    engine = auth_engine(settings)
    try:
        if settings.demo:
            login = ensure_demo_admin(engine, Path(settings.data_dir))
            if login.name is None:
                click.echo(f"demo mode: sign in at {url} with an account of this store")
            else:
                made = "created" if login.created else "kept"
                click.echo(
                    f"demo mode: sign in at {url} as {login.name}, password "
                    f"{login.password} ({made} in {login.file}; change it with "
                    f"`cityops user reset {login.name} --password-stdin`)"
                )
        elif not any(not a.disabled for a in list_accounts(engine)):
            click.echo(
                "no account can sign in yet: create one with "
                "`cityops user add NAME --role admin --password-stdin`",
                err=True,
            )
    finally:
        engine.dispose()


def _live_writer(ctx: click.Context):
    from loaders.live import LiveWriter

    return LiveWriter(_storage(ctx), geography=lambda engine: _geography(ctx, engine))


@cli.command()
@click.option(
    "--rate",
    type=click.FloatRange(min=0.1),
    default=20.0,
    show_default=True,
    help="Rows a second, in all (GPS fixes fill what the other kinds leave).",
)
@click.option(
    "--duration",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds to run (default: until Ctrl-C).",
)
@click.option(
    "--batch-seconds",
    type=click.FloatRange(min=0.1),
    default=1.0,
    show_default=True,
    help="Seconds between batches.",
)
@click.option("--seed", default=7, show_default=True, help="Random seed.")
@click.option(
    "--scope",
    "scope_code",
    default=None,
    metavar="CODE",
    help="Only this city, district or grid cell's vehicles, cameras and spots.",
)
@click.option(
    "--severe-every",
    type=click.FloatRange(min=1),
    default=None,
    metavar="SECONDS",
    help="Raise a severity-3 alarm every this many seconds (demos, tests).",
)
@click.pass_context
def simulate(ctx: click.Context, rate: float, duration: float | None, batch_seconds: float,
             seed: int, scope_code: str | None, severe_every: float | None) -> None:  # fmt: skip
    """Feed live GPS fixes, alarms, camera changes, events, bookings and check-ins.

    Every row goes through the live writer's validation (bad ones quarantined);
    readers see each batch at once and the KPIs at each merge
    (CITYOPS_LIVE_MERGE_SECONDS), which prints one line. Ends after --duration
    or at Ctrl-C with a last merge and a summary (exit 0); exit 2 when the
    store has no boundaries or no city data to start from.
    """
    import signal

    from cityops.geo import ScopeError
    from cityops.store.versions import StoreMissing
    from loaders.simulate import Simulator, load_state, merge_line, run, summary_line

    storage = _storage(ctx)
    try:
        engine = storage.reader_engine()
    except StoreMissing:
        engine = None
    if engine is None or not storage.has_areas():
        click.echo("error: the store is empty: run `cityops init` and `cityops demo` first",
                   err=True)  # fmt: skip
        ctx.exit(2)
    geo = _geography(ctx, engine)
    try:
        scope = geo.scope(scope_code)
    except ScopeError as exc:
        click.echo(f"error: --scope: {exc}", err=True)
        ctx.exit(2)
    writer = _live_writer(ctx)
    leftover = writer.merge()  # batches a stopped run left: the state starts from them
    if leftover.batches:
        click.echo(merge_line(leftover))
    state = load_state(storage, geo, scope)
    if state.empty:
        click.echo("error: the store has no city data to simulate from"
                   + (f" in {scope.code}" if scope_code else "") + ": run `cityops demo` first",
                   err=True)  # fmt: skip
        ctx.exit(2)
    merge_seconds = _settings(ctx).values["live_merge_seconds"]
    click.echo(f"simulating {rate:g} rows/s into {_describe(storage)}; batches every "
               f"{batch_seconds:g} s, merged every {merge_seconds} s; Ctrl-C ends")  # fmt: skip

    def interrupt(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)  # a service manager's stop ends it like Ctrl-C
    simulator = Simulator(state, rate=rate, seed=seed, severe_every=severe_every,
                          tag=time.strftime("%y%m%d%H%M%S"))  # fmt: skip
    summary = run(writer, simulator, duration=duration, batch_seconds=batch_seconds,
                  merge_seconds=merge_seconds, say=click.echo)  # fmt: skip
    writer.close()
    # one row for the run (a row per batch would bury the log: batches come every second)
    _audit_load(ctx, "ok", "live", "simulate", batches=summary.batches,
                rows=sum(summary.rows.values()), quarantined=summary.quarantined,
                interrupted=summary.interrupted)  # fmt: skip
    click.echo(summary_line(summary))


@cli.group()
def live() -> None:
    """Live batches (`cityops simulate`, feeds): what waits for a merge, and merging now."""


@live.command("merge")
@click.pass_context
def live_merge(ctx: click.Context) -> None:
    """Merge the pending live batches into a new store version now (exit 0)."""
    from loaders.simulate import merge_line

    _reader(ctx)
    report = _live_writer(ctx).merge()
    if report.batches:
        _audit_load(ctx, "ok", "live", "merge", batches=report.batches,
                    rows=report.rows_written, quarantined=report.quarantined)  # fmt: skip
    click.echo(merge_line(report))


@live.command("status")
@click.pass_context
def live_status(ctx: click.Context) -> None:
    """Show the live batches waiting for a merge, per dataset, and the merged batch number."""
    from loaders.live import live_status as pending

    status = pending(_reader(ctx))
    if not status.versioned:
        click.echo("database server: live batches are written straight into the tables")
        return
    click.echo(f"merged up to batch {status.merged_seq or 'none'}")
    if not status.pending:
        click.echo("no batches pending")
        return
    click.echo(f"{'dataset':<20}{'batches':>8}{'rows':>9}  {'oldest':<26}{'newest':<26}")
    for name, p in status.pending.items():
        click.echo(f"{name:<20}{p['batches']:>8,}{p['rows']:>9,}  "
                   f"{p['oldest_seq']} {p['oldest_at']:%H:%M:%S}  "
                   f"{p['newest_seq']} {p['newest_at']:%H:%M:%S}")  # fmt: skip


# ------------------------------------------------------------ accounts (issue 12)
def _cli_actor() -> str:
    """Return the audit log's actor for the command line: ``cli:<OS user>``."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in this environment (a bare container)
        return f"cli:uid{os.getuid()}"


def _auth(ctx: click.Context):
    from cityops.auth.schema import auth_engine

    return auth_engine(_settings(ctx))


def _read_password(password_stdin: bool) -> str:
    """Return the password on stdin's first line (its line ending removed)."""
    if not password_stdin:
        raise _UsageError("give the password on stdin with --password-stdin")
    return sys.stdin.readline().rstrip("\r\n")


def _scope_geo(ctx: click.Context, scope: str | None):
    """Return the geography when ``scope`` needs checking (None without a scope)."""
    if not scope:
        return None
    return _geography(ctx, _storage(ctx).reader_engine())


def _account_errors(fn):
    """Map the account API's errors to exit codes: invalid input 2, not found/exists 1."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from cityops.auth.accounts import AccountExists, AccountInvalid, AccountNotFound

        try:
            return fn(*args, **kwargs)
        except AccountInvalid as exc:
            raise _UsageError(str(exc)) from None
        except (AccountNotFound, AccountExists) as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


def _when(value) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M")


def _role_help() -> str:
    from cityops.auth.accounts import ROLE_HELP

    return "; ".join(f"{role}: {text}" for role, text in ROLE_HELP.items())


@cli.group()
def user() -> None:
    """Accounts: add, list, disable, reset a password (times are UTC)."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    metavar="ROLE",
    help="One of the roles: admin, centre, analyst, manager, loader (see `cityops user roles`).",
)
@click.option(
    "--scope",
    default=None,
    metavar="CODE",
    help="A city or district code the account is restricted to (default: province).",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin (one line).")
@click.pass_context
@_account_errors
def user_add(
    ctx: click.Context, name: str, role: str, scope: str | None, password_stdin: bool
) -> None:
    """Create account NAME (password of at least 12 characters, read from stdin)."""
    from cityops.auth import accounts

    password = _read_password(password_stdin)
    accounts.check_name(name)
    accounts.check_role(role)
    accounts.check_password(password)
    account = accounts.add_account(
        _auth(ctx), name, role, scope, password, _scope_geo(ctx, scope), actor=_cli_actor()
    )
    click.echo(
        f"account {account.name} added: role {account.role}, "
        f"scope {account.scope_code or 'province'}"
    )


@user.command("roles")
def user_roles() -> None:
    """List the roles and what each may do."""
    from cityops.auth.accounts import ROLE_HELP

    for role, text in ROLE_HELP.items():
        click.echo(f"{role:<8} {text}")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@click.pass_context
def user_list(ctx: click.Context, as_json: bool) -> None:
    """List the accounts (never a password or its hash)."""
    from cityops.auth import accounts

    found = accounts.list_accounts(_auth(ctx))
    if as_json:
        for account in found:
            click.echo(json.dumps(account.to_dict(), ensure_ascii=False))
        return
    if not found:
        click.echo("no accounts yet: `cityops user add NAME --role admin --password-stdin`")
        return
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    click.echo(f"{'name':<24} {'role':<8} {'scope':<8} {'status':<9} {'password set':<16}")
    for a in found:
        status = "disabled" if a.disabled else "locked" if a.locked(now) else "active"
        click.echo(
            f"{a.name:<24} {a.role:<8} {a.scope_code or 'province':<8} {status:<9} "
            f"{_when(a.password_changed_at):<16}"
        )


@user.command("disable")
@click.argument("name")
@click.pass_context
@_account_errors
def user_disable(ctx: click.Context, name: str) -> None:
    """Disable account NAME: it no longer logs in, nor do its tokens."""
    from cityops.auth import accounts

    if accounts.disable_account(_auth(ctx), name, actor=_cli_actor()):
        click.echo(f"account {name} disabled")
    else:
        click.echo(f"account {name} was disabled already")


@user.command("reset")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the new password from stdin (one line).")
@click.pass_context
@_account_errors
def user_reset(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Set a new password for NAME (read from stdin) and lift any lockout."""
    from cityops.auth import accounts

    password = _read_password(password_stdin)
    accounts.check_password(password)
    accounts.reset_password(_auth(ctx), name, password, actor=_cli_actor())
    click.echo(f"account {name}: password reset, lockout cleared")


@cli.group()
def token() -> None:
    """Bearer tokens (wall screens, scripts): create, list, revoke (times are UTC)."""


@token.command("create")
@click.argument("name")
@click.option("--label", default="", help="What the token is for, e.g. the wall screen's place.")
@click.option(
    "--expires",
    "days",
    type=click.IntRange(1, 3660),
    default=None,
    metavar="DAYS",
    help="Days until it expires (default: never; revoke it when done).",
)
@click.option(
    "--scope",
    default=None,
    metavar="CODE",
    help="A city or district inside the account's scope (default: the account's).",
)
@click.pass_context
@_account_errors
def token_create(
    ctx: click.Context, name: str, label: str, days: int | None, scope: str | None
) -> None:
    """Create a bearer token for account NAME; the token is the last line printed."""
    from cityops.auth import accounts

    engine = _auth(ctx)
    token_id, secret = accounts.create_token(
        engine, name, label, days, scope, geo=_scope_geo(ctx, scope), actor=_cli_actor()
    )
    row = next(t for t in accounts.list_tokens(engine, name) if t["token_id"] == token_id)
    click.echo(
        f"token {token_id} for {name}: scope "
        f"{scope or accounts.get_account(engine, name).scope_code or 'province'}, "
        f"expires {_when(row['expires_at']) if days else 'never'}"
    )
    click.echo(
        "warning: the token is shown only now and cannot be read back; "
        "store it where it is used (revoke it with `cityops token revoke "
        f"{token_id}`)",
        err=True,
    )
    sys.stderr.flush()
    click.echo(secret)


@token.command("list")
@click.option("--user", "account", default=None, metavar="NAME", help="Only this account's.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@click.pass_context
def token_list(ctx: click.Context, account: str | None, as_json: bool) -> None:
    """List the tokens with their status (never a secret or its hash)."""
    from cityops.auth import accounts

    found = accounts.list_tokens(_auth(ctx), account)
    if as_json:
        for row in found:
            click.echo(json.dumps(row, ensure_ascii=False, default=str))
        return
    if not found:
        click.echo("no tokens")
        return
    click.echo(
        f"{'token_id':<17} {'account':<20} {'status':<8} {'scope':<8} "
        f"{'expires':<16} {'last used':<16} label"
    )
    for t in found:
        click.echo(
            f"{t['token_id']:<17} {t['account']:<20} {t['status']:<8} "
            f"{t['scope_code'] or '-':<8} {_when(t['expires_at']):<16} "
            f"{_when(t['last_used_at']):<16} {t['label']}"
        )


@token.command("revoke")
@click.argument("token_id")
@click.pass_context
@_account_errors
def token_revoke(ctx: click.Context, token_id: str) -> None:
    """Revoke token TOKEN_ID (see `cityops token list`): it stops working at once."""
    from cityops.auth import accounts

    if accounts.revoke_token(_auth(ctx), token_id, actor=_cli_actor()):
        click.echo(f"token {token_id} revoked")
    else:
        click.echo(f"token {token_id} was revoked already")


@cli.command("audit")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Only entries from this day on (YYYY-MM-DD, Asia/Shanghai).",
)
@click.option(
    "--user",
    "actor",
    default=None,
    metavar="NAME",
    help="Only entries by this actor (an account, or cli:<OS user>).",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 100_000),
    default=100,
    show_default=True,
    help="Newest entries shown.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@click.pass_context
def audit_cmd(ctx: click.Context, since, actor: str | None, limit: int, as_json: bool) -> None:
    """Show the audit log, newest first: logins, downloads, loads, account changes.

    Times in Asia/Shanghai, as on the admin page; ``--json`` gives ``ts`` in UTC with
    its offset (``…+00:00``) for machines.
    """
    from cityops.auth import audit

    start = audit.since_utc(since.date().isoformat()) if since else None
    rows = audit.query(_auth(ctx), since=start, actor=actor, limit=limit)
    if as_json:
        for row in rows:
            stamp = row["ts"].replace(tzinfo=dt.UTC).isoformat(timespec="seconds")
            click.echo(json.dumps({**row, "ts": stamp}, ensure_ascii=False, default=str))
        return
    if not rows:
        click.echo("no audit entries")
        return
    for r in rows:
        detail = " ".join(f"{k}={v}" for k, v in r["detail"].items() if v is not None)
        click.echo(
            f"{audit.local_time(r['ts'])}  {r['actor']:<16} {r['action']:<15} "
            f"{r['outcome']:<8} {r['remote'] or '-':<15} {r['scope_code'] or '-':<8} "
            f"{detail}"
        )


@cli.command("settings")
@click.option("--markdown", is_flag=True, help="Print the README's configuration table.")
@click.pass_context
def show_settings(ctx: click.Context, markdown: bool) -> None:
    """Show every setting with its current value (or the README table)."""
    if markdown:
        click.echo(settings_markdown())
        return
    from cityops.settings import SETTINGS

    values = _settings(ctx).values
    for s in SETTINGS:
        click.echo(f"{s.env:<40} {values[s.name]!r}")


def _safe_url(url: str) -> str:
    """Return the URL without a password."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def main() -> None:
    """Entry point of the console script: expected errors are one line, never a trace.

    Exit codes: 0 done (a file accepted, even with quarantined rows); 1 an
    expected error (store not created, no such load, bad setting); 2 a usage
    error, a refused file, or too little free disk for a new store version
    (nothing changed); 3 an unexpected error, among them the database refusing
    a file's rows. No error line holds an SQL statement or a row's values (the
    engines hide statement parameters, and :func:`cityops.store.safe_error` cuts
    the rest); ``CITYOPS_DEBUG=1`` shows the trace (parameters still hidden).
    """
    from cityops.store.versions import NotEnoughDisk, StoreMissing

    try:
        # without standalone mode click *returns* the code of ctx.exit(n) (and of
        # --help, 0) instead of exiting: it must become the process's exit code
        code = cli(prog_name="cityops", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except StoreMissing as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except NotEnoughDisk as exc:  # refused before anything changed
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except Exception as exc:
        if os.environ.get("CITYOPS_DEBUG", "").lower() in {"1", "true", "yes"}:
            raise
        if isinstance(exc, store.RowsRefused):  # already one safe line naming the file
            click.echo(f"error: {exc}", err=True)
        else:
            click.echo(
                f"error: {store.safe_error(exc)} (run with CITYOPS_DEBUG=1 for details)", err=True
            )
        sys.exit(3)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
