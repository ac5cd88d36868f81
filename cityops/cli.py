"""The ``cityops`` command line: init, demo, serve, settings."""

from __future__ import annotations

import datetime as dt
import sys
import time

import click
import sqlalchemy as sa

from cityops import store
from cityops.settings import get_settings, settings_markdown


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


@cli.command()
@click.option("--force", is_flag=True, help="Reload the boundaries even if present.")
@click.pass_context
def init(ctx: click.Context, force: bool) -> None:
    """Create the store and write the administrative boundaries into it."""
    from loaders.boundaries import load_boundaries

    settings = _settings(ctx)
    engine = store.make_engine(settings.database_url_resolved)
    started = time.perf_counter()
    store.create_schema(engine)
    written = load_boundaries(engine, replace=force)
    engine.dispose()
    if written:
        click.echo(f"boundaries: {written} areas written in {time.perf_counter() - started:.1f} s")
    else:
        click.echo("boundaries already present (use --force to reload)")
    click.echo(f"store: {_safe_url(settings.database_url_resolved)}")


@cli.command()
@click.option("--seed", default=7, show_default=True, help="Random seed: same seed, same data.")
@click.option(
    "--scale",
    type=click.Choice(["small"]),
    default="small",
    show_default=True,
    help="Dataset size. `small` is a few thousand entities per city.",
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
    """Replace the city datasets with a generated demo dataset ending today."""
    from cityops.context import TZ
    from cityops.demo import build_demo, write_demo
    from cityops.geo import geography

    settings = _settings(ctx)
    engine = store.make_engine(settings.database_url_resolved)
    store.create_schema(engine)
    with engine.connect() as conn:
        has_areas = conn.execute(sa.select(sa.func.count()).select_from(store.areas)).scalar()
        has_data = conn.execute(sa.select(sa.func.count()).select_from(store.cameras)).scalar()
    if not has_areas:
        raise click.ClickException("the store has no boundaries: run `cityops init` first")
    if if_empty and has_data:
        click.echo("store already has city data; demo skipped")
        return
    now = dt.datetime.now(TZ).replace(tzinfo=None, microsecond=0)
    day = today.date() if today else now.date()
    if today:
        now = dt.datetime.combine(day, now.time())
    started = time.perf_counter()
    geo = geography(engine, settings.city_codes, settings.grid_resolution)
    tables = build_demo(geo, seed=seed, today=day, now=now)
    written = write_demo(engine, tables)
    engine.dispose()
    for name, n in written.items():
        click.echo(f"{name:>20}: {n:>8,} rows")
    click.echo(f"demo ({scale}, seed {seed}) written in {time.perf_counter() - started:.1f} s")


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
    try:
        app = create_app(settings)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"cityops on http://{host}:{port}/  (store: {_safe_url(settings.database_url_resolved)})"
    )
    if debug:
        app.run(host=host, port=port, debug=True, dev_tools_disable_version_check=True)
    else:
        from waitress import serve as waitress_serve

        waitress_serve(app.server, host=host, port=port, threads=settings.threads, ident="cityops")


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
    """Entry point of the console script."""
    cli(prog_name="cityops")


if __name__ == "__main__":
    sys.exit(main())
