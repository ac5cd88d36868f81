"""The ``cityops`` command line: init, demo, load, quarantine, report, serve, settings."""

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
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        for warning in report.warnings:  # for the logs of scripted imports
            click.echo(f"warning: {warning}", err=True)
    else:
        click.echo(_report_table(report))


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
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, debug: bool | None) -> None:
    """Serve the dashboard and the API."""
    from app import create_app

    settings = _settings(ctx)
    host = host or settings.host
    port = port or settings.port
    debug = settings.debug if debug is None else debug
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
    if debug:
        app.run(host=host, port=port, debug=True, dev_tools_disable_version_check=True)
    else:
        from waitress import serve as waitress_serve

        waitress_serve(app.server, host=host, port=port, threads=settings.threads, ident="cityops")


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
