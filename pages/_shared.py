"""Helpers shared by the pages (Dash does not load ``_``-prefixed modules as pages).

Every domain page resolves its URL into one :class:`View` (scope, day, permitted
scope, language, filters and the entity asked for) with :func:`resolve_view`,
and draws the same frame with :func:`domain_page`. A link that names an unknown
area, a bad date or an unknown entity gets a clear message that keeps the page
frame; a failure inside a page keeps the frame too and offers a retry.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

import dash
from dash import Input, Output, State, callback, clientside_callback, html, no_update

from cityops import ids, queries
from cityops.clock import today
from cityops.domains import DOMAIN_BY_NAME, DOMAIN_NAMES, DOMAINS, domain
from cityops.geo import Scope, ScopeDenied, ScopeError, ensure_allowed
from cityops.queries import Found, find_entity
from cityops.queries.context import Context, current
from cityops.queries.kpis import Filters, kpi_record
from cityops.queries.live import freshness
from cityops.text.i18n import t, t_value
from cityops.urls import DAY_RANGE, parse_day
from cityops.web import (
    MAX_INPUT,
    BadInput,
    check_location,
    check_object,
    check_text,
    input_rule,
    request_lang,
)
from components.choropleth import area_map, choropleth_hideout, legend
from components.domain import panel, print_heading
from components.states import notice, page_message

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class View:
    """What one page request asks for, resolved once and shared by its panels.

    ``where`` is the scope shown (an entity given at a broader scope moves it to
    the entity's own grid cell), ``allowed`` what the user may see, ``filters``
    the page's filters plus the entity when it was found (so the KPI cards
    describe the entity), ``found`` the entity lookup (None without one).
    """

    ctx: Context
    lang: str
    where: Scope
    day: dt.date
    allowed: Scope
    filters: Filters = field(default_factory=Filters)
    found: Found | None = None

    @property
    def entity_key(self) -> str | None:
        """Return the id of the entity shown, when it was found."""
        return self.found.key if self.found and self.found.state == "found" else None

    def state(self, **extra) -> dict:
        """Return the page's state store: scope, date, language, filters and ``extra``."""
        return {"scope": self.where.code, "date": self.day.isoformat(), "lang": self.lang,
                **extra}  # fmt: skip


def _text(value, name: str) -> str | None:
    """Return a URL parameter as text; a repeated or non-text parameter is a bad link."""
    if value is None or isinstance(value, str):
        return value.strip() if isinstance(value, str) else None
    raise ValueError(f"{name} is given more than once or is not text")


def page_url(path: str, params: dict) -> str:
    """Return ``path`` with the text parameters of ``params`` as its query string."""
    kept = {k: v for k, v in params.items() if isinstance(v, str) and v}
    return f"{path}?{urlencode(kept)}" if kept else path


def home_label(ctx, lang: str) -> str:
    """Return the label of the link to the user's own area: 查看全省, or 查看玄武区.

    A district account's pages never offer it the province.
    """
    allowed = ctx.allowed_scope()
    if allowed.level == "province":
        return t("error.to_province", lang)
    return t("error.to_area", lang, name=ctx.geo.scope_name(allowed))


def resolve_view(
    path: str,
    scope,
    date,
    *,
    filters: dict | None = None,
    entity: tuple[str, object] | None = None,
) -> tuple[View | None, html.Div | None]:
    """Resolve a page's URL parameters for the current user.

    Returns
    -------
    tuple
        ``(view, None)``, or ``(None, message)`` for a link that cannot be shown:
        an unknown or switched-off area (``not-found``), a bad date, a repeated
        parameter, or an area outside the permitted one (``denied``).
    """
    ctx = current()
    lang = request_lang(ctx.settings.default_lang)
    home = [(home_label(ctx, lang), path)]

    def bad(key: str, **args) -> tuple[None, html.Div]:
        return None, page_message("not-found", t(key, lang, **args), links=home)

    try:
        scope, date = _text(scope, "scope"), _text(date, "date")
        values = {k: _text(v, k) for k, v in (filters or {}).items()}
        kind, key = entity if entity else (None, None)
        key = _text(key, kind) if kind else None
    except ValueError as exc:  # a parameter given twice, or not text
        return bad("error.repeated", name=str(exc).split(" ")[0])
    try:
        # no area named: the user's own (the province with auth off, a district user's district)
        where = ctx.geo.scope(scope) if scope else ctx.allowed_scope()
    except ScopeError as exc:
        return bad("error.bad_scope", code=(scope or "")[:40], detail=str(exc))
    try:
        day = parse_day(date, today())
    except ValueError:
        low, high = DAY_RANGE
        return bad("error.bad_day", value=(date or "")[:40], low=low, high=high)
    allowed = ctx.allowed_scope()
    try:
        ensure_allowed(where, allowed)
    except ScopeDenied:
        return None, page_message("denied", t("error.denied_scope", lang, code=where.code),
                                  links=home)  # fmt: skip
    found = None
    if kind and key:
        found = find_entity(ctx, kind, key, allowed=allowed)
        if found.state == "found":
            values[kind] = key
            if found.cell and found.cell != where.code:
                # a cell outside every enabled district, or one whose centre lies in a
                # district the user may not see (the entity is near its border): stay
                with contextlib.suppress(ScopeError):
                    cell = ctx.geo.scope(found.cell)
                    if allowed.contains(cell):
                        where = cell
        else:
            values.pop(kind, None)
    view = View(ctx, lang, where, day, allowed, Filters.of(values), found)
    return view, None


def entity_cell(kind: str, key: str, fallback: str) -> str:
    """Return the grid cell where entity ``key`` is shown (``fallback`` when unknown).

    Callbacks that open an entity navigate to its own cell, so the URL in the
    address bar is the view on screen.
    """
    ctx = current()
    allowed = ctx.allowed_scope()
    found = find_entity(ctx, kind, key, allowed=allowed)
    if found.state != "found" or not found.cell:
        return fallback
    try:  # a border cell of a district the user may not see: stay where the user is
        return found.cell if allowed.contains(ctx.geo.scope(found.cell)) else fallback
    except ScopeError:
        return fallback


def entity_notice(view: View, title: str) -> list:
    """Return the panel saying an entity was not found or may not be seen (or nothing)."""
    found = view.found
    if found is None or found.state == "found":
        return []
    kind = t(f"entity.{found.kind}", view.lang)
    key = "entity.not_found" if found.state == "not-found" else "entity.denied"
    return [panel(title, notice(found.state, t(key, view.lang, kind=kind, id=found.key)),
                  extra="entity-card")]  # fmt: skip


def guarded_layout(path: str) -> Callable:
    """Wrap a page's ``layout``: a failure keeps the frame and offers a retry, never a trace.

    The error is logged once with the page's parameters for the duty engineer.
    """

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(**params):
            try:
                return fn(**params)
            except Exception as exc:
                from cityops.store import safe_error

                # one line without row values; the trace at DEBUG for the duty engineer
                log.error("layout of %s failed for %r: %s", path, params, safe_error(exc))
                log.debug("trace of the failure above", exc_info=exc)
                return error_frame(path, params)

        return wrapper

    return wrap


def error_frame(path: str, params: dict) -> html.Div:
    """Return the page-wide error: the breadcrumb of the asked scope and a retry link."""
    from components.breadcrumb import breadcrumb

    ctx = current()
    lang = request_lang(ctx.settings.default_lang)
    crumb = None
    try:
        where = ctx.geo.scope(_text(params.get("scope"), "scope"))
        day = params.get("date") if isinstance(params.get("date"), str) else None
        crumb = breadcrumb(
            crumbs(ctx, where, lang=lang),
            lambda code: page_url(path, {"scope": code, "date": day}),
            lang,
        )
    except Exception:
        crumb = None
    return html.Div(
        [
            html.Div(crumb, className="toolbar") if crumb else None,
            page_message(
                "error",
                t("error.page_failed", lang),
                links=[(t("error.retry", lang), page_url(path, params)),
                       (home_label(current(), lang), path)],
            ),
        ],
        className="domain-page",
    )  # fmt: skip


def register_page(module: str, name: str, path: str, *, order: int) -> None:
    """Register page ``name`` at ``path`` with Dash, in the header's navigation at ``order``.

    The header (``components.shell.header``) lists the registered pages that carry
    ``nav_order``, in that order; ``title.<name>`` and ``nav.<name>`` are its labels.
    """
    dash.register_page(module, path=path, title=page_title(name), name=name, nav_order=order)


def register_page_for_domain(
    module: str, name: str
) -> str:  # Dash imports a page module only if its text says "register_page"
    """Register the page of domain ``name`` from its declaration; return its path.

    Its place in the navigation follows :data:`cityops.domains.DOMAINS` (after the
    overview, before the data catalogue).
    """
    found = domain(name)
    register_page(module, name, found.path, order=10 + DOMAINS.index(found))
    return found.path


def page_title(name: str) -> Callable[[], str]:
    """Return the browser-tab title of page ``name`` in the user's language."""

    def title(**_) -> str:
        lang = request_lang(current().settings.default_lang)
        return t(f"title.{name}", lang)

    return title


def map_state(
    ctx: Context,
    where: Scope,
    day: dt.date,
    kpi_name: str,
    lang: str,
    filters: Filters | None = None,
):
    """Return ``(container, level, hideout)`` of the area map for ``where``: one query.

    The areas are coloured with the page's filters (not the entity), like the cards.
    """
    container, level, children = queries.child_kpis(
        ctx, scope=where, day=day, allowed=ctx.allowed_scope(), filters=filters
    )
    hideout = choropleth_hideout(
        children[kpi_name],
        kpi=kpi_name,
        names={c: ctx.geo.areas[c].name if c in ctx.geo.areas else c for c in children.index},
        lang=lang,
        selected=where.code if where.level == "grid" else None,
    )
    return container, level, hideout


def card_note(view: View, labels: dict[str, str] | None = None) -> str | None:
    """Return what the KPI cards are narrowed to ("筛选：水务", "当前对象：运单 W1"), or None."""
    labels = labels or {}
    if view.entity_key:
        kind = t(f"entity.{view.found.kind}", view.lang)
        return f"{t('kpi.entity', view.lang)}：{kind} {view.entity_key}"
    vocabulary = {"department": "department", "hazard_class": "hazard"}
    shown = [
        labels.get(k)
        or (f"{v} {t_value('hazard', v, view.lang)}" if k == "hazard_class" else None)
        or t_value(vocabulary.get(k, "department"), v, view.lang)
        for k, v in view.filters.as_dict().items()
    ]
    return t("entity.filter_note", view.lang, what="、".join(shown)) if shown else None


def crumbs(ctx: Context, where: Scope, entity: tuple[str, str] | None = None, lang: str = "zh"):
    """Return breadcrumb items from the user's own area to ``where``, then the entity if any.

    The province for a user who may see it; a district account's start at its district.
    """
    within = ctx.allowed_scope()
    items = [(s.level, s.code, ctx.geo.scope_name(s)) for s in ctx.geo.lineage(where, within)]
    if entity:
        kind, key = entity
        items.append(("entity", key, f"{t(f'entity.{kind}', lang)} {key}"))
    return items


def level_label(level: str, lang: str) -> str:
    """Return the name of a level for titles ("区县", "district")."""
    label = t(f"level.{level}", lang)
    return label.lower() if lang == "en" else label


def area_name(ctx: Context, code: str | None) -> str:
    """Return an area's (Chinese) name, or the code itself for a grid cell."""
    if not code:
        return "—"
    return ctx.geo.areas[code].name if code in ctx.geo.areas else code


# ------------------------------------------------------------ callback inputs
def check_state(value: object) -> None:
    """Check a page's state store as the browser sends it back: a real view, permitted.

    Raises BadInput for a malformed state, ScopeDenied for a scope outside the
    user's area (403): navigation callbacks build the next URL from it.
    """
    if not isinstance(value, dict):
        raise BadInput("page state must be an object")
    for key, item in value.items():
        check_text(item, f"state.{key}")
    ctx = current()
    try:
        where = ctx.geo.scope(value.get("scope") or "?")
        parse_day(value.get("date") or "?", today())
    except ValueError as exc:
        raise BadInput(f"page state: {exc}") from None
    ensure_allowed(where, ctx.allowed_scope())


def check_day(value: object) -> None:
    """Check a date picker's value: empty, or a day a view can show."""
    if value in (None, ""):
        return
    if not isinstance(value, str):
        raise BadInput("a date is text")
    try:
        parse_day(value[:10], today())
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def check_choice(options: Callable[[], set[str]], what: str) -> Callable[[object], None]:
    """Return a check that a selector's value is empty or one of ``options()``."""

    def check(value: object) -> None:
        if value in (None, ""):
            return
        if not isinstance(value, str) or value not in options():
            raise BadInput(f"{what}: not one of the choices")

    return check


def entity_choice(kind: str) -> Callable[[object], None]:
    """Return a check that a selector names an entity the user may open (or nothing)."""

    def check(value: object) -> None:
        if value in (None, ""):
            return
        if not isinstance(value, str) or len(value) > MAX_INPUT:
            raise BadInput(f"{kind}: an id is a short text")
        ctx = current()
        found = find_entity(ctx, kind, value, allowed=ctx.allowed_scope())
        if found.state == "denied":
            raise ScopeDenied(f"{kind} {value} is outside the permitted area")
        if found.state != "found":
            raise BadInput(f"{kind}: no such id")

    return check


def checked_id(value: object, what: str) -> str:
    """Return an entity id sent by a click or a grid row, or raise BadInput."""
    if isinstance(value, int | str) and not isinstance(value, bool) and str(value).strip():
        text = str(value).strip()
        if len(text) <= MAX_INPUT:
            return text
    raise BadInput(f"{what}: not an id")


def checked_area(code: object) -> str:
    """Return an area code from a map click, checked like a URL (BadInput, ScopeDenied)."""
    ctx = current()
    try:
        where = ctx.geo.scope(code if isinstance(code, str) else "?")
    except ValueError as exc:
        raise BadInput(f"map click: {exc}") from None
    ensure_allowed(where, ctx.allowed_scope())
    return where.code


def register_navigation(
    prefix: str,
    href: Callable[..., str],
    *,
    filter_key: str | None = None,
    filter_id: str | None = None,
    filter_bar: str | None = None,
    keep_filter_on_drill: bool = True,
    entity_kind: str | None = None,
    filter_check: Callable[[object], None] | None = None,
) -> None:
    """Register a page's navigation callbacks; each one writes a new URL.

    - a click on an area of ``<prefix>-areas`` drills into it (keeping the filter
      unless ``keep_filter_on_drill`` is False);
    - ``<prefix>-date`` shows another day (keeping filter and open entity);
    - ``filter_id`` (a selector) sets ``filter_key``; ``filter_bar`` (a chart whose
      bars carry the key in ``customdata``) sets it too, and a second click clears it;
      with ``entity_kind`` the selector names an entity, opened at its own cell.

    It also declares what each of these inputs may hold (:func:`cityops.web.input_rule`):
    the state store, the date, the clicks and ``filter_check`` for the selector.
    """
    input_rule(f"{prefix}-state", "data", check_state)
    input_rule(f"{prefix}-date", "date", check_day)
    input_rule(f"{prefix}-areas", "clickData", check_object)
    if filter_id:
        input_rule(filter_id, "value", filter_check or (lambda v: check_text(v, filter_id)))
    if filter_bar:
        input_rule(filter_bar, "clickData", check_object)
    state = State(f"{prefix}-state", "data")
    out = Output(ids.NAV, "href", allow_duplicate=True)

    # A link naming an entity at a broader scope opens it at its cell: write that cell
    # into the address bar in place (no history entry), so the URL is the view shown.
    clientside_callback(
        """
        function(s) {
            if (!s || !s.scope) { return window.dash_clientside.no_update; }
            const url = new URL(window.location.href);
            if (url.searchParams.get('scope') !== s.scope) {
                url.searchParams.set('scope', s.scope);
                window.history.replaceState(window.history.state, '', url.toString());
            }
            return window.dash_clientside.no_update;
        }
        """,
        Output(f"{prefix}-url-sink", "data"),
        Input(f"{prefix}-state", "data"),
    )

    def kept(s: dict) -> dict:
        return {filter_key: s.get(filter_key)} if filter_key and keep_filter_on_drill else {}

    @callback(out, Input(f"{prefix}-areas", "clickData"), state, prevent_initial_call=True)
    def drill(area, s):
        props = (area or {}).get("properties") or {}
        if not props.get("enabled") or props.get("code") == s["scope"]:
            return no_update
        return href(checked_area(props.get("code")), s["date"], **kept(s))

    @callback(out, Input(f"{prefix}-date", "date"), state, prevent_initial_call=True)
    def change_day(date, s):
        if not date or date == s["date"]:
            return no_update
        rest = {k: v for k, v in s.items() if k not in ("scope", "date", "lang")}
        return href(s["scope"], date, **rest)

    if filter_id:

        @callback(out, Input(filter_id, "value"), state, prevent_initial_call=True)
        def choose(value, s):
            if (value or None) == s.get(filter_key):
                return no_update
            scope = s["scope"]
            if entity_kind and value:  # the selector names an entity: open it at its cell
                scope = entity_cell(entity_kind, str(value), scope)
            return href(scope, s["date"], **{filter_key: value or None})

    if filter_bar:

        @callback(out, Input(filter_bar, "clickData"), state, prevent_initial_call=True)
        def click_bar(bar, s):
            key = ((bar or {}).get("points") or [{}])[0].get("customdata")
            if not key:
                return no_update
            if filter_check:
                filter_check(key)
            return href(
                s["scope"], s["date"], **{filter_key: None if key == s.get(filter_key) else key}
            )


def scope_values(view: View) -> dict:
    """Return the 14 KPIs the cards show: the view's scope, day and filters, as the API does."""
    frame = queries.scope_kpis(
        view.ctx, scope=view.where, day=view.day, allowed=view.allowed, filters=view.filters
    )
    return kpi_record(frame, view.where.code)


def map_panel(
    ctx: Context,
    prefix: str,
    title: str,
    container: Scope,
    hideout: dict,
    lang: str,
    *extra,
    overlays: list | None = None,
    focus=None,
    legend_hideout: dict | None = None,
    chip=None,
):
    """Return the page's map panel: areas (drill layer), entity overlays and the legend."""
    return panel(
        title,
        chip,
        html.Div(
            [
                area_map(
                    geojson_url=f"/api/v1/geo/{container.code}/children.geojson",
                    hideout=hideout,
                    bounds=ctx.geo.areas[container.code].bounds,
                    tile_url=ctx.settings.tile_url,
                    tile_attribution=ctx.settings.tile_attribution,
                    map_id=f"{prefix}-map",
                    layer_id=f"{prefix}-areas",
                    overlays=overlays,
                    focus=focus,
                ),
                legend(legend_hideout or hideout, lang),
            ],
            className="map-wrap",
        ),
        *extra,
    )


def domain_page(
    name: str,
    *,
    state: dict,
    crumb_items: list,
    crumb_href: Callable[[str], str],
    day: dt.date,
    lang: str,
    values: dict,
    kpis: list[str],
    map_part,
    side: list,
    below: list | None = None,
    filters: list | None = None,
    level: str,
    entity: str | None = None,
    card_note: str | None = None,
) -> html.Div:
    """Return the frame every domain page shares.

    State store, toolbar (breadcrumb, filters, date), KPI cards (with
    ``card_note`` naming the filter or entity they describe), the map beside
    the page's panels, then full-width panels. The root carries ``data-scope``,
    ``data-level`` and ``data-entity`` for tests and operators' tooling.
    """
    from dash import dcc

    from components.domain import kpi_row, toolbar

    return html.Div(
        [
            dcc.Store(id=f"{name}-state", data=state),
            dcc.Store(id=f"{name}-url-sink"),
            toolbar(crumb_items, crumb_href, day, f"{name}-date", lang, filters=filters),
            kpi_row(values, kpis, lang, note=card_note),
            html.Div([map_part, html.Div(side, className="stack")], className="domain-grid"),
            html.Div(below or [], className="stack"),
        ],
        className=f"domain-page {name}-page",
        **{"data-scope": state["scope"], "data-level": level, "data-entity": entity or ""},
    )


# ------------------------------------------------------------ print title (issue 11)
#: The pages printed under a title (assets/print.css shows it on paper only).
PRINTED = ("overview", *DOMAIN_NAMES, "data")


@callback(Output(ids.PRINT_TITLE, "children"), Input(ids.NAV, "pathname"), Input(ids.NAV, "search"))
def fill_print_title(path: str | None, search: str | None) -> str:
    """Return the print title of the page at ``path?search`` (:func:`print_heading`).

    Scope and date as the page resolves them (an entity's own cell included); the
    catalogue is the permitted scope today. The data's time is the newest write of
    the page's datasets (a domain's, or all). Empty for other pages and bad links.
    """
    page = next((p["name"] for p in dash.page_registry.values() if p["path"] == path), None)
    if page not in PRINTED:
        return ""
    ctx = current()
    lang = request_lang(ctx.settings.default_lang)
    params = {
        k: v[0] if len(v) == 1 else v
        for k, v in parse_qs((search or "").lstrip("?"), keep_blank_values=True).items()
    }
    found = DOMAIN_BY_NAME.get(page)
    if page == "data":
        where, day = ctx.allowed_scope(), today()
    else:
        kind = found.entity if found else None
        entity = (kind, params.get(kind)) if kind else None
        view, error = resolve_view(path, params.get("scope"), params.get("date"), entity=entity)
        if error:
            return ""
        where, day = view.where, view.day
    fresh = freshness(ctx, allowed=ctx.allowed_scope())
    if found:
        fresh = fresh[fresh["dataset"].isin(found.datasets)]
    newest = fresh["last_write"].dropna()
    as_of = newest.max().to_pydatetime() if len(newest) else None
    return print_heading(page, crumbs(ctx, where), day, as_of, lang)


input_rule(ids.NAV, "pathname", check_location("pathname"))
input_rule(ids.NAV, "search", check_location("search"))
