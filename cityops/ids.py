"""Component IDs, defined once. Pattern IDs use business keys, never positions."""

# shell
NAV = "nav-location"
LANG_TOGGLE = "lang-toggle"
LANG_SINK = "lang-sink"

# overview
OV_MAP = "ov-map"
OV_AREAS = "ov-areas"
OV_OUTLINE = "ov-outline"
OV_LEGEND = "ov-legend"
OV_MAP_TITLE = "ov-map-title"
OV_KPI_SELECT = "ov-kpi-select"
OV_DATE = "ov-date"
OV_STATE = "ov-state"


def kpi_card(name: str) -> dict:
    """Return the pattern ID of the card of KPI ``name``."""
    return {"type": "kpi-card", "kpi": name}


# data catalogue
DATA_DATASETS = "data-datasets"
DATA_DEPARTMENTS = "data-departments"
DATA_LOADS = "data-loads"
DATA_ISSUES = "data-issues"
DATA_ISSUES_WRAP = "data-issues-wrap"
DATA_STATE = "data-state"
