"""The breadcrumb: 江苏省 › 南京市 › 玄武区 › 网格 88309a…, each crumb a link."""

from __future__ import annotations

from collections.abc import Callable

from dash import dcc, html

from cityops.text.i18n import t


def crumb_label(level: str, name: str, lang: str) -> str:
    """Return the text of one crumb; a grid cell shows a shortened H3 index."""
    if level == "grid":
        return f"{t('grid.prefix', lang)} {name[:7]}…"
    return name  # areas keep their Chinese names; an entity crumb comes pre-labelled


def breadcrumb(
    crumbs: list[tuple[str, str, str]], href: Callable[[str], str], lang: str
) -> html.Nav:
    """Return the breadcrumb for ``crumbs`` = ``[(level, code, name), …]``, top first.

    Every crumb but the last is a link made by ``href(code)``.
    """
    items: list = []
    for i, (level, code, name) in enumerate(crumbs):
        label = crumb_label(level, name, lang)
        last = i == len(crumbs) - 1
        if i:
            items.append(html.Span("›", className="crumb-sep", **{"aria-hidden": "true"}))
        if last:
            items.append(html.Span(label, className="crumb crumb-current", **{"data-scope": code}))
        else:
            items.append(
                html.Span(
                    dcc.Link(label, href=href(code), className="crumb-link"),
                    className="crumb",
                    **{"data-scope": code},
                )
            )
    return html.Nav(items, className="breadcrumb", **{"aria-label": "breadcrumb"})
