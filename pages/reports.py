"""Reports (报表): a manager makes a 日报/周报/月报 of an area as PDF, HTML or Excel.

URL: ``/reports?scope=<area code>&kind=daily|weekly|monthly|custom&date=YYYY-MM-DD``,
each optional: they only preselect the form (default: the province, a daily
report of yesterday).

The button starts a Dash *background callback*: the report is made in another
process (:class:`dash.DiskcacheManager` on a disk cache under the store's data
folder), which tells the page each finished step (a progress bar, "正在生成… 3/5
步"), can be cancelled, and hands the file to the browser as a download. Any
failure is one translated line on the page and one line in the log, never a trace.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from pathlib import Path

import diskcache
from dash import (
    DiskcacheManager,
    Input,
    Output,
    State,
    callback,
    callback_context,
    clientside_callback,
    dcc,
    html,
)

from cityops import ids
from cityops.clock import today
from cityops.geo import ScopeDenied, ScopeError, ensure_allowed
from cityops.periods import KINDS, PeriodError, last_complete
from cityops.queries.context import Context, current
from cityops.queries.kpis import KPI_NAMES
from cityops.reports import FORMATS, MEDIA_TYPES
from cityops.reports.slots import Busy, report_slot
from cityops.settings import Settings
from cityops.store import safe_error
from cityops.store.executor import QueryTimeout
from cityops.text.i18n import LANGS, normalise_lang
from cityops.web import BadInput, check_clicks, check_meta, input_rule
from cityops.web.auth import job_audit, job_principal
from components.reports import (
    DEFAULT_KPI,
    HIDDEN,
    PROGRESS_HIDDEN,
    PROGRESS_SHOWN,
    SHOWN,
    STEPS,
    choose_period,
    default_scope,
    error_message,
    field_styles,
    made_message,
    period_line,
    progress_values,
    report_form,
    scope_options,
)
from pages._shared import check_day, guarded_layout, register_page, resolve_view

log = logging.getLogger(__name__)

PATH = "/reports"
register_page(__name__, "reports", PATH, order=92)

#: Most disk the finished-but-not-yet-collected reports may take (diskcache culls beyond).
CACHE_BYTES = 512 * 1024 * 1024


def cache_dir(settings: Settings) -> Path:
    """Return the folder of the background jobs' results: ``<data_dir>/cache/reports``."""
    return Path(settings.data_dir).resolve() / "cache" / "reports"


class JobManager(DiskcacheManager):
    """Dash's disk-cache job manager, each job under a key of its own.

    Dash keys a job's result by the callback's source and its argument values, which
    do not say who asked: two users sending the same form shared one entry, so one
    could collect the other's report (another user's scope, or unmasked personal data
    made for a role allowed to see it). A random key per job shares nothing; the
    browser gets it signed for its own page load, as before.
    """

    def build_cache_key(self, fn, args, cache_args_to_ignore, triggered) -> str:
        """Return a new random key (never a hash of the arguments)."""
        return secrets.token_hex(32)


def _manager() -> DiskcacheManager:
    """Return the background-callback manager of this process's store (folder created)."""
    folder = cache_dir(current().settings)
    folder.mkdir(parents=True, exist_ok=True)
    return JobManager(diskcache.Cache(str(folder), size_limit=CACHE_BYTES))


MANAGER = _manager()


@guarded_layout(PATH)
def layout(scope: str | None = None, date: str | None = None, kind: str | None = None, **_):
    view, error = resolve_view(PATH, scope, date)
    if error:
        return error
    ctx, lang, where = view.ctx, view.lang, view.where
    options = scope_options(ctx.geo, view.allowed)
    code = where.district_code if where.level == "grid" else where.code
    day = (
        view.day
        if isinstance(date, str) and date.strip()
        else last_complete("daily", today()).start
    )
    chosen = kind if kind in KINDS else "daily"
    return report_form(
        lang=lang,
        scopes=options,
        scope=default_scope(code, options),
        kind=chosen,
        day=day,
        start=day.replace(day=1),
        end=day,
        map_kpi=DEFAULT_KPI,
        report_lang=lang,
    )


# ------------------------------------------------------------------ callbacks
@callback(
    Output(ids.REPORTS_PERIOD, "children"),
    Output(ids.REPORTS_DAY_FIELD, "style"),
    Output(ids.REPORTS_RANGE_FIELD, "style"),
    Input(ids.REPORTS_KIND, "value"),
    Input(ids.REPORTS_DAY, "date"),
    Input(ids.REPORTS_FROM, "date"),
    Input(ids.REPORTS_TO, "date"),
    State(ids.REPORTS_STATE, "data"),
    prevent_initial_call=True,
)
def show_period(kind, day, start, end, state):
    """Say which days the report will cover (or what is wrong), and show the right pickers."""
    lang = normalise_lang((state or {}).get("lang"))
    day_style, range_style = field_styles(kind)
    return period_line(choose_period(kind, day, start, end, lang), lang), day_style, range_style


def produce(
    settings: Settings,
    *,
    scope: object,
    kind: object,
    day: object,
    start: object,
    end: object,
    map_kpi: object,
    report_lang: object,
    fmt: object,
    lang: str,
    tell: Callable[[tuple[int, int, str]], None],
    make: Callable | None = None,
    actor: str = "local",
    role: str | None = None,
    allowed_code: str | None = None,
    remote: str | None = None,
) -> tuple[dict | None, html.Div]:
    """Make the report the form asks for, in a fresh context on ``settings``.

    ``tell`` receives the progress bar's ``(value, max, label)`` after each step;
    ``make`` is :func:`cityops.reports.make` (replaceable in tests). The permitted
    scope is ``allowed_code`` (None: the province) and personal data is masked by
    ``role``, both passed in by the caller: this runs in a background process,
    outside any request, where ``allowed_scope()`` cannot see the signed-in user.
    Each made or refused report is an audit row ``report`` of ``actor`` (from the
    address ``remote``).

    Returns
    -------
    tuple
        ``(download, message)``: the :func:`dash.dcc.send_bytes` dict and a note
        naming the file, or ``(None, message)`` with a translated one-line error.
    """
    choice = choose_period(kind, day, start, end, lang)
    if choice.period is None:
        return None, period_line(choice, lang)[0]
    if fmt not in FORMATS or map_kpi not in KPI_NAMES or report_lang not in LANGS:
        return None, error_message("bad_choice", lang)
    if make is None:
        from cityops.reports import make
    code = scope if isinstance(scope, str) else ""
    tell(progress_values(0, STEPS, "", lang))
    # A background job runs in another process: never the parent's open connections.
    ctx = Context(settings, role=role)
    what = {
        "report_scope": code[:20],
        "kind": kind,
        "period": f"{choice.period.start}/{choice.period.end}",
        "format": fmt,
    }
    try:
        where = ctx.geo.scope(code)
        allowed = ctx.geo.scope(allowed_code)
        ensure_allowed(where, allowed)  # refused before any work (make checks it too)
        with report_slot(settings.data_dir, settings.report_max_jobs):
            content, filename = make(
                ctx,
                scope=where,
                period=choice.period,
                fmt=fmt,
                allowed=allowed,
                lang=report_lang,
                map_kpi=map_kpi,
                progress=lambda done, total, step: tell(progress_values(done, total, step, lang)),
            )
    except Busy:
        log.warning("report of %s refused: %s made at once already", code,
                    settings.report_max_jobs)  # fmt: skip
        return None, error_message("busy", lang, n=settings.report_max_jobs)
    except ScopeDenied as exc:
        log.warning("report refused: %s", safe_error(exc))
        job_audit(settings, actor, "report", "denied", allowed_code, remote, **what)
        return None, error_message("denied", lang, code=code[:20])
    except ScopeError as exc:
        log.warning("report refused: %s", safe_error(exc))
        return None, error_message("scope", lang, code=code[:20])
    except PeriodError as exc:
        log.warning("report refused: %s", safe_error(exc))
        return None, error_message("bad_period", lang)
    except QueryTimeout as exc:
        _log_failure(code, fmt, exc)
        return None, error_message("timeout", lang)
    except RuntimeError as exc:  # the renderer: Chromium missing, crashed or too slow
        _log_failure(code, fmt, exc)
        return None, error_message("chromium" if fmt != "xlsx" else "failed", lang)
    except Exception as exc:
        _log_failure(code, fmt, exc)
        return None, error_message("failed", lang)
    finally:
        if "storage" in ctx.__dict__:
            ctx.storage.close()
    job_audit(settings, actor, "report", "ok", allowed_code, remote, **what, file=filename)
    download = dcc.send_bytes(content, filename, type=MEDIA_TYPES[fmt])
    return download, made_message(filename, len(content), lang)


def _log_failure(code: str, fmt: object, exc: BaseException) -> None:
    """Log a failed report: one line without row values, the trace at DEBUG."""
    log.error("report of %s as %s failed: %s", code, fmt, safe_error(exc))
    log.debug("trace of the failure above", exc_info=exc)


@callback(
    Output(ids.REPORTS_DOWNLOAD, "data"),
    Output(ids.REPORTS_MESSAGE, "children"),
    Input(ids.REPORTS_MAKE, "n_clicks"),
    State(ids.REPORTS_SCOPE, "value"),
    State(ids.REPORTS_KIND, "value"),
    State(ids.REPORTS_DAY, "date"),
    State(ids.REPORTS_FROM, "date"),
    State(ids.REPORTS_TO, "date"),
    State(ids.REPORTS_KPI, "value"),
    State(ids.REPORTS_LANG, "value"),
    State(ids.REPORTS_FORMAT, "value"),
    State(ids.REPORTS_STATE, "data"),
    background=True,
    manager=MANAGER,
    interval=500,
    progress=[
        Output(ids.REPORTS_PROGRESS, "value"),
        Output(ids.REPORTS_PROGRESS, "max"),
        Output(ids.REPORTS_PROGRESS_LABEL, "children"),
    ],
    progress_default=[0, STEPS, ""],
    running=[
        (Output(ids.REPORTS_MAKE, "disabled"), True, False),
        (Output(ids.REPORTS_CANCEL, "style"), SHOWN, HIDDEN),
        (Output(ids.REPORTS_PROGRESS_WRAP, "style"), PROGRESS_SHOWN, PROGRESS_HIDDEN),
        (Output(ids.REPORTS_MESSAGE, "style"), HIDDEN, SHOWN),
    ],
    cancel=[Input(ids.REPORTS_CANCEL, "n_clicks")],
    prevent_initial_call=True,
)
def make_report(
    set_progress, n_clicks, scope, kind, day, start, end, map_kpi, report_lang, fmt, state
):
    """Make the report in a background process; send it to the browser as a download."""
    lang = normalise_lang((state or {}).get("lang"))
    # forked from the server: its settings, but a context (and connections) of our own;
    # no flask.g here, so the user's scope comes from the request's headers as copied
    # into the job (the auth gate set its own header, any sent by the client removed)
    settings = current().settings
    principal = job_principal(callback_context.headers, settings)
    return produce(
        settings,
        scope=scope,
        kind=kind,
        day=day,
        start=start,
        end=end,
        map_kpi=map_kpi,
        report_lang=report_lang,
        fmt=fmt,
        lang=lang,
        tell=lambda values: set_progress(list(values)),
        actor=principal.name,
        role=principal.role or None,
        allowed_code=principal.scope_code,
        remote=callback_context.remote or None,
    )


# Say that the report was cancelled (Dash stops the job itself, on the same click); in
# the browser, so the click needs no second request. The text comes with the page. The
# form is put back here too (button enabled, message shown, progress and cancel hidden):
# under load Dash may drop the job's "running" off-state when a job is cancelled early.
clientside_callback(
    """
    function(n, s) {
        const [shown, hidden, progressHidden] = __STYLES__;
        const no = window.dash_clientside.no_update;
        if (!n || !s) { return [no, no, no, no, no]; }
        const p = {type: 'P', namespace: 'dash_html_components', props: {children: s.cancelled}};
        const note = {type: 'Div', namespace: 'dash_html_components',
                      props: {children: p, className: 'state-notice', role: 'status',
                              'data-state': 'cancelled'}};
        return [note, shown, false, hidden, progressHidden];
    }
    """.replace("__STYLES__", json.dumps([SHOWN, HIDDEN, PROGRESS_HIDDEN])),
    Output(ids.REPORTS_MESSAGE, "children", allow_duplicate=True),
    Output(ids.REPORTS_MESSAGE, "style", allow_duplicate=True),
    Output(ids.REPORTS_MAKE, "disabled", allow_duplicate=True),
    Output(ids.REPORTS_CANCEL, "style", allow_duplicate=True),
    Output(ids.REPORTS_PROGRESS_WRAP, "style", allow_duplicate=True),
    Input(ids.REPORTS_CANCEL, "n_clicks"),
    State(ids.REPORTS_STATE, "data"),
    prevent_initial_call=True,
)


# ------------------------------------------------------------------ input rules
# Each may be empty: Dash polls a running job with every input and state sent empty.
def _check_state(value: object) -> None:
    """Check the page's store: empty, or short texts whose ``lang`` is a language."""
    if value is None:
        return
    check_meta(value)
    if value.get("lang") not in LANGS:
        raise BadInput("reports state must name the page's language")


def _check_scope(value: object) -> None:
    """Check the chosen area: empty, or a switched-on area code the user may see.

    Raises BadInput for another value, ScopeDenied for an area outside the permitted one.
    """
    if value is None:
        return
    if not isinstance(value, str) or not value.strip():
        raise BadInput("report scope: an area code")
    ctx = current()
    try:
        where = ctx.geo.scope(value)
    except ScopeError as exc:
        raise BadInput(f"report scope: {exc}") from None
    ensure_allowed(where, ctx.allowed_scope())


def _choice(options: Callable[[], set[str]], what: str) -> Callable[[object], None]:
    """Return a check that a choice is empty or one of ``options()``."""

    def check(value: object) -> None:
        if value is not None and (not isinstance(value, str) or value not in options()):
            raise BadInput(f"{what}: not one of the choices")

    return check


input_rule(ids.REPORTS_STATE, "data", _check_state)
input_rule(ids.REPORTS_MAKE, "n_clicks", check_clicks)
input_rule(ids.REPORTS_CANCEL, "n_clicks", check_clicks)
input_rule(ids.REPORTS_SCOPE, "value", _check_scope)
for _id in (ids.REPORTS_DAY, ids.REPORTS_FROM, ids.REPORTS_TO):  # empty: the page says so
    input_rule(_id, "date", check_day)
input_rule(ids.REPORTS_KIND, "value", _choice(lambda: set(KINDS), "report kind"))
input_rule(ids.REPORTS_KPI, "value", _choice(lambda: set(KPI_NAMES), "map KPI"))
input_rule(ids.REPORTS_LANG, "value", _choice(lambda: set(LANGS), "report language"))
input_rule(ids.REPORTS_FORMAT, "value", _choice(lambda: set(FORMATS), "format"))
