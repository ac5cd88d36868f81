"""cityops web app: the Dash app, its shell, the API and compression.

Read as steps: resolve settings → open the store (fail fast if it is empty) →
create the Dash app with its pages → mount the API → compress responses.
"""

from __future__ import annotations

from dash import Dash, Input, Output, State, clientside_callback
from flask_compress import Compress

from cityops import api, ids
from cityops.context import Context, install
from cityops.i18n import LANG_COOKIE, t
from cityops.settings import Settings, get_settings
from cityops.web import install_error_handlers, request_lang
from components import tables  # noqa: F401 -- registers the download callbacks
from components.shell import shell


def create_app(settings: Settings | None = None) -> Dash:
    """Return the configured Dash app; its Flask server is ``app.server``.

    Raises ``RuntimeError`` with a clear message when the store has no boundaries.
    """
    settings = settings or get_settings()
    context = Context(settings)
    install(context)
    context.geo  # noqa: B018 -- fail at start-up, not at the first request

    app = Dash(
        __name__,
        use_pages=True,
        pages_folder="pages",
        title=t("app.title", settings.default_lang),
        update_title=None,
        serve_locally=True,
        suppress_callback_exceptions=True,
        compress=False,
    )
    app.layout = lambda: shell(request_lang(settings.default_lang), auth_off=settings.auth == "off")
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
    install_error_handlers(app.server)
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
