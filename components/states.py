"""What a page says when it has nothing to show, cannot show it, or may not.

Every such message carries ``data-state`` — ``error``, ``empty``, ``not-found`` or
``denied`` — so tests and operators' tooling can tell a real failure from an
honest "no data". Empty is a normal state: it stays inside its panel.
"""

from __future__ import annotations

from typing import Literal

from dash import dcc, html

State = Literal["error", "empty", "not-found", "denied"]
STATES: tuple[State, ...] = ("error", "empty", "not-found", "denied")


def empty(text: str) -> html.P:
    """Return an empty state that says why there is nothing to show (inside a panel)."""
    return html.P(text, className="empty-state", **{"data-state": "empty"})


def notice(state: State, text: str, *, links: list[tuple[str, str]] | None = None) -> html.Div:
    """Return a message of ``state`` inside a panel, with optional ``(text, href)`` links."""
    return html.Div(
        [
            html.P(text),
            *[dcc.Link(text_, href=href, className="btn") for text_, href in links or []],
        ],
        className=f"state-notice state-{state}",
        role="alert" if state in ("error", "denied") else "status",
        **{"data-state": state},
    )


def page_message(
    state: State, title: str, detail: str = "", *, links: list[tuple[str, str]] | None = None
) -> html.Div:
    """Return a page-wide message of ``state`` with ways on (retry, the province, …).

    ``links`` are ``(text, href)`` pairs; a retry is a link to the same URL, so the
    user keeps the scope and date they asked for.
    """
    return html.Div(
        [
            html.H2(title),
            html.P(detail) if detail else None,
            html.Div(
                [dcc.Link(label, href=href, className="btn") for label, href in links or []],
                className="message-actions",
            ),
        ],
        className=f"message-panel state-{state}",
        role="alert" if state in ("error", "denied") else "status",
        **{"data-state": state},
    )
