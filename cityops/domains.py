"""The domains cityops shows, declared once.

A domain is one department's subject: its page, its accent colour (a name in
:data:`cityops.theme.ACCENTS`), the datasets it reads (names in
:mod:`cityops.datasets`) and the entity its page opens by id. Its KPI group is
the KPIs whose ``domain`` names it (:mod:`cityops.queries.kpis`); the header's
navigation is built from Dash's page registry, where each domain page registers
itself from this declaration (``pages._shared.register_page_for_domain``).

Adding a domain (say water-quality sensors): a dataset spec, its tables, its
queries and KPIs, its page, its translations, its demo data, its tests, and one
line here. README.md, "Adding a domain", walks through it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Domain:
    """One domain: ``name`` (labels ``domain.<name>``, ``nav.<name>``), page, accent, data."""

    name: str
    path: str
    accent: str
    datasets: tuple[str, ...]
    entity: str | None = None


#: The domains in display order (cards, navigation, the wall's rotation).
DOMAINS: tuple[Domain, ...] = (
    Domain("video", "/video", "sky", ("cameras", "video_events"), entity="camera"),
    Domain(
        "hazmat",
        "/hazmat",
        "purple",
        ("hazmat_waybills", "hazmat_tracks", "hazmat_alarms"),
        entity="waybill",
    ),
    Domain("rentals", "/rentals", "teal", ("rentals",), entity="unit"),
    Domain(
        "tourism", "/tourism", "indigo", ("scenic_spots", "bookings", "feedback"), entity="spot"
    ),
)
DOMAIN_BY_NAME = {d.name: d for d in DOMAINS}
DOMAIN_NAMES: tuple[str, ...] = tuple(DOMAIN_BY_NAME)


def domain(name: str) -> Domain:
    """Return the domain called ``name`` (KeyError for an unknown one)."""
    return DOMAIN_BY_NAME[name]
