"""The wall (大屏): a dark, rotating, live screen for the command centre. Nobody clicks it.

URL: ``/wall?pages=overview,video,hazmat,rentals,tourism&rotate=<s>&refresh=<s>``
``&scope=<code>&lang=zh``, each optional (defaults: the ``CITYOPS_WALL_*`` settings).
One fixed 16:9 canvas (1920 × 1080 design pixels; wider on a 32:9 wall) is scaled to the
screen by
``assets/wall.js``; the header, the navigation and the banner of the analyst
pages are not shown.

Every ``refresh`` seconds one callback reads the current page's data and the
live alarms and sends only the panels whose content changed (the others get
``no_update``, so nothing flickers); every ``rotate`` seconds it turns to the
next page. What to show — rotation, the severity-3 interrupt and its queue —
is the pure state machine :mod:`cityops.rotation`. A store that stops answering
leaves the last good panels on screen under a banner, and the next refresh
that succeeds removes it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging

from dash import Input, Output, State, callback, dcc, html, no_update

from cityops import ids, rotation
from cityops.clock import TZ, today
from cityops.geo import ScopeDenied, ScopeError, ensure_allowed
from cityops.queries import wall as wq
from cityops.queries.context import current
from cityops.queries.kpis import KPI_SOURCES
from cityops.store import safe_error
from cityops.text.i18n import normalise_lang, t
from cityops.web import BadInput, input_rule, request_lang
from components import wall as w
from components.choropleth import boundaries_url
from components.states import page_message
from pages._shared import register_page

log = logging.getLogger(__name__)

PATH = "/wall"
register_page(__name__, "wall", PATH, order=95)

#: Allowed ranges of the URL's seconds.
ROTATE_RANGE = (5, 3600)
REFRESH_RANGE = (1, 600)
#: The panels a refresh may send; each is sent only when its content changed.
PANELS = (
    "page",
    "style",
    "title",
    "dots",
    "cards",
    "areas",
    "legend",
    "map_fresh",
    "points",
    "points_hideout",
    "viewport",
    "problems",
    "trend",
    "strip_fresh",
    "ticker",
    "alert",
    "status",
)


def now_local() -> dt.datetime:
    """Return the time now in Asia/Shanghai, naive (as the store keeps times)."""
    return dt.datetime.now(TZ).replace(tzinfo=None, microsecond=0)


def _seconds(raw, name: str, default: int, bounds: tuple[int, int], lang: str) -> int:
    """Return URL seconds ``raw`` as an int in ``bounds``; raise ValueError with the message."""
    if raw is None or raw == "":
        return default
    low, high = bounds
    try:
        value = int(str(raw).strip())
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ValueError(
            t("wall.error.bad_seconds", lang, name=name, low=low, high=high, value=str(raw)[:20])
        )
    return value


def resolve_config(pages, rotate, refresh, scope, lang) -> tuple[dict | None, str | None, str]:
    """Resolve the wall's URL into its configuration for the current user.

    Returns ``(config, None, lang)`` or ``(None, message, lang)`` for a link the wall
    cannot show (an unknown page, seconds out of range, an unknown or forbidden area).
    """
    ctx = current()
    settings = ctx.settings
    lang = normalise_lang(
        lang if isinstance(lang, str) else None, request_lang(settings.default_lang)
    )
    given = {"pages": pages, "rotate": rotate, "refresh": refresh, "scope": scope}
    repeated = [name for name, v in given.items() if isinstance(v, list)]
    if repeated:
        return None, t("error.repeated", lang, name=repeated[0]), lang
    names = [p.strip() for p in (pages or settings.wall_pages).split(",") if p.strip()]
    unknown = [p for p in names if p not in wq.WALL_PAGES]
    if unknown or not names:
        return (
            None,
            t(
                "wall.error.bad_page",
                lang,
                name=(unknown or [""])[0][:40],
                choices=", ".join(wq.WALL_PAGES),
            ),
            lang,
        )
    try:
        rotate_s = _seconds(rotate, "rotate", settings.wall_rotate_s, ROTATE_RANGE, lang)
        refresh_s = _seconds(refresh, "refresh", settings.wall_refresh_s, REFRESH_RANGE, lang)
    except ValueError as exc:
        return None, str(exc), lang
    code = (scope or settings.wall_scope or "").strip() or None
    try:
        # no area named: the user's (or the wall token's) own
        where = ctx.geo.scope(code) if code else ctx.allowed_scope()
        ensure_allowed(where, ctx.allowed_scope())
    except ScopeError as exc:
        return None, t("error.bad_scope", lang, code=(code or "")[:40], detail=str(exc)), lang
    except ScopeDenied:
        return None, t("error.denied_scope", lang, code=code), lang
    config = {
        "pages": list(dict.fromkeys(names)),
        "rotate": rotate_s,
        "refresh": refresh_s,
        "scope": where.code,
        "lang": lang,
    }
    return config, None, lang


def area_names(ctx, codes) -> dict[str, str]:
    """Return the names of ``codes`` (grid cells are named by their short id)."""
    areas = ctx.geo.areas
    return {c: areas[c].name if c in areas else cell_name(c) for c in codes}


def cell_name(cell: str) -> str:
    """Return a grid cell's short name: the digits that tell cells of one district apart."""
    return f"{t('grid.prefix')} …{cell.rstrip('f')[-6:]}"


def gather(config: dict, state: dict, trigger: str, now: dt.datetime) -> tuple[dict, dict]:
    """Read what the wall shows now; return ``(panels, state)``.

    ``trigger`` is ``start`` (the layout) or ``tick``. Raises what the store raises;
    the callback turns that into the banner.
    """
    ctx = current()
    allowed = ctx.allowed_scope()
    where = ctx.geo.scope(config["scope"])
    ensure_allowed(where, allowed)  # a tampered config cannot widen the view
    lang, day = config["lang"], today()
    items = wq.ticker_items(ctx, scope=where, allowed=allowed, day=day, now=now)
    if trigger == "start":
        state = rotation.start(config["pages"], items, now)
    else:
        hold = ctx.settings.wall_alarm_hold_s
        state = rotation.step(state, items, now, rotate_s=config["rotate"], hold_s=hold)
    page = rotation.page(state)
    spec = wq.WALL_PAGES[page]
    fresh = wq.freshness(ctx, allowed=allowed, now=now)
    areas = wq.page_areas(ctx, page=page, scope=where, allowed=allowed, day=day)
    cards = wq.page_cards(ctx, page=page, scope=where, allowed=allowed, day=day, now=now)
    problems = wq.page_problems(ctx, page=page, scope=where, allowed=allowed, day=day, areas=areas)
    trend = wq.page_trend(ctx, page=page, scope=where, allowed=allowed, day=day, areas=areas)
    points = wq.page_points(ctx, page=page, scope=where, allowed=allowed, day=day, now=now)
    codes = set(areas["values"]) | {r.get("code") for r in problems if r.get("code")}
    codes |= {i.get("district_code") for i in items + problems if i.get("district_code")}
    names = area_names(ctx, [c for c in codes if c])
    hideout = w.area_hideout(areas, page=page, names=names, lang=lang)
    map_fresh = w.page_freshness(fresh, KPI_SOURCES[spec.map_kpi])
    problems_fresh = w.page_freshness(fresh, wq.PROBLEM_SOURCES[spec.problems])
    trend_fresh = w.page_freshness(fresh, wq.TREND_SOURCES[spec.trend])
    container = ctx.geo.area(areas["container"])
    alert = state.get("alert")
    panels = {
        "page": page,
        "style": w.css_variables(page),
        "title": w.page_title(page, lang),
        "dots": w.dots(config["pages"], page, lang),
        "cards": w.kpi_column(cards, fresh, lang, now),
        "areas": hideout,
        "legend": w.legend(hideout, lang),
        "map_fresh": w.freshness_line(map_fresh, lang, now),
        "points": w.points_geojson(points + w.alert_point(alert)),
        "points_hideout": w.points_hideout(page),
        "viewport": w.fly_to(alert, container.bounds),
        "problems": w.problems(spec.problems, problems, names, lang, now, problems_fresh),
        "trend": w.trend_figure(trend, page, names, lang),
        "strip_fresh": w.freshness_line(trend_fresh, lang, now),
        "ticker": w.ticker(items, names, lang),
        "alert": w.alert_card(alert, len(state["queue"]), names, lang, now),
        "status": w.status(fresh, lang),
    }
    return panels, state


def _signature(value) -> str:
    """Return a short hash of a panel's content (components and figures serialised)."""
    text = json.dumps(value, sort_keys=True, default=_plain, ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _plain(value):
    if hasattr(value, "to_plotly_json"):
        return value.to_plotly_json()
    return str(value)


def changed(panels: dict, sigs: dict) -> tuple[dict, dict]:
    """Return ``(to_send, signatures)``: the panels whose content differs from ``sigs``."""
    new = {k: _signature(v) for k, v in panels.items()}
    return {k: v for k, v in panels.items() if sigs.get(k) != new[k]}, new


def layout(pages=None, rotate=None, refresh=None, scope=None, lang=None, **_):
    """Return the wall for its URL: the canvas with the first page drawn, or a message."""
    config, error, lang = resolve_config(pages, rotate, refresh, scope, lang)
    if error:
        return html.Div(
            page_message("not-found", t("wall.title", lang), error),
            className="wall wall-message",
            style=w.css_variables("overview"),
            **{"data-wall-page": ""},
        )
    ctx = current()
    now = now_local()
    try:
        panels, state = gather(config, {}, "start", now)
    except Exception as exc:  # the wall says why it is empty and reloads itself to retry
        log.error("wall: first read failed: %s", safe_error(exc))
        return html.Div(
            html.Div(
                t("wall.banner.store", lang, time="—"), className="wall-banner is-on", role="alert"
            ),
            className="wall wall-message",
            style=w.css_variables("overview"),
            **{"data-wall-page": "", "data-reload-after": str(config["refresh"])},
        )
    _, sigs = changed(panels, {})
    state = {**state, "sigs": sigs, "last_ok": now.isoformat()}
    where = ctx.geo.scope(config["scope"])
    container = ctx.geo.map_container(where)[0].code
    map_box = w.wall_map(
        geojson_url=boundaries_url(container),
        bounds=ctx.geo.area(container).bounds,
        hideout=panels["areas"],
        tile_url=ctx.settings.tile_url,
    )
    map_box.children[-1].data = panels["points"]
    map_box.children[-1].hideout = panels["points_hideout"]
    return html.Div(
        [
            dcc.Store(id=ids.WALL_CONFIG, data=config),
            dcc.Store(id=ids.WALL_STATE, data=state),
            # one stream of ticks: a refresh and a rotation never race each other's state
            dcc.Interval(
                id=ids.WALL_TICK, interval=min(config["refresh"], config["rotate"]) * 1000
            ),
            w.header(
                scope_name=ctx.geo.scope_name(where),
                lang=lang,
                day=today(),
                now=now,
                title=panels["title"],
                dots=panels["dots"],
                status=panels["status"],
            ),
            html.Div("", id=ids.WALL_BANNER, className="wall-banner", role="alert"),
            html.Div(
                [
                    html.Section(panels["cards"], id=ids.WALL_CARDS, className="wall-cards"),
                    html.Section(
                        [
                            map_box,
                            html.Div(panels["legend"], id=ids.WALL_LEGEND),
                            html.Div(
                                panels["map_fresh"],
                                id=ids.WALL_MAP_FRESH,
                                className="wall-map-fresh",
                            ),
                            html.Div(panels["alert"], id=ids.WALL_ALERT, className="wall-alert"),
                        ],
                        className="wall-map",
                    ),
                    html.Section(
                        panels["problems"], id=ids.WALL_PROBLEMS, className="wall-problems"
                    ),
                ],
                className="wall-body",
            ),
            html.Section(
                [
                    w.trend_graph(panels["trend"]),
                    html.Div(
                        panels["strip_fresh"], id=ids.WALL_STRIP_FRESH, className="wall-strip-fresh"
                    ),
                ],
                className="wall-strip",
            ),
            html.Div(
                html.Div(panels["ticker"], id=ids.WALL_TICKER, className="wall-ticker-track"),
                className="wall-ticker",
                **{"aria-live": "polite"},
            ),
        ],
        id=ids.WALL_ROOT,
        className=f"wall lang-{lang}",
        style=panels["style"],
        **{
            "data-wall-page": panels["page"],
            "data-tick": "0",
            "data-refresh": str(config["refresh"]),
            "data-scope": config["scope"],
            "data-lost-text": t("wall.banner.server", lang, time="{time}"),
        },
    )


@callback(
    Output(ids.WALL_ROOT, "data-wall-page"),
    Output(ids.WALL_ROOT, "style"),
    Output(ids.WALL_PAGE_TITLE, "children"),
    Output(ids.WALL_DOTS, "children"),
    Output(ids.WALL_CARDS, "children"),
    Output(ids.WALL_AREAS, "hideout"),
    Output(ids.WALL_LEGEND, "children"),
    Output(ids.WALL_MAP_FRESH, "children"),
    Output(ids.WALL_POINTS, "data"),
    Output(ids.WALL_POINTS, "hideout"),
    Output(ids.WALL_MAP, "viewport"),
    Output(ids.WALL_PROBLEMS, "children"),
    Output(ids.WALL_TREND, "figure"),
    Output(ids.WALL_STRIP_FRESH, "children"),
    Output(ids.WALL_TICKER, "children"),
    Output(ids.WALL_ALERT, "children"),
    Output(ids.WALL_STATUS, "children"),
    Output(ids.WALL_BANNER, "children"),
    Output(ids.WALL_BANNER, "className"),
    Output(ids.WALL_ROOT, "data-tick"),
    Output(ids.WALL_STATE, "data"),
    Input(ids.WALL_TICK, "n_intervals"),
    State(ids.WALL_STATE, "data"),
    State(ids.WALL_CONFIG, "data"),
    prevent_initial_call=True,
)
def tick(n, state, config):
    """Refresh the wall (and rotate it when due); send only the panels that changed."""
    now = now_local()
    beat = str(n or 0)
    try:
        panels, new_state = gather(config, state, "tick", now)
    except (ScopeDenied, ScopeError):  # a request for another area: refused, not a banner
        raise
    except Exception as exc:  # keep the last good panels; say so; the next tick retries
        log.error("wall: refresh failed: %s", safe_error(exc))
        last = w.parse_time(state.get("last_ok"))
        text = t(
            "wall.banner.store", config["lang"], time=last.strftime("%H:%M:%S") if last else "—"
        )
        return (*[no_update] * len(PANELS), text, "wall-banner is-on", beat, no_update)
    send, sigs = changed(panels, state.get("sigs", {}))
    new_state = {**new_state, "sigs": sigs, "last_ok": now.isoformat()}
    out = [send.get(k, no_update) for k in PANELS]
    return (*out, "", "wall-banner", beat, new_state)


def check_config(value: object) -> None:
    """Check the wall's configuration as sent back: the keys the layout wrote, as texts/ints."""
    ok = (
        isinstance(value, dict)
        and set(value) == {"pages", "rotate", "refresh", "scope", "lang"}
        and isinstance(value["pages"], list)
        and all(p in wq.WALL_PAGES for p in value["pages"])
        and value["pages"]
        and all(isinstance(value[k], int) for k in ("rotate", "refresh"))
        and isinstance(value["scope"], str)
        and len(value["scope"]) <= 20
        and value["lang"] in ("zh", "en")
    )
    if not ok:
        raise BadInput("the wall's configuration is not one the wall wrote")
    ctx = current()
    try:
        geo, allowed = ctx.geo, ctx.allowed_scope()
    except Exception:  # the store does not answer: the callback says so (its banner)
        return
    try:
        where = geo.scope(value["scope"])
    except ScopeError as exc:
        raise BadInput("the wall's area is not one the wall can show") from exc
    ensure_allowed(where, allowed)  # ScopeDenied: a 403 before the callback


def check_state(value: object) -> None:
    """Check the wall's state as sent back: an object with a page index within its pages."""
    ok = (
        isinstance(value, dict)
        and isinstance(value.get("pages"), list)
        and all(p in wq.WALL_PAGES for p in value["pages"])
        and isinstance(value.get("index"), int)
        and 0 <= value["index"] < len(value["pages"])
        and isinstance(value.get("seen"), list)
        and isinstance(value.get("queue"), list)
        and len(json.dumps(value)) < 400_000
    )
    if not ok:
        raise BadInput("the wall's state is not one the wall wrote")


def check_count(value: object) -> None:
    """Check an interval's count: None or a whole number."""
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise BadInput("an interval count is a whole number")


input_rule(ids.WALL_CONFIG, "data", check_config)
input_rule(ids.WALL_STATE, "data", check_state)
input_rule(ids.WALL_TICK, "n_intervals", check_count)
