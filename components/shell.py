"""The page shell: header with title and language toggle, open-access banner, content.

The header's links keep the current scope and date when switching pages and
mark the current page (``aria-current="page"``): a clientside callback
(``cityops.navLinks`` in ``assets/cityops-i18n.js``) rewrites them whenever the
URL changes. The data catalogue takes no scope, so its link never carries one.
"""

from __future__ import annotations

import dash
from dash import ALL, ClientsideFunction, Input, Output, State, clientside_callback, dcc, html

from cityops import ids
from cityops.auth.roles import may_open
from cityops.text.i18n import t
from cityops.web.auth import current_principal


def nav_pages(role: str | None = None) -> list[tuple[str, str]]:
    """Return the header's pages as (name, path), in order, from Dash's page registry.

    A page is in the navigation when it registered a ``nav_order``
    (``pages._shared.register_page``); labels are ``nav.<name>``. With a ``role``
    (auth on), only the pages it may open (:mod:`cityops.auth.roles`); None: all.
    """
    pages = [
        p
        for p in dash.page_registry.values()
        if p.get("nav_order") is not None and (role is None or may_open(role, p["path"]))
    ]
    return [(p["name"], p["path"]) for p in sorted(pages, key=lambda p: p["nav_order"])]


def nav_link_id(page: str) -> dict:
    """Return the pattern ID of the header link to ``page`` (a name in :func:`nav_pages`)."""
    return {"type": "nav-link", "page": page}


def header(lang: str, role: str | None = None, *, signed_in: bool = False) -> html.Header:
    """Return the top bar: product title, navigation (the ``role``'s pages), language toggle.

    ``signed_in`` (auth on) adds a sign-out link (``/logout``: a form with its CSRF token).
    """
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
                    dcc.Link(
                        t(f"nav.{page}", lang),
                        href=path,
                        id=nav_link_id(page),
                        className="nav-link",
                    )
                    for page, path in nav_pages(role)
                ],
                className="main-nav",
                **{"aria-label": t("nav.label", lang)},
            ),
            html.Button(
                t("lang.toggle", lang),
                id=ids.LANG_TOGGLE,
                className="lang-toggle",
                title=t("lang.title", lang),
                **{"data-lang": lang},
            ),
            html.A(t("login.logout", lang), href="/logout", className="nav-link")
            if signed_in
            else None,
        ],
        className="app-header",
    )


# Keep scope and date in the header's links; mark the current page.
clientside_callback(
    ClientsideFunction(namespace="cityops", function_name="navLinks"),
    Output(nav_link_id(ALL), "href"),
    Output(nav_link_id(ALL), "className"),
    Input(ids.NAV, "pathname"),
    Input(ids.NAV, "search"),
    State(nav_link_id(ALL), "href"),
)


def open_access_banner(lang: str) -> html.Div:
    """Return the banner shown while login is off."""
    return html.Div(t("auth.open_banner", lang), className="banner banner-open", role="status")


def demo_banner(lang: str) -> html.Div:
    """Return the banner shown in demo mode (login on, made-up key, this machine only)."""
    return html.Div(t("auth.demo_banner", lang), className="banner banner-open", role="status")


def access_banner(lang: str, auth: str, demo: bool) -> html.Div | None:
    """Return the banner the access mode calls for: open access, demo mode, or none."""
    if auth == "off":
        return open_access_banner(lang)
    return demo_banner(lang) if demo else None


def print_title() -> html.Div:
    """Return the empty print-only title (scope, date, data as-of), hidden on screen.

    ``pages._shared`` fills it from the URL; ``assets/print.css`` shows it on paper only.
    """
    return html.Div(id=ids.PRINT_TITLE, className="print-title")


def shell(lang: str, *, banner: html.Div | None = None) -> html.Div:
    """Return the whole app frame around ``dash.page_container``.

    With auth on, the header shows the signed-in principal's pages only.
    """
    principal = current_principal()
    role = principal.role if principal is not None else None
    return html.Div(
        [
            dcc.Location(id=ids.NAV, refresh="callback-nav"),
            dcc.Store(id=ids.LANG_SINK, data=lang),
            header(lang, role, signed_in=principal is not None),
            banner,
            print_title(),
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
