"""The one translation table: every UI label in 简体中文 and English.

Area names are proper names and stay Chinese in both languages. Look labels up
with :func:`t`; a missing key raises, so a typo fails a test, not a screen.
"""

from __future__ import annotations

LANGS = ("zh", "en")
LANG_COOKIE = "cityops_lang"

TABLE: dict[str, tuple[str, str]] = {
    # shell
    "app.title": ("城市运行一网统管", "City Operations Centre"),
    "app.subtitle": ("江苏省", "Jiangsu Province"),
    "nav.overview": ("总览", "Overview"),
    "lang.toggle": ("English", "中文"),
    "lang.title": ("切换语言 / Switch language", "Switch language / 切换语言"),
    "auth.open_banner": (
        "访问未设登录（CITYOPS_AUTH=off）：本机所有访问者均可查看全省数据。",
        "Access is open (CITYOPS_AUTH=off): anyone reaching this server sees the whole province.",
    ),
    # levels
    "level.province": ("省", "Province"),
    "level.city": ("市", "City"),
    "level.district": ("区县", "District"),
    "level.grid": ("网格", "Grid cell"),
    "grid.prefix": ("网格", "Cell"),
    # overview
    "overview.title": ("总览", "Overview"),
    "overview.map_title": ("{level}分布：{kpi}", "{kpi} by {level}"),
    "overview.kpi_select": ("地图指标", "Map indicator"),
    "overview.date": ("日期", "Date"),
    "overview.status_note": (
        "状态类指标为当前状态；预约类指标为所选日期。",
        "Status indicators show the current state; booking indicators show the chosen day.",
    ),
    "overview.click_hint": ("点击地图区域下钻", "Click an area on the map to drill down"),
    "overview.not_enabled": ("未接入", "not switched on"),
    "map.no_data": ("无数据", "No data"),
    "map.legend": ("图例", "Legend"),
    # domains
    "domain.video": ("视频感知", "Video sensing"),
    "domain.hazmat": ("危化品运输", "Hazardous materials"),
    "domain.rentals": ("出租房屋", "Rental housing"),
    "domain.tourism": ("文旅预约", "Tourism bookings"),
    # KPIs
    "kpi.cameras_total": ("视频点位", "Cameras"),
    "kpi.cameras_online_rate": ("在线率", "Online rate"),
    "kpi.cameras_ai": ("智能分析点位", "AI-enabled cameras"),
    "kpi.video_events_open": ("待处置事件", "Open video events"),
    "kpi.waybills_in_transit": ("在途运单", "Waybills in transit"),
    "kpi.tonnage_in_transit": ("在途吨位", "Tonnage in transit"),
    "kpi.hazmat_alarms_open": ("未关闭报警", "Open alarms"),
    "kpi.rentals_registered": ("登记出租房", "Registered rentals"),
    "kpi.rentals_suspected": ("疑似群租", "Suspected group rentals"),
    "kpi.rentals_rectify_rate": ("整改完成率", "Rectification rate"),
    "kpi.bookings_visitors": ("预约游客", "Booked visitors"),
    "kpi.bookings_checkin_rate": ("核验率", "Check-in rate"),
    "kpi.peak_slot_load": ("峰值时段承载率", "Peak slot load"),
    "kpi.complaints_open": ("待处理投诉", "Open complaints"),
    # data catalogue
    "nav.data": ("数据目录", "Data catalogue"),
    "data.title": ("数据目录", "Data catalogue"),
    "data.datasets": ("数据集", "Datasets"),
    "data.by_department": ("视频点位（按所属部门）", "Cameras by owning department"),
    "data.loads": ("最近装载", "Recent loads"),
    "data.issues": ("隔离与标记的行", "Quarantined and flagged rows"),
    "data.issues_hint": (
        "在“最近装载”中点击一行查看其隔离记录。",
        "Click a row of Recent loads to see its quarantined rows.",
    ),
    "data.no_loads": (
        "尚无装载记录：用 cityops load 装载部门数据。",
        "Nothing loaded yet: load department files with `cityops load`.",
    ),
    "data.no_issues": (
        "该次装载没有被隔离或标记的行。",
        "This load has no quarantined or flagged rows.",
    ),
    "data.store_version": ("当前数据版本", "Store version"),
    "col.dataset": ("数据集", "Dataset"),
    "col.label": ("名称", "Name"),
    "col.department": ("部门", "Department"),
    "col.rows": ("行数", "Rows"),
    "col.last_loaded_at": ("最近装载", "Last loaded"),
    "col.age_hours": ("距今(小时)", "Age (h)"),
    "col.latest_record_at": ("最新记录时间", "Latest record"),
    "col.freshness": ("时效", "Freshness"),
    "col.quarantined_last": ("最近一次隔离", "Quarantined (last load)"),
    "col.quarantined_total": ("累计隔离", "Quarantined (all loads)"),
    "col.flagged_total": ("累计标记", "Flagged (all loads)"),
    "col.loads": ("装载次数", "Loads"),
    "col.file": ("文件", "File"),
    "col.finished_at": ("完成时间", "Finished"),
    "col.rows_read": ("读取", "Read"),
    "col.inserted": ("新增", "Inserted"),
    "col.updated": ("更新", "Updated"),
    "col.quarantined": ("隔离", "Quarantined"),
    "col.flagged": ("标记", "Flagged"),
    "col.format": ("格式", "Format"),
    "col.encoding": ("编码", "Encoding"),
    "col.crs": ("坐标系", "CRS"),
    "col.row_number": ("行号", "Row"),
    "col.severity": ("处理", "Outcome"),
    "col.reason": ("原因", "Reason"),
    "col.column_name": ("列", "Column"),
    "col.message": ("说明", "Message"),
    "col.raw": ("原始行", "Raw row"),
    "col.cameras": ("点位数", "Cameras"),
    "col.online": ("在线", "Online"),
    "fresh.ok": ("正常", "fresh"),
    "fresh.stale": ("过期", "stale"),
    "fresh.never": ("未装载", "never loaded"),
    "severity.quarantined": ("隔离", "quarantined"),
    "severity.flagged": ("标记", "flagged"),
    # errors and empty states
    "error.scope": ("无法显示该范围：{detail}", "Cannot show this area: {detail}"),
    "error.date": ("日期格式应为 YYYY-MM-DD：{value}", "Dates are YYYY-MM-DD: {value}"),
    "error.no_store": (
        "数据库尚未初始化，请先运行 cityops init 与 cityops demo。",
        "The store is empty: run `cityops init` and `cityops demo` first.",
    ),
    "error.unavailable": (
        "数据暂时无法读取，请稍后刷新；问题持续请联系值班运维。",
        "The data cannot be read right now; refresh in a moment, or call the duty engineer.",
    ),
    "error.back_home": ("返回全省总览", "Back to the province overview"),
    "error.not_found": ("页面不存在", "Page not found"),
    # units
    "unit.tonnes": ("吨", "t"),
}


def t(key: str, lang: str = "zh", **fmt: object) -> str:
    """Return the label ``key`` in ``lang`` (``zh`` or ``en``), formatted with ``fmt``."""
    zh, en = TABLE[key]
    text = en if lang == "en" else zh
    return text.format(**fmt) if fmt else text


def normalise_lang(value: str | None, default: str = "zh") -> str:
    """Return ``value`` if it is a supported language, else ``default``."""
    return value if value in LANGS else default
