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

# the wall (大屏)
WALL_ROOT = "wall-root"
WALL_CONFIG = "wall-config"
WALL_STATE = "wall-state"
WALL_TICK = "wall-tick"
WALL_PAGE_TITLE = "wall-page-title"
WALL_DOTS = "wall-dots"
WALL_DATE = "wall-date"
WALL_CLOCK = "wall-clock"
WALL_STATUS = "wall-status"
WALL_CARDS = "wall-cards"
WALL_MAP = "wall-map"
WALL_AREAS = "wall-areas"
WALL_POINTS = "wall-points"
WALL_LEGEND = "wall-legend"
WALL_MAP_FRESH = "wall-map-fresh"
WALL_PROBLEMS = "wall-problems"
WALL_TREND = "wall-trend"
WALL_STRIP_FRESH = "wall-strip-fresh"
WALL_TICKER = "wall-ticker"
WALL_ALERT = "wall-alert"
WALL_BANNER = "wall-banner"

# reports page (issue 11)
REPORTS_STATE = "reports-state"
REPORTS_SCOPE = "reports-scope"
REPORTS_KIND = "reports-kind"
REPORTS_DAY = "reports-day"
REPORTS_DAY_FIELD = "reports-day-field"
REPORTS_FROM = "reports-from"
REPORTS_TO = "reports-to"
REPORTS_RANGE_FIELD = "reports-range-field"
REPORTS_KPI = "reports-kpi"
REPORTS_LANG = "reports-lang"
REPORTS_FORMAT = "reports-format"
REPORTS_PERIOD = "reports-period"
REPORTS_MAKE = "reports-make"
REPORTS_CANCEL = "reports-cancel"
REPORTS_PROGRESS_WRAP = "reports-progress-wrap"
REPORTS_PROGRESS = "reports-progress"
REPORTS_PROGRESS_LABEL = "reports-progress-label"
REPORTS_MESSAGE = "reports-message"
REPORTS_DOWNLOAD = "reports-download"

# print title (issue 11): the print-only line of the shell
PRINT_TITLE = "print-title"

# admin page (issue 12)
ADMIN_SINCE = "admin-since"
ADMIN_ACTOR = "admin-actor"
ADMIN_ACTION = "admin-action"
