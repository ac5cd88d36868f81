"""cityops web app: the Dash app, its shell, the API and compression.

Read as steps: resolve settings → open the store (fail fast if it is empty) →
create the Dash app with its pages → mount the API → compress responses →
harden the server (host names, body size, security headers).
"""

from __future__ import annotations

import html
import logging
import re
import sys

import dash
import flask
from dash import Dash, Input, Output, State, clientside_callback
from flask_compress import Compress

from cityops import ids
from cityops.queries.context import Context, install
from cityops.settings import Settings, get_settings
from cityops.text.i18n import LANG_COOKIE, normalise_lang, t
from cityops.web import api, install_error_handlers, request_lang, security
from cityops.web.auth import install_auth
from components import tables  # noqa: F401 -- registers the download callbacks
from components.shell import access_banner, shell

log = logging.getLogger(__name__)
_LOADING = re.compile(r'(class="_dash-loading">\s*)Loading\.\.\.')
#: The script chunks dash-leaflet loads only once a map layer is drawn (GeoJSON
#: layers; the geobuf decoder for a ``.pbf`` layer). Preloaded with a page that
#: draws a map, so they arrive with the page's scripts, not after its layout.
MAP_CHUNKS = ("dash_leaflet/async-GeoJSON.js",)
GEOBUF_CHUNKS = ("dash_leaflet/async-geobuf.js",)


def localise_index(page: str, lang: str, default_lang: str) -> str:
    """Return Dash's first HTML ``page`` in ``lang``: ``<html lang>``, title, loading text.

    The first paint is then right for screen readers, fonts and the date pickers
    (``assets/cityops-i18n.js`` reads ``<html lang>``), before any callback runs.
    """
    lang = normalise_lang(lang, default_lang)
    code = "en" if lang == "en" else "zh-CN"
    page = page.replace("<html>", f'<html lang="{code}">', 1)
    title = t("app.title", default_lang)
    page = page.replace(f"<title>{title}</title>", f"<title>{t('app.title', lang)}</title>", 1)
    return _LOADING.sub(lambda m: m.group(1) + t("app.loading", lang), page, count=1)


def page_preloads(path: str, args: dict[str, list[str]]) -> list[str]:
    """Return the data URLs the page at ``path`` will fetch for these URL ``args``.

    A page module may define ``preloads(**params) -> list[str]`` (the URLs its map
    layers read, e.g. the camera layer); nothing for a repeated parameter, which
    the page refuses anyway.
    """
    if any(len(values) != 1 for values in args.values()):
        return []
    page = next((p for p in dash.page_registry.values() if p["path"] == path), None)
    preloads = getattr(sys.modules.get(page["module"]), "preloads", None) if page else None
    if not preloads:
        return []
    try:
        return preloads(**{k: v[0] for k, v in args.items()})
    except Exception:  # a preload only saves time: the page itself says what went wrong
        log.debug("no preloads for %s", path, exc_info=True)
        return []


def preload_links(urls: list[str], chunk_prefix: str) -> str:
    """Return ``<link rel="preload">`` tags for data ``urls`` and the map chunks they need.

    Data is fetched the way dash-leaflet fetches it (``fetch(url)``: CORS mode,
    same-origin credentials), so the browser reuses the preloaded answer.
    """
    if not urls:
        return ""
    chunks = MAP_CHUNKS + (GEOBUF_CHUNKS if any(".pbf" in u for u in urls) else ())
    tags = [
        f'<link rel="preload" href="{html.escape(u)}" as="fetch" crossorigin="anonymous">'
        for u in urls
    ]
    tags += [f'<link rel="preload" href="{chunk_prefix}{c}" as="script">' for c in chunks]
    return "".join(tags)


class CityopsDash(Dash):
    """Dash whose index page is written in the language of the user's cookie.

    It also names what the page's map will fetch (:func:`page_preloads`), so the
    browser loads the map's data while it loads Dash's scripts: the map is drawn
    as soon as its layout arrives, one round trip earlier.
    """

    default_lang = "zh"

    def interpolate_index(self, **kwargs) -> str:
        """Return Dash's index HTML with ``<html lang>`` set per request (cookie)."""
        page = super().interpolate_index(**kwargs)
        page = localise_index(page, request_lang(self.default_lang), self.default_lang)
        links = preload_links(
            page_preloads(flask.request.path, flask.request.args.to_dict(flat=False)),
            f"{self.config.requests_pathname_prefix}_dash-component-suites/",
        )
        return page.replace("</head>", f"{links}</head>", 1) if links else page


def create_app(settings: Settings | None = None) -> Dash:
    """Return the configured Dash app; its Flask server is ``app.server``.

    Raises ``RuntimeError`` with a clear message when the store has no boundaries.
    """
    settings = settings or get_settings()
    context = Context(settings)
    install(context)
    context.geo  # noqa: B018 -- fail at start-up, not at the first request

    app = CityopsDash(
        __name__,
        use_pages=True,
        pages_folder="pages",
        title=t("app.title", settings.default_lang),
        update_title=None,
        serve_locally=True,
        suppress_callback_exceptions=True,
        compress=False,
    )
    app.default_lang = settings.default_lang

    def layout():
        lang = request_lang(settings.default_lang)
        return shell(lang, banner=access_banner(lang, settings.auth, settings.demo))

    app.layout = layout
    app.server.json.ensure_ascii = False
    app.server.register_blueprint(api.blueprint)
    # what this app serves; the grid of a large county is ~1.5 MB of GeoJSON raw,
    # ~180 kB gzipped
    app.server.config["COMPRESS_MIMETYPES"] = [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/geo+json",
        "application/x-protobuf",
        "image/svg+xml",
    ]
    Compress(app.server)
    install_error_handlers(app.server, app.callback_map)  # callbacks get their own inputs only
    install_auth(app.server, settings)  # CITYOPS_AUTH=on: login, roles, scope (before security)
    security.install(app, settings)  # host names, body size, security headers, /api/ 404
    return app


# Switch language: remember the choice in a cookie for a year, then redraw.
clientside_callback(
    f"""
    function(n, lang) {{
        if (!n) {{ return window.dash_clientside.no_update; }}
        const next = lang === 'en' ? 'zh' : 'en';
        document.cookie = '{LANG_COOKIE}=' + next + '; path=/; max-age=31536000; samesite=lax';
        window.location.reload();
        return next;
    }}
    """,
    Output(ids.LANG_SINK, "data"),
    Input(ids.LANG_TOGGLE, "n_clicks"),
    State(ids.LANG_SINK, "data"),
    prevent_initial_call=True,
)
