"""Every setting of cityops, declared once with its default and a help line.

Precedence, as in Dash's own configuration: an explicit argument to
:func:`get_settings` wins over the ``CITYOPS_<NAME>`` environment variable,
which wins over the default. The README's configuration table is generated from
:data:`SETTINGS` (``cityops settings --markdown``) and a test checks they agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

ENV_PREFIX = "CITYOPS_"

#: The five cities of the seed article, by GB/T 2260 code.
SEED_CITIES = ("320100", "320500", "320200", "320600", "321300")

#: Expected arrival cadence of each dataset (seconds): live feeds in minutes, registers daily.
DEFAULT_CADENCE = (
    "hazmat_tracks=120,hazmat_alarms=600,video_events=600,cameras=1800,bookings=900,"
    "hazmat_waybills=3600,feedback=3600,rentals=86400,scenic_spots=604800"
)


@dataclass(frozen=True)
class Setting:
    """One configurable value: its name, type, default and what it does."""

    name: str
    default: Any
    help: str
    type: type = str

    @property
    def env(self) -> str:
        """Return the environment variable that sets this value."""
        return ENV_PREFIX + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", "data", "Folder for the embedded store and generated demo files."),
    Setting(
        "database_url",
        "",
        "SQLAlchemy URL of a database server for a shared deployment, e.g. "
        "`postgresql+psycopg://user@host/db`. Empty: the embedded, versioned DuckDB "
        "store under `<data_dir>/store/`.",
    ),
    Setting(
        "keep_versions",
        2,
        "Old versions of the embedded store kept besides the current one, for readers just "
        "sent to them (a reader that has a version open keeps reading it after it is deleted). "
        "The store folder holds at most this + 1 versions between loads.",
        int,
    ),
    Setting(
        "store_space_factor",
        2.0,
        "A load (or `init`, `demo`) into the embedded store needs free disk of this many times "
        "the current version (its copy and what the load adds) plus `CITYOPS_STORE_HEADROOM_MB`; "
        "with less it refuses before copying (exit 2), changing nothing.",
        float,
    ),
    Setting(
        "store_headroom_mb",
        100,
        "Free disk (MB) a write to the embedded store leaves beyond the new version, for the "
        "system and the web server.",
        int,
    ),
    Setting(
        "cities",
        ",".join(SEED_CITIES),
        "Comma-separated GB/T 2260 codes of the Jiangsu cities that are switched on.",
    ),
    Setting("grid_resolution", 8, "H3 resolution of the grid (网格) below a district.", int),
    Setting(
        "tile_url",
        "",
        "Optional map tile URL template, e.g. an internal Tianditu mirror "
        "`http://tiles.local/{z}/{x}/{y}.png`. Empty: boundaries on a plain background.",
    ),
    Setting("tile_attribution", "", "Attribution text shown for the tile layer."),
    Setting(
        "auth",
        "on",
        "Login mode. `on` (the default): every page, callback and API route needs a login "
        "(or a bearer token); roles and scopes apply; needs `CITYOPS_SECRET_KEY` unless in "
        "demo mode. `off`: one local user who sees the province, a banner says access is "
        "open, and `cityops serve` listens on this machine only.",
    ),
    Setting(
        "demo",
        False,
        "Demo mode (`cityops serve --demo`, what `make run` uses): login stays on, a missing "
        "`CITYOPS_SECRET_KEY` is made once into `<data_dir>/secret_key`, a store without "
        "accounts gets a local admin whose password is printed at start and kept in "
        "`<data_dir>/demo-login.txt` (both readable by their owner only), a banner says so, "
        "and the server listens on this machine only.",
        bool,
    ),
    Setting("default_lang", "zh", "Language when the user has not chosen one: `zh` or `en`."),
    Setting("host", "127.0.0.1", "Address `cityops serve` listens on."),
    Setting("port", 8050, "Port `cityops serve` listens on.", int),
    Setting("threads", 8, "Worker threads of the web server.", int),
    Setting(
        "debug", False, "Dash debug mode (hot reload, error overlay). Never in production.", bool
    ),
    Setting(
        "rental_min_area_per_person",
        5.0,
        "Group-rental rule: suspected when floor area per occupant is below this (m²).",
        float,
    ),
    Setting(
        "rental_max_per_room",
        2.0,
        "Group-rental rule: suspected when occupants per room exceed this.",
        float,
    ),
    Setting(
        "rental_city_thresholds",
        "",
        "Per-city overrides of the group-rental rule: `code=min_area:max_per_room`, "
        "comma-separated, e.g. `320500=6:2,320100=5:2.5`.",
    ),
    Setting(
        "query_row_cap",
        200_000,
        "Most rows one read of the store may return; a larger answer is cut there and the "
        "cut is logged (a table or a map asks for less; this stops a runaway query).",
        int,
    ),
    Setting(
        "query_timeout_s",
        20.0,
        "Longest one read of the store may run (seconds); it is then stopped and the page "
        "shows its error state with a retry.",
        float,
    ),
    Setting(
        "query_cache_entries",
        512,
        "Answers kept per process, keyed by store version, query and parameters (the store "
        "is immutable per version, so a cached answer is exact); 0 switches the cache off.",
        int,
    ),
    Setting(
        "live_merge_seconds",
        60,
        "Live writes (`cityops simulate`, feeds) land as small append-only batches that readers "
        "see at once (the wall's ticker, alarms, vehicle positions, freshness); every this many "
        "seconds the live writer merges them into a new store version, and the KPIs follow. A "
        "merge copies the embedded store (~0.5 GB at city scale): use 300 or more there.",
        int,
    ),
    Setting(
        "freshness_cadence",
        DEFAULT_CADENCE,
        "How often each dataset is expected to arrive, `dataset=seconds`, comma-separated; a "
        "dataset not written for longer is stale: its wall panels grey out with the time it was "
        "last good and the ticker raises a staleness alarm. Unlisted datasets: one day.",
    ),
    Setting(
        "wall_pages",
        "overview,video,hazmat,rentals,tourism",
        "Pages the wall (`/wall`) rotates through when its URL names none.",
    ),
    Setting("wall_rotate_s", 30, "Seconds the wall shows each page before the next.", int),
    Setting("wall_refresh_s", 5, "Seconds between the wall's refreshes (new data, alarms).", int),
    Setting(
        "wall_alarm_hold_s",
        20,
        "Seconds a new severity-3 alarm holds the wall on its detail before rotation resumes.",
        int,
    ),
    Setting(
        "wall_scope",
        "",
        "Area the wall shows when its URL names none (a city or district code); empty: the "
        "province.",
    ),
    Setting(
        "chromium_path",
        "/usr/bin/chromium",
        "Chromium that draws the reports' charts and prints their PDF (Debian's package, "
        "installed by `scripts/system-deps.sh`; never a downloaded browser).",
    ),
    Setting(
        "report_max_jobs",
        2,
        "Most reports the Reports page makes at once (each is a process and a Chromium); "
        "a click beyond them is asked to try again in a minute. The command line is not "
        "limited.",
        int,
    ),
    Setting(
        "report_timeout_s",
        120,
        "Longest a report may take to render in Chromium (seconds) before it is abandoned "
        "with a message.",
        int,
    ),
    # accounts (issue 12): the lockout of `cityops.auth.accounts.verify_password`
    Setting(
        "login_max_failures",
        5,
        "Wrong passwords in a row after which an account is locked (see "
        "`CITYOPS_LOGIN_LOCKOUT_MINUTES`); a success resets the count.",
        int,
    ),
    Setting(
        "login_lockout_minutes",
        15,
        "Minutes a locked account refuses every login, even with the right password; "
        "`cityops user reset` unlocks it at once.",
        int,
    ),
    Setting(
        "login_address_max_failures",
        20,
        "Failed logins from one address (any accounts) within `CITYOPS_LOGIN_LOCKOUT_MINUTES` "
        'after which that address gets 429 "too many attempts" until the window has passed: '
        "guessing across many account names. Counted from the audit log, so every server "
        "process and a restart see the same count. Behind a proxy, the address is the proxy's.",
        int,
    ),
    # login (issue 12): the web sessions of `CITYOPS_AUTH=on` (cityops/web/auth.py)
    Setting(
        "secret_key",
        "",
        "Key that signs session cookies, at least 32 characters; required with "
        "`CITYOPS_AUTH=on` (the server refuses to start without one, or with the README's "
        'example). Make one: `python -c "import secrets; print(secrets.token_urlsafe(48))"`.',
    ),
    Setting(
        "session_idle_minutes",
        60,
        "A login session ends after this many minutes without a request.",
        int,
    ),
    Setting(
        "session_max_hours",
        12,
        "A login session ends this many hours after the login, however busy.",
        int,
    ),
    # personal data (issue 12 point 5): who sees it unmasked, what else counts as personal
    Setting(
        "personal_roles",
        "",
        "Roles that see personal data unmasked (landlord names and phones, plates, full "
        "addresses with room numbers, and `CITYOPS_PERSONAL_EXTRA`), comma-separated, e.g. "
        "`admin,centre`. Empty (the default): masked for every role. Open access "
        "(`CITYOPS_AUTH=off`) and the command line always see them masked; masking happens "
        "on the server, so a masked value never reaches the browser, the API or a report.",
    ),
    Setting(
        "personal_extra",
        "",
        "More columns to treat as personal, `column:kind` comma-separated, with kind `name`, "
        "`phone`, `plate` or `address`, e.g. `driver_name:name,operator_phone:phone`; column is "
        "a dataset's canonical column name (README Data formats).",
    ),
    Setting(
        "max_field_chars",
        2000,
        "Longest value a department file's cell may hold (characters); a longer one "
        "quarantines its row (reason `too_long`), never the file. Ids are capped at 100.",
        int,
    ),
    # web hardening (issue 12): what the web server refuses whoever asks
    Setting(
        "allowed_hosts",
        "127.0.0.1,localhost,::1",
        "Host names the web server answers (the request's `Host:` header), comma-separated; "
        "`CITYOPS_HOST` is added when it is not `0.0.0.0`/`::`. A leading dot matches the name "
        "and its subdomains (`.city.gov.cn`). Any other name gets a 400, so a DNS-rebinding "
        "page cannot read the dashboard or the API from an operator's browser. `*` answers "
        "every name: unsafe, only behind a proxy that checks the name itself.",
    ),
    Setting(
        "max_request_kb",
        65_536,
        "Largest request body the web server reads (KB); a larger one gets a 413 before it is "
        "read. Dash callbacks are small except a table's Excel export, which sends the rows as "
        "shown: 100,000 rows of the widest table are ~30 MB.",
        int,
    ),
    Setting(
        "export_max_rows",
        100_000,
        "Most rows one table download (Excel) may hold; a larger one is refused with a message "
        "asking to filter the table first, never cut silently.",
        int,
    ),
    Setting(
        "export_max_jobs",
        2,
        "Most Excel workbooks the web server builds at once (per process); a click beyond them "
        "waits a moment, then is asked to try again.",
        int,
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def _coerce(setting: Setting, raw: Any) -> Any:
    if setting.type is bool and isinstance(raw, str):
        value = raw.strip().lower()
        if value in {"1", "true", "yes", "on"}:
            return True
        if value in {"0", "false", "no", "off", ""}:
            return False
        raise ValueError(f"{setting.env}: expected true/false, got {raw!r}")
    try:
        return setting.type(raw)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{setting.env}: expected {setting.type.__name__}, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    """Resolved settings. Build with :func:`get_settings`."""

    values: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    @property
    def city_codes(self) -> tuple[str, ...]:
        """Return the enabled city codes, in the configured order."""
        return tuple(c.strip() for c in self.values["cities"].split(",") if c.strip())

    def personal_role_set(self) -> frozenset[str]:
        """Return the roles that see personal data unmasked (``CITYOPS_PERSONAL_ROLES``).

        Raises ``ValueError`` naming an unknown role.
        """
        from cityops.auth.accounts import ROLES

        found = frozenset(r.strip() for r in self.values["personal_roles"].split(",") if r.strip())
        unknown = sorted(found - set(ROLES))
        if unknown:
            raise ValueError(
                f"CITYOPS_PERSONAL_ROLES: unknown role {unknown[0]!r}; roles: {', '.join(ROLES)}"
            )
        return found

    def personal_extra_columns(self) -> dict[str, str]:
        """Return the columns ``CITYOPS_PERSONAL_EXTRA`` adds to the personal ones: name → kind.

        Raises ``ValueError`` for an item that is not ``column:kind``, an unknown kind
        or a column no dataset has.
        """
        from cityops.datasets import extra_personal_columns

        return extra_personal_columns(self.values["personal_extra"])

    def cadences(self) -> dict[str, int]:
        """Return each dataset's expected cadence in seconds (``CITYOPS_FRESHNESS_CADENCE``).

        Datasets not listed are expected daily (86,400 s).
        """
        out: dict[str, int] = {}
        raw = self.values["freshness_cadence"].strip()
        for item in filter(None, (p.strip() for p in raw.split(","))):
            try:
                name, seconds = item.split("=")
                out[name.strip()] = int(float(seconds))
            except ValueError as exc:
                raise ValueError(
                    f"CITYOPS_FRESHNESS_CADENCE: cannot read {item!r}; expected dataset=seconds"
                ) from exc
        return out

    def cadence(self, dataset: str) -> int:
        """Return the expected cadence of ``dataset`` in seconds (one day when unlisted)."""
        return self.cadences().get(dataset, 86_400)

    def rental_thresholds(self) -> dict[str, tuple[float, float]]:
        """Return per-city ``(min_area_per_person, max_per_room)`` overrides."""
        out: dict[str, tuple[float, float]] = {}
        raw = self.values["rental_city_thresholds"].strip()
        for item in filter(None, (p.strip() for p in raw.split(","))):
            try:
                code, rule = item.split("=")
                area, per_room = rule.split(":")
                out[code.strip()] = (float(area), float(per_room))
            except ValueError as exc:
                raise ValueError(
                    f"CITYOPS_RENTAL_CITY_THRESHOLDS: cannot read {item!r}; "
                    "expected code=min_area:max_per_room"
                ) from exc
        return out


def get_settings(**overrides: Any) -> Settings:
    """Resolve every setting: explicit ``overrides`` > environment > default.

    Returns
    -------
    Settings
        The resolved values; unknown override names raise ``TypeError``.
    """
    unknown = set(overrides) - set(_BY_NAME)
    if unknown:
        raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for s in SETTINGS:
        if s.name in overrides and overrides[s.name] is not None:
            values[s.name] = _coerce(s, overrides[s.name])
        elif s.env in os.environ:
            values[s.name] = _coerce(s, os.environ[s.env])
        else:
            values[s.name] = s.default
    if values["default_lang"] not in ("zh", "en"):
        raise ValueError("CITYOPS_DEFAULT_LANG must be zh or en")
    if values["keep_versions"] < 0:
        raise ValueError("CITYOPS_KEEP_VERSIONS must be 0 or more")
    if values["store_space_factor"] < 1 or values["store_headroom_mb"] < 0:
        raise ValueError(
            "CITYOPS_STORE_SPACE_FACTOR must be at least 1 and CITYOPS_STORE_HEADROOM_MB 0 or more"
        )
    for name in ("wall_rotate_s", "wall_refresh_s", "live_merge_seconds"):
        if values[name] < 1:
            raise ValueError(f"CITYOPS_{name.upper()} must be 1 or more")
    if values["login_max_failures"] < 1 or values["login_lockout_minutes"] < 1:
        raise ValueError(
            "CITYOPS_LOGIN_MAX_FAILURES and CITYOPS_LOGIN_LOCKOUT_MINUTES must be 1 or more"
        )
    if values["login_address_max_failures"] < 1:
        raise ValueError("CITYOPS_LOGIN_ADDRESS_MAX_FAILURES must be 1 or more")
    if values["max_field_chars"] < 1:
        raise ValueError("CITYOPS_MAX_FIELD_CHARS must be 1 or more")
    for name in (  # web hardening (issue 12)
        "max_request_kb",
        "export_max_rows",
        "export_max_jobs",
    ):
        if values[name] < 1:
            raise ValueError(f"CITYOPS_{name.upper()} must be 1 or more")
    if values["auth"] not in ("off", "on"):
        raise ValueError("CITYOPS_AUTH must be off or on")
    if values["session_idle_minutes"] < 1 or values["session_max_hours"] < 1:
        raise ValueError(
            "CITYOPS_SESSION_IDLE_MINUTES and CITYOPS_SESSION_MAX_HOURS must be 1 or more"
        )
    settings = Settings(values)
    settings.personal_role_set()  # raises for an unknown role
    settings.personal_extra_columns()  # raises for an unknown column or kind
    return settings


def settings_markdown() -> str:
    """Return the configuration table for the README, one row per setting."""
    rows = ["| variable | default | what it does |", "|---|---|---|"]
    for s in SETTINGS:
        default = s.default if s.default != "" else "(empty)"
        rows.append(f"| `{s.env}` | `{default}` | {s.help} |")
    return "\n".join(rows)
