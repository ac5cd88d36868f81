"""The page shell: header with title and language toggle, open-access banner, content."""

from __future__ import annotations

import dash
from dash import dcc, html

from cityops import ids
from cityops.i18n import t


def header(lang: str) -> html.Header:
    """Return the top bar: product title, navigation and the language toggle."""
    return html.Header(
        [
            html.Div(
                [
                    html.Span(t("app.title", lang), className="app-title"),
                    html.Span(t("app.subtitle", lang), className="app-subtitle"),
                ],
                className="brand",
            ),
            html.Nav(
                [
                    dcc.Link(t("nav.overview", lang), href="/", className="nav-link"),
                    dcc.Link(t("nav.video", lang), href="/video", className="nav-link"),
                    dcc.Link(t("nav.hazmat", lang), href="/hazmat", className="nav-link"),
                    dcc.Link(t("nav.rentals", lang), href="/rentals", className="nav-link"),
                    dcc.Link(t("nav.tourism", lang), href="/tourism", className="nav-link"),
                    dcc.Link(t("nav.data", lang), href="/data", className="nav-link"),
                ],
                className="main-nav",
            ),
            html.Button(
                t("lang.toggle", lang),
                id=ids.LANG_TOGGLE,
                className="lang-toggle",
                title=t("lang.title", lang),
                **{"data-lang": lang},
            ),
        ],
        className="app-header",
    )


def open_access_banner(lang: str) -> html.Div:
    """Return the banner shown while login is off."""
    return html.Div(t("auth.open_banner", lang), className="banner banner-open", role="status")


def shell(lang: str, *, auth_off: bool) -> html.Div:
    """Return the whole app frame around ``dash.page_container``."""
    return html.Div(
        [
            dcc.Location(id=ids.NAV, refresh="callback-nav"),
            dcc.Store(id=ids.LANG_SINK, data=lang),
            header(lang),
            open_access_banner(lang) if auth_off else None,
            html.Main(dash.page_container, className="page"),
        ],
        className=f"app lang-{lang}",
        lang="en" if lang == "en" else "zh-CN",
    )


def message_panel(title: str, detail: str, link_text: str, href: str = "/") -> html.Div:
    """Return a calm error or empty-state panel with a way back."""
    return html.Div(
        [html.H2(title), html.P(detail), dcc.Link(link_text, href=href)],
        className="message-panel",
        role="alert",
    )
