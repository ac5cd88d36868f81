"""What each role may open: pages, API routes, the callbacks of those pages, downloads.

Data only, plus small pure functions over it; :mod:`cityops.web.auth` applies them
to every request when ``CITYOPS_AUTH=on``. Issue 12 point 2:

- admin: everything, and alone the admin page (the audit log and the accounts);
- centre (command-centre staff): every page but the admin page, and the wall;
- analyst: the analyst pages (overview, the four domains, the catalogue, reports)
  and table downloads, not the wall;
- manager: the overview and reports;
- loader (data officer): the data catalogue.

With ``CITYOPS_AUTH=off`` nothing is checked: the one local user is admin-like and
opens every page, the admin page too.

The role decides *which pages*; the account's scope decides *which area*
(:meth:`cityops.queries.context.Context.allowed_scope`).
"""

from __future__ import annotations

from collections.abc import Iterable

#: Every page of the app, by path.
PAGES: tuple[str, ...] = (
    "/",
    "/video",
    "/hazmat",
    "/rentals",
    "/tourism",
    "/data",
    "/reports",
    "/wall",
    "/admin",
)

#: Pages of the admin role only (issue 12 point 6: the audit log and the accounts).
ADMIN_ONLY_PAGES: frozenset[str] = frozenset({"/admin"})

#: The pages of command-centre staff: all but the admin page.
CENTRE_PAGES: tuple[str, ...] = tuple(p for p in PAGES if p not in ADMIN_ONLY_PAGES)

#: The pages of an analyst: all but the wall and the admin page.
ANALYST_PAGES: tuple[str, ...] = tuple(p for p in CENTRE_PAGES if p != "/wall")

#: Pages each role may open.
ROLE_PAGES: dict[str, frozenset[str]] = {
    "admin": frozenset(PAGES),
    "centre": frozenset(CENTRE_PAGES),
    "analyst": frozenset(ANALYST_PAGES),
    "manager": frozenset({"/", "/reports"}),
    "loader": frozenset({"/data"}),
}

#: Roles that may download a table (CSV or Excel).
DOWNLOAD_ROLES: frozenset[str] = frozenset({"admin", "centre", "analyst"})

#: API routes (under ``/api/v1``) and the pages they serve: a role may call the route
#: when it may open one of them. Routes not listed (the index, ``/health``) are open to
#: every signed-in role; unknown routes answer their JSON 404.
API_PAGES: tuple[tuple[str, frozenset[str]], ...] = (
    ("/api/v1/kpis", frozenset({"/", "/wall", "/reports"})),
    ("/api/v1/datasets", frozenset({"/data"})),
    ("/api/v1/geo/", frozenset({"/", "/video", "/hazmat", "/rentals", "/tourism", "/wall"})),
    ("/api/v1/points/cameras", frozenset({"/video", "/wall"})),
    ("/api/v1/layers/rentals-heat", frozenset({"/rentals", "/wall"})),
)

#: Component id prefixes (``<prefix>-…``) of each page's callbacks.
ID_PREFIX_PAGES: dict[str, str] = {
    "ov": "/",
    "video": "/video",
    "hazmat": "/hazmat",
    "rentals": "/rentals",
    "tourism": "/tourism",
    "data": "/data",
    "wall": "/wall",
    "reports": "/reports",
    "admin": "/admin",
}


def pages_of(role: str | None) -> frozenset[str]:
    """Return the page paths ``role`` may open (none for an unknown role)."""
    return ROLE_PAGES.get(role or "", frozenset())


def may_open(role: str | None, path: str) -> bool:
    """Return True when ``role`` may open the page at ``path``.

    The path is read as Dash's page router reads it (:func:`page_path`), so
    ``/video/`` is the video page. A path that is no page of the app (Dash answers it
    with its not-found page) is allowed: it shows nothing.
    """
    page = page_path(path)
    if page not in PAGES:
        return True
    return page in pages_of(role)


def page_path(path: str) -> str:
    """Return the page ``path`` names as Dash matches it: without query, outer slashes trimmed."""
    return "/" + path.split("?", 1)[0].strip("/")


def home_page(role: str | None) -> str:
    """Return the first page (in :data:`PAGES` order) ``role`` may open; "/login" for none."""
    return next((p for p in PAGES if p in pages_of(role)), "/login")


def may_download(role: str | None) -> bool:
    """Return True when ``role`` may download tables."""
    return role in DOWNLOAD_ROLES


def may_call_api(role: str | None, path: str) -> bool:
    """Return True when ``role`` may call the API route at ``path``."""
    if role not in ROLE_PAGES:
        return False
    for prefix, pages in API_PAGES:
        if path == prefix or path.startswith(prefix):
            return bool(pages & pages_of(role))
    return True


def page_of_id(component: object) -> str | None:
    """Return the page a component id belongs to, by its prefix; None for shared ones.

    A pattern id (a dict) is known by its ``name`` (tables: ``video-open-events``)
    or its ``type``.
    """
    if isinstance(component, dict):
        component = component.get("name") or component.get("type")
    if not isinstance(component, str):
        return None
    return ID_PREFIX_PAGES.get(component.split("-", 1)[0])


def pages_of_ids(components: Iterable[object]) -> set[str]:
    """Return the pages the components of one callback belong to."""
    return {p for p in (page_of_id(c) for c in components) if p is not None}
