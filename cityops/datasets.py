"""What each dataset's file must contain: columns, Chinese aliases, types and rules.

This is DATA_CONTRACTS.md as code. The loader reads a file against one
:class:`DatasetSpec`; every rule here becomes a quarantine reason when broken.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import sqlalchemy as sa

from cityops import store

if TYPE_CHECKING:
    import pandas as pd

Kind = Literal["text", "float", "int", "bool", "timestamp", "date", "hhmm", "enum", "code6"]
Personal = Literal["name", "phone", "plate", "address"]


@dataclass(frozen=True)
class Column:
    """One column of a department file.

    ``aliases`` are the other headers accepted for it (Chinese first);
    ``choices`` maps every accepted spelling of an enum value to its stored value;
    ``low``/``high`` bound numbers (``low_open``: strictly greater than ``low``);
    ``pattern`` is a regular expression a text value must match in full;
    ``max_chars`` caps a value's length (default: the ``CITYOPS_MAX_FIELD_CHARS``
    setting; a longer value quarantines its row, reason ``too_long``);
    ``fill_merged`` (Excel): a cell inside a vertically merged range takes the
    range's value (grouping columns such as a department); in any other column
    such a cell quarantines its row (reason ``merged``) rather than storing NULL.
    """

    name: str
    aliases: tuple[str, ...] = ()
    kind: Kind = "text"
    required: bool = True
    choices: dict[str, str] | None = None
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    pattern: str | None = None
    store: bool = True  # False: read and checked, not a column of the table
    default: str | None = None  # stored when the cell is empty
    personal: Personal | None = None  # personal data: masked wherever it is shown
    max_chars: int | None = None  # None: the CITYOPS_MAX_FIELD_CHARS setting
    fill_merged: bool = False  # Excel: merged cells below a value take that value


@dataclass(frozen=True)
class RowRule:
    """A rule across the columns of a row, checked after each column is typed.

    ``broken`` takes the typed rows (one column per spec column, missing cells
    NA) and returns a boolean Series: the rows breaking the rule. Each gets an
    issue of ``severity`` (``quarantined``: not loaded; ``flagged``: loaded,
    listed) with reason ``rule``, naming ``column``; ``message_key`` is the
    i18n key of its message.
    """

    column: str
    severity: Literal["quarantined", "flagged"]
    message_key: str
    broken: Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset: its table, key, columns, where its rows are, what they reference."""

    name: str
    label: str  # Chinese name
    department: str  # the department that usually owns the export
    table: sa.Table
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    point: tuple[str, str] | None = None  # lon, lat columns placing the row
    area_prefix: str = ""  # "origin_" for waybills
    extra_points: tuple[tuple[str, str], ...] = ()  # converted to WGS84, not placed
    references: tuple[tuple[str, sa.Table, str], ...] = ()
    collapse_duplicates: bool = False  # tracks: a repeated key is the same fix
    derived: tuple[str, ...] = ()  # derived tables a load rebuilds (cityops.store.derived)
    time_column: str | None = None  # what "fresh" is measured on
    stale_after_hours: float = 24.0
    required_area_code: str | None = None  # a column that must name a known district
    depends_on: tuple[str, ...] = field(default=())
    row_rules: tuple[RowRule, ...] = ()  # rules across a row's columns
    # hooks run in the load's transaction just before its rows are written, seeing the
    # store as it was (loaders.hooks: "status_history" records cameras' status changes)
    write_hooks: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        return next(c for c in self.columns if c.name == name)


def _enum(*pairs: tuple[str, tuple[str, ...]]) -> dict[str, str]:
    """Return an accepted-spelling → stored-value map, case-insensitive for Latin text."""
    out: dict[str, str] = {}
    for value, spellings in pairs:
        for s in (value, *spellings):
            out[s.lower()] = value
    return out


LON = Column("lon", ("经度", "longitude", "lng", "x"), "float", low=73.0, high=136.0)
LAT = Column("lat", ("纬度", "latitude", "y"), "float", low=3.0, high=54.0)
DISTRICT = Column(
    "district_code",
    ("区县代码", "行政区划代码", "区划代码"),
    "code6",
    required=False,
    store=False,
    fill_merged=True,
)
ID_CHARS = 100  # ids (keys and references) are short; a longer one is a broken row

HAZARD_CLASSES = _enum(
    *[
        (c, ())
        for c in (
            "1",
            "1.1",
            "1.2",
            "1.3",
            "1.4",
            "1.5",
            "1.6",
            "2.1",
            "2.2",
            "2.3",
            "3",
            "4.1",
            "4.2",
            "4.3",
            "5.1",
            "5.2",
            "6.1",
            "6.2",
            "7",
            "8",
            "9",
        )
    ]
)

CAMERAS = DatasetSpec(
    name="cameras",
    label="视频点位",
    department="公安局（视频共享平台）",
    table=store.cameras,
    key=("camera_id",),
    columns=(
        Column("camera_id", ("点位编号", "设备编号"), max_chars=ID_CHARS),
        Column("name", ("点位名称", "设备名称"), required=False),
        Column("department", ("所属部门", "部门"), required=False, fill_merged=True),
        Column("kind", ("类型", "设备类型"), required=False, fill_merged=True),
        LON,
        LAT,
        Column(
            "status",
            ("状态", "在线状态"),
            "enum",
            choices=_enum(
                ("online", ("在线", "正常")), ("offline", ("离线",)), ("fault", ("故障",))
            ),
        ),
        Column("last_seen", ("最后在线时间",), "timestamp", required=False),
        Column("ai_enabled", ("是否智能分析", "智能分析"), "bool"),
        DISTRICT,
    ),
    point=("lon", "lat"),
    time_column="last_seen",
    stale_after_hours=24,
    write_hooks=("status_history",),
    derived=("camera_cells", "video_event_days"),
)

VIDEO_EVENTS = DatasetSpec(
    name="video_events",
    label="视频智能事件",
    department="城管局（智能分析平台）",
    table=store.video_events,
    key=("event_id",),
    columns=(
        Column("event_id", ("事件编号",), max_chars=ID_CHARS),
        Column("camera_id", ("点位编号", "设备编号"), max_chars=ID_CHARS),
        Column("ts", ("发生时间", "事件时间"), "timestamp"),
        Column("event_type", ("事件类型",), required=False, fill_merged=True),
        Column(
            "status",
            ("状态", "处置状态"),
            "enum",
            choices=_enum(("open", ("待处置", "未处置")), ("closed", ("已处置", "已关闭"))),
        ),
        Column("closed_at", ("处置时间",), "timestamp", required=False),
    ),
    references=(("camera_id", store.cameras, "camera_id"),),
    time_column="ts",
    stale_after_hours=2,
    depends_on=("cameras",),
    derived=("camera_cells", "video_event_days"),
)

HAZMAT_WAYBILLS = DatasetSpec(
    name="hazmat_waybills",
    label="危化品电子运单",
    department="交通运输局",
    table=store.hazmat_waybills,
    key=("waybill_id",),
    columns=(
        Column("waybill_id", ("运单编号",), max_chars=ID_CHARS),
        Column("vehicle_plate", ("车牌号", "车牌"), personal="plate"),
        Column("carrier", ("承运企业",), required=False, fill_merged=True),
        Column("un_number", ("UN编号", "联合国编号"), pattern=r"\d{4}"),
        Column("hazard_class", ("危险类别", "危险货物类别"), "enum", choices=HAZARD_CLASSES),
        Column("cargo_name", ("货物名称",), required=False),
        Column(
            "tonnage",
            ("载重(吨)", "载重（吨）", "载重", "吨位"),
            "float",
            low=0,
            low_open=True,
            high=100,
        ),
        Column("origin_name", ("起运地", "起运地名称"), required=False, fill_merged=True),
        Column("origin_lon", ("起运地经度",), "float", low=73.0, high=136.0),
        Column("origin_lat", ("起运地纬度",), "float", low=3.0, high=54.0),
        Column("dest_name", ("目的地", "目的地名称"), required=False, fill_merged=True),
        Column("dest_lon", ("目的地经度",), "float", required=False, low=73.0, high=136.0),
        Column("dest_lat", ("目的地纬度",), "float", required=False, low=3.0, high=54.0),
        Column("depart_at", ("起运时间",), "timestamp"),
        Column("arrive_at", ("到达时间",), "timestamp", required=False),
        Column(
            "status",
            ("状态", "运单状态"),
            "enum",
            choices=_enum(
                ("planned", ("计划", "待起运")),
                ("in_transit", ("在途", "运输中")),
                ("arrived", ("已到达", "已送达")),
                ("cancelled", ("已取消", "取消")),
            ),
        ),
    ),
    point=("origin_lon", "origin_lat"),
    area_prefix="origin_",
    derived=("hazmat_positions",),
    extra_points=(("dest_lon", "dest_lat"),),
    time_column="depart_at",
    stale_after_hours=6,
)

HAZMAT_TRACKS = DatasetSpec(
    name="hazmat_tracks",
    label="危化品车辆轨迹",
    department="交通运输局",
    table=store.hazmat_tracks,
    key=("vehicle_plate", "ts"),
    columns=(
        Column("vehicle_plate", ("车牌号", "车牌"), personal="plate"),
        Column("ts", ("定位时间", "时间"), "timestamp"),
        LON,
        LAT,
        Column(
            "speed_kmh",
            ("速度", "速度(km/h)", "速度（km/h）"),
            "float",
            required=False,
            low=0,
            high=200,
        ),
    ),
    point=("lon", "lat"),
    collapse_duplicates=True,
    derived=("hazmat_positions",),
    time_column="ts",
    stale_after_hours=1,
)

HAZMAT_ALARMS = DatasetSpec(
    name="hazmat_alarms",
    label="危化品运输报警",
    department="交通运输局",
    table=store.hazmat_alarms,
    key=("alarm_id",),
    columns=(
        Column("alarm_id", ("报警编号",), max_chars=ID_CHARS),
        Column("vehicle_plate", ("车牌号", "车牌"), personal="plate"),
        Column("waybill_id", ("运单编号",), required=False),
        Column("ts", ("报警时间", "时间"), "timestamp"),
        Column(
            "alarm_type",
            ("报警类型",),
            "enum",
            choices=_enum(
                ("speeding", ("超速",)),
                ("fatigue", ("疲劳驾驶",)),
                ("route_deviation", ("偏离路线", "路线偏离")),
                ("restricted_zone", ("进入禁行区",)),
                ("unplanned_stop", ("异常停车",)),
                ("sensor", ("罐体异常", "传感器异常")),
            ),
        ),
        Column("severity", ("级别", "报警级别", "严重程度"), "int", low=1, high=3),
        LON,
        LAT,
        Column(
            "status",
            ("状态", "处置状态"),
            "enum",
            choices=_enum(
                ("open", ("未处理", "待处置")),
                ("acknowledged", ("已确认", "处置中")),
                ("closed", ("已关闭", "已处置")),
            ),
        ),
        Column("closed_at", ("关闭时间", "处置时间"), "timestamp", required=False),
    ),
    point=("lon", "lat"),
    time_column="ts",
    stale_after_hours=1,
)

RENTALS = DatasetSpec(
    name="rentals",
    label="出租房屋",
    department="公安局（流动人口与出租房屋管理）",
    table=store.rentals,
    key=("unit_id",),
    columns=(
        Column("unit_id", ("房屋编号",), max_chars=ID_CHARS),
        Column("address", ("地址", "房屋地址"), required=False, personal="address"),
        LON,
        LAT,
        Column(
            "floor_area_m2",
            ("建筑面积", "面积", "建筑面积(m²)"),
            "float",
            low=0,
            low_open=True,
            high=100000,
        ),
        Column("rooms", ("房间数",), "int", low=1, high=1000),
        Column("occupants", ("登记人数", "居住人数"), "int", low=0, high=10000),
        Column("landlord_name", ("房东姓名",), required=False, personal="name"),
        Column("landlord_phone", ("房东电话", "联系电话"), required=False, personal="phone"),
        Column("registered_at", ("登记时间",), "timestamp", required=False),
        Column(
            "inspection_status",
            ("核查状态",),
            "enum",
            default="none",
            choices=_enum(
                ("none", ("未核查",)),
                ("ok", ("正常",)),
                ("rectify", ("责令整改",)),
                ("rectified", ("已整改",)),
            ),
        ),
        Column("inspected_at", ("核查时间",), "timestamp", required=False),
        DISTRICT,
    ),
    point=("lon", "lat"),
    time_column="registered_at",
    stale_after_hours=7 * 24,
)

SCENIC_SPOTS = DatasetSpec(
    name="scenic_spots",
    label="景区",
    department="文化广电和旅游局",
    table=store.scenic_spots,
    key=("spot_id",),
    columns=(
        Column("spot_id", ("景区编号",), max_chars=ID_CHARS),
        Column("name", ("景区名称",)),
        LON,
        LAT,
        Column("grade", ("等级", "景区等级"), required=False, pattern=r"[1-5]?A"),
        Column("daily_capacity", ("日最大承载量",), "int", required=False, low=1),
        Column("instant_capacity", ("瞬时最大承载量",), "int", required=False, low=1),
        DISTRICT,
    ),
    point=("lon", "lat"),
    stale_after_hours=30 * 24,
)


def _slots_out_of_order(rows: pd.DataFrame) -> pd.Series:
    """Return the bookings whose slot ends at or before it starts."""
    both = rows["slot_start"].notna() & rows["slot_end"].notna()
    return both & (rows["slot_end"].astype(str) <= rows["slot_start"].astype(str))


def _rated_complaints(rows: pd.DataFrame) -> pd.Series:
    """Return the complaints that carry a rating (an evaluation's field)."""
    return (rows["kind"] == "complaint") & rows["rating"].notna()


BOOKINGS = DatasetSpec(
    name="bookings",
    label="分时预约",
    department="文化广电和旅游局",
    table=store.bookings,
    key=("booking_id",),
    columns=(
        Column("booking_id", ("预约编号", "订单编号"), max_chars=ID_CHARS),
        Column("spot_id", ("景区编号",), max_chars=ID_CHARS),
        Column("visit_date", ("游览日期",), "date"),
        Column("slot_start", ("时段开始", "开始时间"), "hhmm"),
        Column("slot_end", ("时段结束", "结束时间"), "hhmm"),
        Column("party_size", ("人数", "预约人数"), "int", low=1, high=500),
        Column("visitor_origin", ("客源地",), required=False, fill_merged=True),
        Column("channel", ("渠道", "预约渠道"), required=False, fill_merged=True),
        Column(
            "status",
            ("状态", "预约状态"),
            "enum",
            choices=_enum(
                ("booked", ("已预约",)),
                ("checked_in", ("已核验", "已入园")),
                ("cancelled", ("已取消",)),
                ("no_show", ("未到", "爽约")),
            ),
        ),
        Column("booked_at", ("预约时间", "下单时间"), "timestamp", required=False),
    ),
    references=(("spot_id", store.scenic_spots, "spot_id"),),
    row_rules=(RowRule("slot_end", "quarantined", "issue.slot_order", _slots_out_of_order),),
    time_column="booked_at",
    stale_after_hours=1,
    depends_on=("scenic_spots",),
    derived=("booking_slots",),
)

FEEDBACK = DatasetSpec(
    name="feedback",
    label="评价投诉",
    department="文化广电和旅游局",
    table=store.feedback,
    key=("feedback_id",),
    columns=(
        Column("feedback_id", ("评价编号", "投诉编号", "编号"), max_chars=ID_CHARS),
        Column("spot_id", ("景区编号",), max_chars=ID_CHARS),
        Column("ts", ("时间", "提交时间"), "timestamp"),
        Column(
            "kind",
            ("类型",),
            "enum",
            choices=_enum(("evaluation", ("评价",)), ("complaint", ("投诉",))),
        ),
        Column("rating", ("评分",), "int", required=False, low=1, high=5),
        Column("category", ("类别", "分类"), required=False, fill_merged=True),
        Column(
            "status",
            ("状态", "处理状态"),
            "enum",
            choices=_enum(
                ("open", ("待处理", "未处理")), ("resolved", ("已处理", "已解决", "已办结"))
            ),
        ),
        Column("resolved_at", ("处理时间", "办结时间"), "timestamp", required=False),
    ),
    references=(("spot_id", store.scenic_spots, "spot_id"),),
    row_rules=(RowRule("rating", "flagged", "issue.rating_on_complaint", _rated_complaints),),
    time_column="ts",
    stale_after_hours=24,
    depends_on=("scenic_spots",),
)

DISTRICT_POPULATION = DatasetSpec(
    name="district_population",
    label="区县人口",
    department="统计局",
    table=store.district_population,
    key=("district_code", "year"),
    columns=(
        Column("district_code", ("区县代码", "行政区划代码"), "code6"),
        Column("year", ("年份",), "int", low=1949, high=2100),
        Column("population", ("人口", "常住人口"), "int", low=0),
    ),
    required_area_code="district_code",
    stale_after_hours=400 * 24,
)

DATASETS: dict[str, DatasetSpec] = {
    s.name: s
    for s in (
        CAMERAS,
        VIDEO_EVENTS,
        HAZMAT_WAYBILLS,
        HAZMAT_TRACKS,
        HAZMAT_ALARMS,
        RENTALS,
        SCENIC_SPOTS,
        BOOKINGS,
        FEEDBACK,
        DISTRICT_POPULATION,
    )
}


#: Severity (1 low – 3 high, as hazmat alarms have) of a video algorithm event by its type,
#: for the live alarm feed (the wall's ticker): the data carries none. Fire or smoke is
#: high, a crowd medium, any other type (parking, street stalls, overflowing bins) low.
VIDEO_EVENT_SEVERITY: dict[str, int] = {"烟火": 3, "人群聚集": 2}
VIDEO_EVENT_SEVERITY_DEFAULT = 1


#: The kinds of personal data, each with its masker (:func:`mask`).
PERSONAL_KINDS = ("name", "phone", "plate", "address")


def personal_columns(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Return every personal column across all datasets: canonical name → kind.

    The kind is one of :data:`PERSONAL_KINDS` and chooses the masker (:func:`mask`).
    Declared once, on :class:`Column` ``personal``; ``extra`` (from
    ``CITYOPS_PERSONAL_EXTRA``, :func:`extra_personal_columns`) adds more.
    """
    out: dict[str, str] = {}
    for spec in DATASETS.values():
        for column in spec.columns:
            if column.personal:
                out[column.name] = column.personal
    out.update(extra or {})
    return out


@functools.lru_cache(maxsize=8)
def extra_personal_columns(raw: str) -> dict[str, str]:
    """Return ``column → kind`` read from ``CITYOPS_PERSONAL_EXTRA`` (``col:kind,…``).

    Raises ``ValueError`` naming the item that is not ``column:kind``, whose kind is
    not one of :data:`PERSONAL_KINDS` or whose column no dataset has.
    """
    known = {column.name for spec in DATASETS.values() for column in spec.columns}
    out: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        column, sep, kind = (p.strip() for p in item.partition(":"))
        if not sep or not column:
            raise ValueError(f"CITYOPS_PERSONAL_EXTRA: {item!r} is not column:kind")
        if kind not in PERSONAL_KINDS:
            raise ValueError(
                f"CITYOPS_PERSONAL_EXTRA: {item!r}: kind must be one of {', '.join(PERSONAL_KINDS)}"
            )
        if column not in known:
            raise ValueError(f"CITYOPS_PERSONAL_EXTRA: {item!r}: no dataset has column {column!r}")
        out[column] = kind
    return out


def mask(kind: str, value: object) -> str:
    """Return ``value`` masked the way personal data of ``kind`` is shown (UX.md)."""
    from cityops.text.formatting import mask_address, mask_name, mask_phone, mask_plate

    maskers = {"name": mask_name, "phone": mask_phone, "plate": mask_plate,
               "address": mask_address}  # fmt: skip
    if kind not in maskers:
        raise ValueError(f"unknown kind of personal data: {kind!r}")
    if value is None or (isinstance(value, float) and value != value):
        return maskers[kind](None)
    return maskers[kind](str(value))


# ------------------------------------------------------------------ headers
#: Characters removed from every text cell and header: NUL and the other control
#: characters (but tab and line feed), U+FEFF (a byte-order mark in mid-file),
#: zero-width and direction marks. They are invisible on screen, so a key holding
#: one would be a second, invisible entity; PostgreSQL refuses NUL in text.
INVISIBLE_CHARS = (
    "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f"
    + "".join(map(chr, range(0x80, 0xA0)))
    + "\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
)
INVISIBLE = re.compile(f"[{INVISIBLE_CHARS}]")


def normalise_header(text: object) -> str:
    """Return a header cell folded for matching: no spaces, full-width brackets, lower case."""
    s = INVISIBLE.sub("", str(text)).strip()
    for a, b in (("（", "("), ("）", ")"), (" ", ""), ("\u3000", ""), ("_", "")):
        s = s.replace(a, b)
    return s.lower()


def header_lookup(spec: DatasetSpec) -> dict[str, str]:
    """Return a map from every accepted (normalised) header to its canonical column."""
    out: dict[str, str] = {}
    for col in spec.columns:
        for name in (col.name, *col.aliases):
            out.setdefault(normalise_header(name), col.name)
    return out


# a unit in brackets at the end of a header: 经度（°）, 载重(吨), 速度[km/h], 面积【m²】
_UNIT = re.compile(r"^(.+?)[(\[【][^()\[\]【】]*[)\]】]$")


def match_header(header: object, lookup: dict[str, str]) -> str | None:
    """Return the canonical column a file's header names, or None.

    The header is matched as written first; when that is unknown, without a
    trailing bracketed unit (``经度（°）`` → ``经度``, ``建筑面积(m²)`` → ``建筑面积``).
    """
    key = normalise_header(header)
    if key in lookup:
        return lookup[key]
    unit = _UNIT.match(key)
    return lookup.get(unit.group(1)) if unit else None
