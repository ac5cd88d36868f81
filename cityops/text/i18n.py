"""The one translation table: every UI label in 简体中文 and English.

Area names are proper names and stay Chinese in both languages. Look labels up
with :func:`t`; a missing key raises, so a typo fails a test, not a screen.
"""

from __future__ import annotations

import functools
import math

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
    "auth.demo_banner": (
        "演示模式：仅本机可访问，管理员密码见启动输出或数据目录中的 demo-login.txt；"
        "正式部署请设置 CITYOPS_SECRET_KEY 并创建账号。",
        "Demo mode: this machine only; the admin password is in the start-up output and "
        "demo-login.txt in the data folder. For a real deployment set CITYOPS_SECRET_KEY and "
        "create accounts.",
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
    # loads, refusals and quarantine messages (cityops load, /data)
    "dataset.cameras": ("视频点位", "Video points"),
    "dataset.video_events": ("视频智能事件", "Video algorithm events"),
    "dataset.hazmat_waybills": ("危化品电子运单", "Hazmat waybills"),
    "dataset.hazmat_tracks": ("危化品车辆轨迹", "Hazmat vehicle tracks"),
    "dataset.hazmat_alarms": ("危化品运输报警", "Hazmat transport alarms"),
    "dataset.rentals": ("出租房屋", "Rental housing"),
    "dataset.scenic_spots": ("景区", "Scenic spots"),
    "dataset.bookings": ("分时预约", "Timed bookings"),
    "dataset.feedback": ("评价投诉", "Ratings and complaints"),
    "dataset.district_population": ("区县人口", "District population"),
    "load.accepted": ("已接收", "accepted"),
    "load.refused": ("已拒收", "refused"),
    "col.refusal": ("拒收原因", "Refusal"),
    "col.warnings": ("提示", "Warnings"),
    "col.last_refused_at": ("最近拒收", "Last refused"),
    "col.last_refusal": ("最近拒收原因", "Last refusal"),
    "col.refused_total": ("累计拒收", "Refused (all loads)"),
    "col.reason_code": ("原因代码", "Reason code"),
    "col.reason_label": ("原因", "Reason"),
    "data.refused_load": (
        "该文件被拒收，未写入任何数据：{reason}",
        "This file was refused and changed nothing: {reason}",
    ),
    "reason.missing": ("缺少必填值", "missing value"),
    "reason.type": ("类型或格式错误", "wrong type or form"),
    "reason.range": ("超出范围", "out of range"),
    "reason.enum": ("不是允许的取值", "not an allowed value"),
    "reason.reference": ("引用的编号不存在", "unknown reference"),
    "reason.outside": ("位置不在已接入区县内", "outside every district"),
    "reason.duplicate": ("编号重复", "repeated key"),
    "reason.malformed": ("行格式错误", "malformed row"),
    "reason.rule": ("违反规则", "rule broken"),
    "reason.district": ("区县代码与位置不符", "district code disagrees"),
    "issue.missing": ("{column}：必须有值", "{column}: a value is required"),
    "issue.enum": (
        "{column}：{value} 不是允许的取值（{choices}）",
        "{column}: {value} is not one of {choices}",
    ),
    "issue.timestamp": (
        "{column}：{value} 不是 ISO 8601 时间",
        "{column}: {value} is not an ISO 8601 timestamp",
    ),
    "issue.date": (
        "{column}：{value} 不是 ISO 8601 日期",
        "{column}: {value} is not an ISO 8601 date",
    ),
    "issue.hhmm": (
        "{column}：{value} 不是 HH:MM 格式的时刻",
        "{column}: {value} is not a time of day HH:MM",
    ),
    "issue.number": ("{column}：{value} 不是数字", "{column}: {value} is not a number"),
    "issue.whole_number": ("{column}：{value} 不是整数", "{column}: {value} is not a whole number"),
    "issue.bool": (
        "{column}：{value} 不是 true/false、1/0、是/否 或 Y/N",
        "{column}: {value} is not true/false, 1/0, 是/否 or Y/N",
    ),
    "issue.form": (
        "{column}：{value} 格式不符合要求",
        "{column}: {value} does not have the expected form",
    ),
    "issue.range": (
        "{column}：{value} 超出范围（{bounds}）",
        "{column}: {value} is out of range ({bounds})",
    ),
    "issue.slot_order": (
        "时段结束（slot_end）必须晚于时段开始（slot_start）",
        "slot_end must be later than slot_start",
    ),
    "issue.rating_on_complaint": (
        "投诉不应有评分（评分只用于评价）",
        "rating given on a complaint (ratings are for evaluations)",
    ),
    "issue.malformed": (
        "该行有 {fields} 个字段，多于表头的列数",
        "row has {fields} fields, more than the header",
    ),
    "issue.outside": (
        "点 ({lon}, {lat}) 不在任何已接入的区县内",
        "point ({lon}, {lat}) lies outside every enabled district",
    ),
    "issue.district": (
        "给出的区县代码为 {given}，但该点位于 {placed}",
        "district_code {given} given, the point lies in {placed}",
    ),
    "issue.reference": (
        "{column}：{value} 在库中不存在（请先装载 {table}）",
        "{column}: {value} is not in the store (load {table} first)",
    ),
    "issue.not_district": (
        "{column}：{value} 不是本省的区县",
        "{column}: {value} is not a district of the province",
    ),
    "issue.duplicate": (
        "编号 {ids} 在第 {row} 行再次出现，装载的是该行",
        "key {ids} appears again at row {row}, which is loaded",
    ),
    "refusal.unknown_dataset": (
        "未知的数据集 {dataset}：应为 {choices} 之一",
        "unknown dataset {dataset}: one of {choices}",
    ),
    "refusal.unknown_crs": (
        "未知的坐标系 {crs}：应为 {choices} 之一",
        "unknown CRS {crs}: one of {choices}",
    ),
    "refusal.no_such_file": ("文件不存在：{path}", "no such file: {path}"),
    "refusal.unsupported_type": (
        "不支持的文件类型 {ext}：应为 .csv、.xlsx、.parquet 或 .geojson",
        "unsupported file type {ext}: expected .csv, .xlsx, .parquet or .geojson",
    ),
    "refusal.text_type": (
        "不支持的文件类型 {ext}：应为 .csv、.xlsx、.parquet 或 .geojson；"
        "若它是逗号、分号或制表符分隔的文本，请改名为 .csv",
        "unsupported file type {ext}: expected .csv, .xlsx, .parquet or .geojson "
        "(if it is comma-, semicolon- or tab-separated text, rename it .csv)",
    ),
    "refusal.xls": (
        "旧版 Excel 97-2003 工作簿（.xls）：请在 Excel 中另存为 .xlsx",
        "an old Excel 97-2003 workbook (.xls): open it in Excel and save it as .xlsx",
    ),
    "refusal.empty": (
        "文件是空的（0 字节）：应为一个 {dataset} 数据文件",
        "the file is empty (0 bytes): expected a {dataset} file",
    ),
    "refusal.utf16": (
        "文件是 UTF-16 文本（Excel 的“Unicode 文本”）：请另存为“CSV UTF-8”或 GBK 编码的 CSV",
        'the file is UTF-16 text (Excel\'s "Unicode text"): expected CSV in UTF-8 or GBK; '
        'save it as "CSV UTF-8"',
    ),
    "refusal.binary": (
        "文件不是文本（含二进制字节）：应为 UTF-8、GBK 或 GB18030 编码的 CSV",
        "the file is not text (it holds binary bytes): expected CSV in UTF-8, GBK or GB18030",
    ),
    "refusal.not_text": (
        "文件不是 UTF-8、GBK 或 GB18030 文本（第 {offset} 字节无法解码）：请另存为“CSV UTF-8”",
        "not text in UTF-8, GBK or GB18030 (byte {offset} cannot be decoded): "
        'save it as "CSV UTF-8"',
    ),
    "refusal.bad_bom": (
        "文件以 UTF-8 标记开头，但内容不是 UTF-8（第 {offset} 字节）：请重新导出为“CSV UTF-8”",
        "the file starts with a UTF-8 mark but is not UTF-8 (byte {offset}): "
        'export it again as "CSV UTF-8"',
    ),
    "refusal.zip_as_text": (
        "这是 Excel 工作簿或压缩包，却以 {ext} 命名：若是 Excel 工作簿，请改名为 .xlsx",
        "this is an Excel workbook or a ZIP archive named {ext}: "
        "if it is a workbook, rename it .xlsx",
    ),
    "refusal.not_xlsx": (
        "无法读取 xlsx：文件已损坏或不是 Excel 工作簿（.xlsx）",
        "cannot read xlsx: the file is damaged or is not an Excel workbook (.xlsx)",
    ),
    "refusal.xls_as_xlsx": (
        "无法读取 xlsx：这是旧版 Excel（.xls）或加密的工作簿，请另存为无密码的 .xlsx",
        "cannot read xlsx: this is an old Excel 97-2003 (.xls) or password-protected workbook; "
        "save it as .xlsx without a password",
    ),
    "refusal.text_as_xlsx": (
        "无法读取 xlsx：这是以 .xlsx 命名的文本文件；若它是 CSV，请改名为 .csv",
        "cannot read xlsx: this is a text file named .xlsx; if it is CSV, rename it .csv",
    ),
    "refusal.not_parquet": (
        "无法读取 parquet：文件已损坏或不是 Parquet 文件",
        "cannot read parquet: the file is damaged or is not a Parquet file",
    ),
    "refusal.unreadable": (
        "无法读取 {fmt}：文件已损坏或不是 {fmt} 文件",
        "cannot read {fmt}: the file is damaged or is not a {fmt} file",
    ),
    "refusal.geojson_encoding": ("GeoJSON 必须是 UTF-8 编码", "GeoJSON must be UTF-8"),
    "refusal.geojson_json": (
        "不是有效的 GeoJSON：JSON 在第 {line} 行第 {column} 列出错",
        "not valid GeoJSON: the JSON is broken at line {line}, column {column}",
    ),
    "refusal.geojson_type": (
        "不是 GeoJSON 要素集合（FeatureCollection），而是 {found}",
        "not a GeoJSON FeatureCollection (found {found})",
    ),
    "refusal.geojson_unlocated": (
        "{dataset} 的行没有位置：不接受 GeoJSON",
        "{dataset} rows have no location: GeoJSON is not accepted",
    ),
    "refusal.no_header": (
        "未找到 {dataset} 文件的表头行：应有 {expected} 等列",
        "no header row of a {dataset} file found: expected columns such as {expected}",
    ),
    "refusal.no_header_sheets": (
        "工作簿的各工作表（{sheets}）都没有 {dataset} 文件的表头行：应有 {expected} 等列",
        "no header row of a {dataset} file found on any sheet ({sheets}): "
        "expected columns such as {expected}",
    ),
    "refusal.no_sheet": (
        "工作簿中没有工作表 {sheet}：现有工作表为 {sheets}",
        "no sheet {sheet} in the workbook: its sheets are {sheets}",
    ),
    "refusal.looks_like": (
        "这看起来是 {other} 文件（{label}，含 {found}），不是 {dataset} 文件："
        "请用 cityops load {other} 装载",
        "this looks like a {other} file ({label}: it has {found}), not a {dataset} file: "
        "load it with `cityops load {other} …`",
    ),
    "refusal.missing_columns": (
        "{dataset} 缺少必需的列：{missing}",
        "required columns missing for {dataset}: {missing}",
    ),
    "refusal.missing_columns_found": (
        "{dataset} 缺少必需的列：{missing}；文件中未识别的列：{unknown}",
        "required columns missing for {dataset}: {missing}; columns found that are not in "
        "the contract: {unknown}",
    ),
    "refusal.missing_columns_hint": (
        "{dataset} 缺少必需的列：{missing}；文件中未识别的列：{unknown}；是否应为 {hint}？",
        "required columns missing for {dataset}: {missing}; columns found that are not in "
        "the contract: {unknown}; did you mean {hint}?",
    ),
    "warning.crs_title": (
        "标题“{text}”提到 {hint}（{crs} 坐标），但坐标按 {given} 读取：若确为 {crs}，"
        "请用 --crs {crs} 重新装载",
        'the title "{text}" mentions {hint} ({crs} coordinates) but they were read as '
        "{given}: if they are {crs}, load the file again with --crs {crs}",
    ),
    "warning.sheet_ignored": (
        "--sheet 只用于 Excel 工作簿：{fmt} 文件忽略此选项",
        "--sheet applies to Excel workbooks only: ignored for a {fmt} file",
    ),
    "warning.crs_header": (
        "列名“{text}”提到 {hint}（{crs} 坐标），但坐标按 {given} 读取：若确为 {crs}，"
        "请用 --crs {crs} 重新装载",
        'the column "{text}" mentions {hint} ({crs} coordinates) but they were read as '
        "{given}: if they are {crs}, load the file again with --crs {crs}",
    ),
    # loaders: nothing lost, nothing garbled, nothing executed
    "reason.too_long": ("值过长", "value too long"),
    "reason.ambiguous_number": ("数字含义不明确", "ambiguous number"),
    "reason.spreadsheet_error": ("表格错误值", "spreadsheet error"),
    "reason.formula_without_value": ("公式没有计算结果", "formula without a value"),
    "reason.merged": ("合并单元格", "merged cell"),
    "reason.invisible": ("编号含不可见字符", "invisible characters in a key"),
    "issue.unclosed_quote": (
        '本行列“{column}”中的引号（"）没有闭合，会吞掉后面的行：本行已隔离，其后各行单独读取',
        'the quote (") opening the column "{column}" is never closed on this line and would '
        "swallow the lines below: this line is quarantined, the lines below were read on "
        "their own",
    ),
    "issue.short_row": (
        "该行只有 {fields} 个字段，少于表头的 {width} 列",
        "row has {fields} fields, fewer than the header's {width}",
    ),
    "issue.bad_feature": (
        "第 {n} 个要素不是 GeoJSON Feature 对象",
        "feature {n} is not a GeoJSON Feature object",
    ),
    "issue.too_long": (
        "{column}：值有 {length} 个字符，超过允许的 {limit} 个",
        "{column}: the value has {length} characters, more than the {limit} allowed",
    ),
    "issue.ambiguous_number": (
        "{column}：{value} 中的逗号无法确定是小数点还是千位分隔符：请写成 60.5 或 1234",
        "{column}: {value} — the comma could be a decimal comma or a thousands separator: "
        "write 60.5 or 1234",
    ),
    "issue.spreadsheet_error": (
        "{column}：单元格 {cell} 是表格错误值 {value}，不是数据",
        "{column}: cell {cell} holds the spreadsheet error {value}, not a value",
    ),
    "issue.spreadsheet_error_text": (
        "{column}：{value} 是表格错误值，不是数据",
        "{column}: {value} is a spreadsheet error, not a value",
    ),
    "issue.formula_without_value": (
        "{column}：单元格 {cell} 有公式（{formula}）但没有保存计算结果：请在 Excel 中打开、"
        "重新计算并保存",
        "{column}: cell {cell} holds a formula ({formula}) with no saved value: open the "
        "workbook in Excel, let it calculate and save it",
    ),
    "issue.merged": (
        "{column}：单元格 {cell} 位于合并区域 {range} 内，其值属于首个单元格 {first}",
        "{column}: cell {cell} lies inside the merged range {range}, whose value belongs to "
        "its first cell {first}",
    ),
    "issue.invisible_key": (
        "{column}：编号含不可见字符，已删除，按 {value} 装载",
        "{column}: the key held invisible characters, removed: loaded as {value}",
    ),
    "issue.nested": (
        "{column}：这里应是单个值，却是列表或对象",
        "{column}: a list or object where a single value belongs",
    ),
    "refusal.unknown_encoding": (
        "未知的编码 {encoding}：请用 utf-8、gb18030、big5、shift_jis 等名称",
        "unknown encoding {encoding}: use a name such as utf-8, gb18030, big5 or shift_jis",
    ),
    "refusal.decode_strict": (
        "文件不是有效的 {encoding} 文本：第 {line} 行（第 {offset} 字节）无法解码",
        "the file is not valid {encoding} text: line {line} (byte {offset}) cannot be decoded",
    ),
    "refusal.utf8_stray": (
        "文件是 UTF-8 文本，但有 {count} 个字节不是（首个在第 {line} 行，第 {offset} 字节）："
        "请改正；若文件确为 GBK/GB18030，请用 --encoding gb18030 装载",
        "the file is UTF-8 except for {count} byte(s) that are not (the first on line {line}, "
        "byte {offset}): correct them, or if the file is GBK/GB18030 load it with "
        "--encoding gb18030",
    ),
    "refusal.encoding_likely": (
        "文件不像 GBK/GB18030 文本（第 {line} 行解码出中文文件中罕见的字符），而像 {label_zh}："
        "若是，请用 --encoding {encoding} 装载",
        "the file does not read as GBK/GB18030 text (line {line} decodes to characters rare "
        "in Chinese files); it reads as {label}: if so, load it with --encoding {encoding}",
    ),
    "refusal.encoding_implausible": (
        "文件不像 GBK/GB18030 文本：第 {line} 行起解码出中文文件中罕见的字符（{total} 个中有 "
        "{rare} 个）：请用 --encoding 指明编码（如 big5、shift_jis）；若确为 GB18030，"
        "请用 --encoding gb18030",
        "the file does not read as GBK/GB18030 text: from line {line} it decodes to characters "
        "rare in Chinese files ({rare} of {total}): give its encoding with --encoding (e.g. "
        "big5, shift_jis), or --encoding gb18030 if it is right",
    ),
    "refusal.not_text_line": (
        "文件不是 UTF-8、GBK 或 GB18030 文本（第 {line} 行，第 {offset} 字节无法解码）："
        "请另存为“CSV UTF-8”，或用 --encoding 指明编码",
        "not text in UTF-8, GBK or GB18030 (line {line}, byte {offset} cannot be decoded): "
        'save it as "CSV UTF-8", or give its encoding with --encoding',
    ),
    "refusal.parquet_binary": (
        "Parquet 文件的列 {column} 存的是字节，且不是 UTF-8 文本（第 {row} 行）：文本列应为 "
        "UTF-8 字符串",
        "column {column} of the Parquet file holds bytes that are not UTF-8 text (row {row}): "
        "expected text columns as UTF-8 strings",
    ),
    "refusal.geojson_encoding_line": (
        "GeoJSON 必须是 UTF-8 编码：第 {line} 行（第 {offset} 字节）不是",
        "GeoJSON must be UTF-8: line {line} (byte {offset}) is not",
    ),
    "refusal.geojson_no_features": (
        "不是可读的 GeoJSON：{count} 个要素都不是带 properties 的 Feature 对象",
        "no readable GeoJSON: none of its {count} features is a Feature object with properties",
    ),
    "refusal.geojson_features": (
        "不是 GeoJSON 要素集合：features 应为列表，却是 {found}",
        "not a GeoJSON FeatureCollection: its features are {found}, not a list",
    ),
    "warning.encoding_ignored": (
        "--encoding 只用于 CSV 文件：{fmt} 文件忽略此选项",
        "--encoding applies to CSV files only: ignored for a {fmt} file",
    ),
    "warning.invisible": (
        "已从列 {columns} 删除 {count} 个不可见或控制字符（{chars}）",
        "removed {count} invisible or control characters ({chars}) from {columns}",
    ),
    "warning.decimal_comma": (
        "列 {columns} 中有 {count} 个数字用逗号作小数点（60,5 读作 60.5）",
        "read {count} numbers written with a decimal comma (60,5 as 60.5) in {columns}",
    ),
    "warning.merged_filled": (
        "列 {columns} 中 {count} 个合并单元格已填入合并区域的值",
        "filled {count} cells of merged ranges with the range's value in {columns}",
    ),
    "warning.cr_in_values": (
        "{count} 处回车符（CR）位于值中间，已读作值内换行",
        "{count} carriage returns (CR) inside values were read as line breaks within the value",
    ),
    # data catalogue
    "nav.data": ("数据目录", "Data catalogue"),
    "nav.wall": ("大屏", "Wall"),
    "data.title": ("数据目录", "Data catalogue"),
    "data.datasets": ("数据集", "Datasets"),
    "data.by_department": ("视频点位（按所属部门）", "Cameras by owning department"),
    "data.loads": ("最近装载", "Recent loads"),
    "data.issues": ("隔离与标记的行", "Quarantined and flagged rows"),
    "data.issues_hint": (
        "在“最近装载”中点击一行查看其隔离记录。",
        "Click a row of Recent loads to see its quarantined rows.",
    ),
    "data.province_only": (
        "装载记录与隔离行涉及全省各区的数据，仅全省账号可见；上表的行数与最新记录均已限定在您的辖区。",
        "Loads and quarantined rows hold every district's data: for province accounts only. "
        "The rows and newest records above are counted in your area.",
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
    "col.outcome": ("处理", "Outcome"),
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
    # domain pages (shared)
    "nav.video": ("视频感知", "Video"),
    "nav.hazmat": ("危化品", "Hazmat"),
    "nav.rentals": ("出租房屋", "Rentals"),
    "nav.tourism": ("文旅预约", "Tourism"),
    "filter.all": ("全部", "All"),
    "filter.department": ("所属部门", "Department"),
    "table.csv": ("下载 CSV", "Download CSV"),
    "table.xlsx": ("下载 Excel", "Download Excel"),
    "entity.camera": ("摄像机", "Camera"),
    "entity.back": ("返回网格", "Back to the grid cell"),
    "empty.no_rows": ("该范围内没有数据", "No data in this area"),
    "empty.no_events": (
        "该范围内近{days}天无智能事件",
        "No algorithm events in the last {days} days here",
    ),
    "empty.not_found": ("未找到 {what}", "{what} not found"),
    "map.points_hint": (
        "点位聚合显示，聚合点颜色为离线/故障占比（≤5% 绿，≤15% 琥珀，更高为红）；"
        "放大或点击聚合查看单个点位",
        "Points are clustered; a cluster's colour is its share of offline or faulty cameras "
        "(≤ 5 % green, ≤ 15 % amber, more red): zoom or click a cluster to see single points",
    ),
    # video page
    "video.title": ("视频感知", "Video sensing"),
    "video.map_title": ("点位分布与在线率", "Cameras and online rate"),
    "video.by_area": ("各{level}在线率", "Online rate by {level}"),
    "video.by_department": (
        "各部门在线率（点击筛选）",
        "Online rate by department (click to filter)",
    ),
    "video.ai_share": ("智能分析覆盖率", "AI-enabled share"),
    "video.ai_off": ("未启用", "not enabled"),
    "video.events_trend": (
        "近{days}天智能事件（按类型）",
        "Algorithm events, last {days} days, by type",
    ),
    "video.open_events": ("待处置事件", "Open events"),
    "video.history": ("状态变化记录", "Status history"),
    "video.camera_events": ("该点位的智能事件", "This camera's events"),
    "status.online": ("在线", "online"),
    "status.offline": ("离线", "offline"),
    "status.fault": ("故障", "fault"),
    "col.event_id": ("事件编号", "Event"),
    "col.ts": ("发生时间", "Time"),
    "col.open_hours": ("已持续(小时)", "Open for (h)"),
    "col.event_type": ("事件类型", "Type"),
    "col.camera_id": ("点位编号", "Camera"),
    "col.camera_name": ("点位名称", "Camera name"),
    "col.district_code": ("区县", "District"),
    "col.status": ("状态", "Status"),
    "col.closed_at": ("处置时间", "Closed"),
    "col.changed_at": ("变化时间", "Changed at"),
    "col.name": ("名称", "Name"),
    "col.kind": ("类型", "Kind"),
    "col.last_seen": ("最后在线", "Last seen"),
    "col.ai_enabled": ("智能分析", "AI"),
    "col.lonlat": ("坐标 (WGS84)", "Position (WGS84)"),
    "col.grid_cell": ("网格", "Grid cell"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    # hazmat page
    "hazmat.title": ("危化品运输", "Hazardous materials"),
    "hazmat.map_title": (
        "在途车辆（按危险类别着色）与未关闭报警",
        "Vehicles in transit by hazard class, open alarms",
    ),
    "hazmat.tonnage_by_class": (
        "在途吨位（按危险类别，点击筛选）",
        "Tonnage in transit by hazard class (click to filter)",
    ),
    "hazmat.alarms_by_type": ("近7天报警类型", "Alarms by type, last 7 days"),
    "hazmat.alarms_by_severity": (
        "近7天报警等级与状态",
        "Alarms by severity and status, last 7 days",
    ),
    "hazmat.open_alarms": (
        "未关闭报警（按等级、时长）",
        "Open alarms, most severe and oldest first",
    ),
    "hazmat.in_transit": ("在途运单", "Waybills in transit"),
    "hazmat.waybill": ("运单", "Waybill"),
    "hazmat.track": ("轨迹回放", "Track playback"),
    "hazmat.track_hint": (
        "拖动时间轴回放轨迹；报警点随时间出现",
        "Drag the time slider to replay the track; alarms appear as it passes them",
    ),
    "hazmat.no_track": ("该运单尚无轨迹点", "No GPS fixes for this waybill yet"),
    "hazmat.waybill_alarms": ("该运单的报警", "This waybill's alarms"),
    "filter.hazard_class": ("危险类别", "Hazard class"),
    "entity.waybill": ("运单", "Waybill"),
    "alarm.speeding": ("超速", "speeding"),
    "alarm.fatigue": ("疲劳驾驶", "fatigue"),
    "alarm.route_deviation": ("偏离路线", "route deviation"),
    "alarm.restricted_zone": ("进入禁行区", "restricted zone"),
    "alarm.unplanned_stop": ("异常停车", "unplanned stop"),
    "alarm.sensor": ("罐体异常", "tank sensor"),
    "alarm_status.open": ("未处理", "open"),
    "alarm_status.acknowledged": ("已确认", "acknowledged"),
    "alarm_status.closed": ("已关闭", "closed"),
    "severity.1": ("低", "Low"),
    "severity.2": ("中", "Medium"),
    "severity.3": ("高", "High"),
    "waybill_status.planned": ("待起运", "planned"),
    "waybill_status.in_transit": ("在途", "in transit"),
    "waybill_status.arrived": ("已到达", "arrived"),
    "waybill_status.cancelled": ("已取消", "cancelled"),
    "col.alarm_id": ("报警编号", "Alarm"),
    "col.alarm_type": ("报警类型", "Type"),
    "col.severity": ("等级", "Severity"),
    "col.vehicle_plate": ("车牌", "Plate"),
    "col.waybill_id": ("运单编号", "Waybill"),
    "col.hazard_class": ("危险类别", "Class"),
    "col.cargo_name": ("货物", "Cargo"),
    "col.un_number": ("UN编号", "UN number"),
    "col.tonnage": ("载重(吨)", "Tonnes"),
    "col.carrier": ("承运企业", "Carrier"),
    "col.origin_name": ("起运地", "Origin"),
    "col.dest_name": ("目的地", "Destination"),
    "col.depart_at": ("起运时间", "Departed"),
    "col.arrive_at": ("到达时间", "Arrived"),
    "col.position_at": ("最新定位", "Last fix"),
    "col.speed_kmh": ("速度(km/h)", "Speed (km/h)"),
    # rentals page
    "rentals.title": ("出租房屋", "Rental housing"),
    "rentals.map_title": ("疑似群租热力（网格）", "Suspected group rentals by grid cell"),
    "rentals.rule": ("群租判定规则", "Group-rental rule"),
    "rentals.rule_text": (
        "人均建筑面积低于 {area} 平方米，或每间居住人数超过 {per_room} 人，即为疑似群租。",
        "A unit is suspected when floor area per occupant is below {area} m² "
        "or occupants per room exceed {per_room}.",
    ),
    "rentals.rule_city": (
        "{city}：人均低于 {area} 平方米或每间超过 {per_room} 人",
        "{city}: below {area} m² per person or over {per_room} per room",
    ),
    "rentals.funnel": (
        "疑似群租整改漏斗（责令整改、已整改只计疑似群租房屋；"
        "整改完成率卡片计全部曾被责令整改的房屋）",
        "Rectification funnel of suspected group rentals (ordered and rectified count suspected "
        "units only; the rectification-rate card counts every unit ever ordered)",
    ),
    "rentals.suspected_units": (
        "疑似群租房屋（个人信息已脱敏）",
        "Suspected group rentals (personal data masked)",
    ),
    "rentals.unit": ("房屋", "Unit"),
    "funnel.registered": ("登记出租房", "registered"),
    "funnel.suspected": ("疑似群租", "suspected"),
    "funnel.ordered": ("责令整改", "ordered to rectify"),
    "funnel.rectified": ("已整改", "rectified"),
    "inspection.none": ("未核查", "not inspected"),
    "inspection.ok": ("正常", "ok"),
    "inspection.rectify": ("责令整改", "ordered to rectify"),
    "inspection.rectified": ("已整改", "rectified"),
    "entity.unit": ("房屋", "Unit"),
    "col.unit_id": ("房屋编号", "Unit"),
    "col.address": ("地址", "Address"),
    "col.floor_area_m2": ("建筑面积(㎡)", "Floor area (m²)"),
    "col.rooms": ("房间数", "Rooms"),
    "col.occupants": ("登记人数", "Occupants"),
    "col.area_per_person": ("人均面积(㎡)", "m² per person"),
    "col.per_room": ("每间人数", "Per room"),
    "col.inspection_status": ("核查状态", "Inspection"),
    "col.landlord_name": ("房东", "Landlord"),
    "col.landlord_phone": ("房东电话", "Landlord phone"),
    "col.registered_at": ("登记时间", "Registered"),
    "col.inspected_at": ("核查时间", "Inspected"),
    # tourism page
    "tourism.title": ("文旅分时预约", "Tourism bookings"),
    "tourism.map_title": (
        "景区分布（大小为当日预约人数，颜色为峰值承载）",
        "Spots: size is the day's visitors, colour the peak load",
    ),
    "tourism.heatmap": (
        "景区 × 时段 承载率（≥60% 黄，≥80% 红）",
        "Load by spot and time slot (amber ≥ 60%, red ≥ 80%)",
    ),
    "tourism.trend": (
        "预约人数趋势（灰：周末，黄：法定节假日）",
        "Booked visitors by day (grey: weekends, yellow: public holidays)",
    ),
    "tourism.origins": ("近30天客源地", "Where visitors came from, last 30 days"),
    "tourism.feedback": ("近30天投诉与评价", "Complaints and ratings, last 30 days"),
    "tourism.no_bookings": ("该范围当日无预约数据", "No bookings here for this day"),
    "tourism.spot": ("景区", "Spot"),
    "tourism.slots": ("当日各时段", "The day's time slots"),
    "filter.spot": ("景区", "Spot"),
    "entity.spot": ("景区", "Spot"),
    "booking.booked": ("已预约", "booked"),
    "booking.checked_in": ("已核验", "checked in"),
    "booking.cancelled": ("已取消", "cancelled"),
    "booking.no_show": ("未到", "no-show"),
    "feedback.complaint_open": ("投诉·待处理", "complaints open"),
    "feedback.complaint_resolved": ("投诉·已处理", "complaints resolved"),
    "feedback.rating": ("{n}星评价", "{n}-star ratings"),
    "col.slot_start": ("时段", "Slot"),
    "col.party": ("人数", "Visitors"),
    "col.instant_capacity": ("瞬时承载量", "Instant capacity"),
    "col.daily_capacity": ("日承载量", "Daily capacity"),
    "col.load": ("承载率", "Load"),
    "col.grade": ("等级", "Grade"),
    "col.visitors": ("当日预约人数", "Visitors today"),
    "col.checked_in": ("已核验", "Checked in"),
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
    "error.retry": ("重试", "Retry"),
    "error.bad_scope": (
        "链接中的范围 {code} 无法显示："
        "它不是已接入的区县（6位行政区划代码）或本系统网格（H3 第8级）。",
        "The link's area {code} cannot be shown: it is not a switched-on area (6-digit code) "
        "or a grid cell of this system (H3 resolution 8).",
    ),
    "error.bad_day": (
        "链接中的日期 {value} 无效：应为 {low} 至 {high} 之间的 YYYY-MM-DD。",
        "The link's date {value} is not valid: use YYYY-MM-DD between {low} and {high}.",
    ),
    "error.repeated": (
        "链接中的参数 {name} 重复或不是文字，请只给一次。",
        "The link gives {name} more than once or not as text: give it once.",
    ),
    "data.load_not_found": (
        "没有编号为 {id} 的装载记录",
        "No load has the id {id}",
    ),
    "error.page_failed": (
        "本页数据暂时无法读取（已记录，值班运维可据此排查）。可重试，或稍后刷新。",
        "This page's data cannot be read right now (logged for the duty engineer). "
        "Retry, or refresh in a moment.",
    ),
    "error.denied_scope": (
        "{code} 不在您的权限范围内",
        "{code} is outside the area you may see",
    ),
    "error.to_province": ("查看全省", "Show the whole province"),
    "error.to_area": ("查看{name}", "Show {name}"),
    "entity.not_found": (
        "未找到{kind} {id}：编号不存在，或已被删除。",
        "{kind} {id} not found: no such id, or it was removed.",
    ),
    "entity.denied": (
        "{kind} {id} 不在您的权限范围内。",
        "{kind} {id} is outside the area you may see.",
    ),
    "entity.filter_note": ("筛选：{what}", "Filter: {what}"),
    "kpi.entity": ("当前对象", "this item"),
    "pop.cameras": ("视频点位", "cameras"),
    "pop.video_events": ("视频智能事件", "video algorithm events"),
    "pop.waybills": ("在途运单", "waybills in transit"),
    "pop.alarms": ("危化品运输报警", "hazmat alarms"),
    "pop.rentals": ("登记出租房屋", "registered rental units"),
    "pop.rentals_ordered": ("曾被责令整改的出租房屋", "rental units ever ordered to rectify"),
    "pop.bookings": ("当日预约", "the day's bookings"),
    "pop.slots": ("当日各景区时段", "the day's time slots"),
    "pop.complaints": ("投诉", "complaints"),
    "error.not_found": ("页面不存在", "Page not found"),
    # units
    "unit.tonnes": ("吨", "t"),
    "unit.events": ("起", "events"),
    "unit.alarms": ("起", "alarms"),
    "unit.visitors": ("人次", "visitors"),
    "unit.cameras": ("个", "cameras"),
    "unit.units": ("套", "units"),
    # browser tab titles (pages: title=lambda **_: t("title.video", lang))
    "title.overview": ("总览 · 城市运行一网统管", "Overview · City Operations Centre"),
    "title.video": ("视频感知 · 城市运行一网统管", "Video sensing · City Operations Centre"),
    "title.hazmat": (
        "危化品运输 · 城市运行一网统管",
        "Hazardous materials · City Operations Centre",
    ),
    "title.rentals": ("出租房屋 · 城市运行一网统管", "Rental housing · City Operations Centre"),
    "title.tourism": ("文旅预约 · 城市运行一网统管", "Tourism bookings · City Operations Centre"),
    "title.data": ("数据目录 · 城市运行一网统管", "Data catalogue · City Operations Centre"),
    "title.wall": ("指挥大屏 · 城市运行一网统管", "Wall · City Operations Centre"),
    "title.not_found": ("页面不存在 · 城市运行一网统管", "Page not found · City Operations Centre"),
    # shell, date picker, downloads
    "app.loading": ("加载中…", "Loading…"),
    "nav.label": ("主导航", "Main navigation"),
    "date.placeholder": ("选择日期", "Choose a date"),
    "grid.no_rows": ("没有可显示的行", "No rows to show"),
    "export.scope": ("范围", "Area"),
    "export.date": ("日期", "Date"),
    "export.exported_at": ("导出时间", "Exported at"),
    # data values of fixed vocabularies: translate them with t_value(kind, value, lang)
    "event_status.open": ("待处置", "open"),
    "event_status.closed": ("已处置", "closed"),
    "event_type.illegal_parking": ("违章停车", "illegal parking"),
    "event_type.street_vending": ("占道经营", "street vending"),
    "event_type.overflowing_bin": ("垃圾满溢", "overflowing bin"),
    "event_type.crowd": ("人群聚集", "crowd gathering"),
    "event_type.smoke_fire": ("烟火", "smoke or fire"),
    "department.police": ("公安", "Public security"),
    "department.transport": ("交通", "Transport"),
    "department.urban_management": ("城管", "Urban management"),
    "department.emergency": ("应急管理", "Emergency management"),
    "department.water": ("水务", "Water affairs"),
    "department.culture_tourism": ("文旅", "Culture and tourism"),
    "camera_kind.bullet": ("枪机", "bullet camera"),
    "camera_kind.dome": ("球机", "dome camera"),
    "camera_kind.checkpoint": ("卡口", "checkpoint camera"),
    "camera_kind.lookout": ("高空瞭望", "high-point lookout"),
    "channel.suxinyou": ("苏心游小程序", "Suxinyou mini-program"),
    "channel.website": ("景区官网", "spot website"),
    "channel.ota": ("OTA平台", "online travel agencies"),
    "channel.onsite": ("现场扫码", "on-site QR code"),
    "origin.jiangsu": ("江苏", "江苏 Jiangsu"),
    "origin.shanghai": ("上海", "上海 Shanghai"),
    "origin.zhejiang": ("浙江", "浙江 Zhejiang"),
    "origin.anhui": ("安徽", "安徽 Anhui"),
    "origin.shandong": ("山东", "山东 Shandong"),
    "origin.beijing": ("北京", "北京 Beijing"),
    "origin.other": ("其他", "other"),
    # hazard classes and divisions (GB 6944 / UN Model Regulations)
    "hazard.1": ("爆炸品", "Explosives"),
    "hazard.1.1": ("有整体爆炸危险的爆炸品", "Explosives, mass explosion hazard"),
    "hazard.1.2": ("有迸射危险的爆炸品", "Explosives, projection hazard"),
    "hazard.1.3": (
        "有燃烧危险和局部爆炸或迸射危险的爆炸品",
        "Explosives, fire hazard with minor blast or projection hazard",
    ),
    "hazard.1.4": ("不呈现重大危险的爆炸品", "Explosives, no significant hazard"),
    "hazard.1.5": (
        "有整体爆炸危险的非常不敏感物质",
        "Very insensitive substances, mass explosion hazard",
    ),
    "hazard.1.6": ("无整体爆炸危险的极端不敏感物品", "Extremely insensitive articles"),
    "hazard.2": ("气体", "Gases"),
    "hazard.2.1": ("易燃气体", "Flammable gas"),
    "hazard.2.2": ("非易燃无毒气体", "Non-flammable, non-toxic gas"),
    "hazard.2.3": ("毒性气体", "Toxic gas"),
    "hazard.3": ("易燃液体", "Flammable liquids"),
    "hazard.4": (
        "易燃固体、易于自燃的物质、遇水放出易燃气体的物质",
        "Flammable solids; spontaneously combustible; dangerous when wet",
    ),
    "hazard.4.1": ("易燃固体", "Flammable solids"),
    "hazard.4.2": ("易于自燃的物质", "Spontaneously combustible substances"),
    "hazard.4.3": ("遇水放出易燃气体的物质", "Dangerous when wet"),
    "hazard.5": ("氧化性物质和有机过氧化物", "Oxidizers and organic peroxides"),
    "hazard.5.1": ("氧化性物质", "Oxidizing substances"),
    "hazard.5.2": ("有机过氧化物", "Organic peroxides"),
    "hazard.6": ("毒性物质和感染性物质", "Toxic and infectious substances"),
    "hazard.6.1": ("毒性物质", "Toxic substances"),
    "hazard.6.2": ("感染性物质", "Infectious substances"),
    "hazard.7": ("放射性物质", "Radioactive material"),
    "hazard.8": ("腐蚀性物质", "Corrosive substances"),
    "hazard.9": ("杂项危险物质和物品", "Miscellaneous dangerous goods"),
    # the wall (大屏)
    "wall.title": ("城市运行指挥大屏", "City Operations Wall"),
    "wall.page.overview": ("综合态势", "Overview"),
    "wall.page.video": ("视频感知", "Video sensing"),
    "wall.page.hazmat": ("危化品运输", "Hazardous materials"),
    "wall.page.rentals": ("出租房屋", "Rental housing"),
    "wall.page.tourism": ("文旅预约", "Tourism bookings"),
    "wall.asof": ("数据截至 {time}", "Data as of {time}"),
    "wall.status_ok": ("数据正常", "All sources fresh"),
    "wall.status_stale": ("{n} 项数据超时", "{n} sources stale"),
    "wall.updated": ("更新于 {age}", "Updated {age}"),
    "wall.stale": ("超时 · 最后更新 {time}", "Stale · last {time}"),
    "wall.never": ("尚无数据", "No data yet"),
    "wall.age.now": ("刚刚", "just now"),
    "wall.age.seconds": ("{n} 秒前", "{n} s ago"),
    "wall.age.minutes": ("{n} 分钟前", "{n} min ago"),
    "wall.age.hours": ("{n} 小时前", "{n} h ago"),
    "wall.age.days": ("{n} 天前", "{n} days ago"),
    "wall.duration.minutes": ("{m} 分钟", "{m} min"),
    "wall.duration.hours": ("{h} 小时 {m} 分", "{h} h {m} min"),
    "wall.duration.days": ("{d} 天 {h} 小时", "{d} d {h} h"),
    "wall.vs_yesterday": ("较昨日", "vs yesterday"),
    "wall.vs_since": ("较 {time}", "vs {time}"),
    "wall.no_compare": ("暂无对比", "no comparison yet"),
    "wall.problems.alarms": ("未关闭告警（最久在前）", "Longest-open alarms"),
    "wall.problems.worst_online": ("在线率最低的区域", "Lowest camera online rate"),
    "wall.problems.suspected": ("疑似群租最多的区域", "Most suspected group rentals"),
    "wall.problems.crowded": ("今日最拥挤的时段", "Most crowded slots today"),
    "wall.problems.none": ("当前无待处置事项", "Nothing needs action now"),
    "wall.problems.open_for": ("已持续 {age}", "open {age}"),
    "wall.trend.overview_days": (
        "近 14 天报警与事件（每日）",
        "Alarms and events per day, last 14 days",
    ),
    "wall.trend.events_days": (
        "近 14 天视频智能事件（每日）",
        "Video algorithm events per day, last 14 days",
    ),
    "wall.trend.alarms_days": ("近 14 天危化品报警（每日）", "Hazmat alarms per day, last 14 days"),
    "wall.trend.suspected_areas": ("各区域疑似群租", "Suspected group rentals by area"),
    "wall.trend.slot_load": ("今日各时段最高承载率", "Peak slot load today, by slot"),
    "wall.trend.empty": ("该范围暂无数据", "No data in this area"),
    "wall.series.video_events": ("视频事件", "Video events"),
    "wall.series.hazmat_alarms": ("危化品报警", "Hazmat alarms"),
    "wall.series.load": ("最高承载率", "Peak load"),
    "wall.ticker.empty": ("暂无新的高等级告警", "No new high-severity alarms"),
    "wall.ticker.crowding": ("{spot} {slot} 承载率 {load}", "{spot} {slot} at {load} of capacity"),
    "wall.ticker.stale": ("{dataset} 超时未更新（最后 {time}）", "{dataset} overdue (last {time})"),
    "wall.kind.hazmat_alarm": ("危化品报警", "Hazmat alarm"),
    "wall.kind.video_event": ("视频事件", "Video event"),
    "wall.kind.crowding": ("客流拥挤", "Crowding"),
    "wall.kind.stale": ("数据超时", "Stale data"),
    "wall.severity": ("{n} 级", "level {n}"),
    "wall.alert.title": ("严重告警", "Severe alarm"),
    "wall.alert.queued": ("另有 {n} 条严重告警待显示", "{n} more severe alarms queued"),
    "wall.banner.store": (
        "数据源无响应 · 显示 {time} 的数据 · 自动重试中",
        "The data store is not answering · showing data from {time} · retrying",
    ),
    "wall.banner.server": (
        "与服务器的连接中断 · 显示 {time} 的数据 · 自动重试中",
        "Lost the connection to the server · showing data from {time} · retrying",
    ),
    "wall.error.bad_page": (
        "大屏页面“{name}”不存在，可选：{choices}",
        "There is no wall page \u201c{name}\u201d; choose from {choices}",
    ),
    "wall.error.bad_seconds": (
        "{name} 应为 {low}–{high} 之间的秒数，收到“{value}”",
        "{name} must be seconds between {low} and {high}; got \u201c{value}\u201d",
    ),
    # reports (issue 11): the report's own text
    "report.title": ("{scope}城市运行{kind}", "{scope} city operations {kind}"),
    "report.kind.daily": ("日报", "daily report"),
    "report.kind.weekly": ("周报", "weekly report"),
    "report.kind.monthly": ("月报", "monthly report"),
    "report.kind.custom": ("报告", "report"),
    "report.period.month": ("{year}年{month}月", "{month}/{year}"),
    "report.period.range": ("{start} 至 {end}（{days} 天）", "{start} to {end} ({days} days)"),
    "report.period.full": (
        "{words}（{start} 至 {end}，共 {days} 天）",
        "{words} ({start} to {end}, {days} days)",
    ),
    "report.delta.points": ("{sign}{value} 个百分点", "{sign}{value} pp"),
    "report.status.current": (
        "状态类指标为当前状态，截至 {as_of}。",
        "Status KPIs are the current state as of {as_of}.",
    ),
    "report.status.snapshot": (
        "状态类指标为期末（{end} 24:00）前最后一次记录的状态，记录于 {as_of}。",
        "Status KPIs are the state last recorded before the period’s end ({end} 24:00), "
        "at {as_of}.",
    ),
    "report.status.unrecorded": (
        "期末（{end} 24:00）的状态未被记录（快照保留 14 天），状态类指标留空。",
        "The state at the period’s end ({end} 24:00) was not recorded (snapshots are "
        "kept 14 days); status KPIs are left blank.",
    ),
    "report.note.status_now": ("当前状态，截至 {as_of}。", "Current state as of {as_of}."),
    "report.note.status_now_not_end": (
        "当前状态（截至 {as_of}），并非报告期末的状态。",
        "Current state (as of {as_of}), not the state at the period’s end.",
    ),
    "report.note.status_at": ("状态截至 {as_of}。", "State as of {as_of}."),
    "report.note.status_unrecorded": (
        "期末状态未被记录。",
        "The state at the period’s end was not recorded.",
    ),
    "report.note.period": ("统计报告期内各日。", "Counted over the days of the period."),
    "report.note.kpis": (
        "期间类指标（预约游客、核验率、峰值时段承载率）统计报告期内各日；环比对象为上一期（{previous}）。",
        "Period KPIs (booked visitors, check-in rate, peak slot load) are counted over "
        "the period’s days; the change is against the previous period ({previous}).",
    ),
    "report.note.map": ("按{level}着色：{kpi}。", "{level} areas coloured by {kpi}."),
    "report.note.worst": (
        "图中为最低的 {n} 个（共 {total} 个，完整列表见 Excel）。",
        "The chart shows the lowest {n} of {total} (the full list is in the Excel report).",
    ),
    "report.note.most": (
        "图中为最多的 {n} 个（共 {total} 个，完整列表见 Excel）。",
        "The chart shows the highest {n} of {total} (the full list is in the Excel report).",
    ),
    "report.note.level": ("按{level}排列。", "By {level}."),
    "report.note.datasets": (
        "行数为本报告范围内的记录；入库、隔离与拒收为全部加载记录。",
        "Rows are the records inside this report’s area; loads, quarantined and refused "
        "count every load.",
    ),
    "report.empty": ("无数据", "No data"),
    "report.no_data": ("无数据", "No data"),
    "report.stale": ("超时未更新", "stale"),
    "report.fresh": ("正常", "fresh"),
    "report.feedback.complaint": ("投诉", "Complaint"),
    "report.feedback.evaluation": ("评价", "Rating"),
    "report.feedback_status.open": ("待处理", "open"),
    "report.feedback_status.resolved": ("已办结", "resolved"),
    "report.chart.map": ("{kpi}分布", "{kpi} by area"),
    "report.chart.video.by_area": ("各区域视频在线率", "Camera online rate by area"),
    "report.chart.video.events": ("每日智能事件", "Video algorithm events per day"),
    "report.chart.hazmat.alarms_by_day": ("每日运输报警", "Transport alarms per day"),
    "report.chart.hazmat.alarm_types": ("报警类型", "Alarms by type"),
    "report.chart.hazmat.tonnage": ("在途吨位（按危险类别）", "Tonnage in transit by hazard class"),
    "report.chart.rentals.funnel": ("群租整治进度", "Group-rental rectification"),
    "report.chart.rentals.by_area": ("各区域疑似群租", "Suspected group rentals by area"),
    "report.chart.tourism.trend": ("每日预约游客", "Booked visitors per day"),
    "report.chart.tourism.origins": ("客源地前十", "Top ten visitor origins"),
    "report.table.map": ("各区域指标", "KPIs by area"),
    "report.table.video.by_area": ("各区域视频在线率", "Camera online rate by area"),
    "report.table.video.events": ("每日智能事件", "Video algorithm events per day"),
    "report.table.video.departments": ("各部门视频点位", "Cameras by department"),
    "report.table.hazmat.alarms_by_day": ("每日运输报警", "Transport alarms per day"),
    "report.table.hazmat.alarm_types": ("报警类型", "Alarms by type"),
    "report.table.hazmat.tonnage": ("在途吨位（按危险类别）", "Tonnage in transit by hazard class"),
    "report.table.rentals.funnel": ("群租整治进度", "Group-rental rectification"),
    "report.table.rentals.by_area": ("各区域疑似群租", "Suspected group rentals by area"),
    "report.table.tourism.trend": ("每日预约游客", "Booked visitors per day"),
    "report.table.tourism.origins": ("客源地前十", "Top ten visitor origins"),
    "report.table.tourism.feedback": ("评价与投诉", "Ratings and complaints"),
    "report.table.top.alarms": ("未关闭时间最长的报警", "Longest-open alarms"),
    "report.table.top.online": ("视频在线率最低的区域", "Areas with the worst camera online rate"),
    "report.table.top.rentals": (
        "疑似群租最多的区域",
        "Areas with the most suspected group rentals",
    ),
    "report.table.top.slots": ("最拥挤的预约时段", "Most crowded booking slots"),
    "report.table.top.complaints": ("最久未处理的投诉", "Oldest open complaints"),
    "report.table.appendix.datasets": ("数据集与加载", "Datasets and loads"),
    "report.table.appendix.freshness": ("数据新鲜度", "Data freshness"),
    "report.col.area": ("区域", "Area"),
    "report.col.code": ("区划代码", "Code"),
    "report.col.day": ("日期", "Date"),
    "report.col.event_type": ("事件类型", "Event type"),
    "report.col.department": ("部门", "Department"),
    "report.col.online": ("在线", "Online"),
    "report.col.alarm_type": ("报警类型", "Alarm type"),
    "report.col.hazard_class": ("危险类别", "Hazard class"),
    "report.col.stage": ("阶段", "Stage"),
    "report.col.status": ("状态", "Status"),
    "report.col.origin": ("客源地", "Origin"),
    "report.col.kind": ("类型", "Kind"),
    "report.col.items": ("条数", "Items"),
    "report.col.alarm_id": ("报警编号", "Alarm"),
    "report.col.raised": ("发生时间", "Raised"),
    "report.col.open_hours": ("已持续（小时）", "Open (hours)"),
    "report.col.severity": ("等级", "Severity"),
    "report.col.plate": ("车牌", "Plate"),
    "report.col.district": ("区县", "District"),
    "report.col.spot": ("景区", "Scenic spot"),
    "report.col.slot": ("时段", "Slot"),
    "report.col.capacity": ("瞬时承载量", "Instant capacity"),
    "report.col.load": ("承载率", "Load"),
    "report.col.feedback_id": ("投诉编号", "Complaint"),
    "report.col.category": ("类别", "Category"),
    "report.col.dataset": ("数据集", "Dataset"),
    "report.col.rows": ("记录数", "Rows"),
    "report.col.last_load": ("最近加载", "Last load"),
    "report.col.latest_record": ("最新记录时间", "Newest record"),
    "report.col.quarantined": ("累计隔离行", "Quarantined rows"),
    "report.col.refused": ("拒收文件", "Refused files"),
    "report.col.fresh": ("新鲜度", "Freshness"),
    "report.col.last_write": ("最近写入", "Last write"),
    "report.col.age_hours": ("距今（小时）", "Age (hours)"),
    "report.col.cadence_hours": ("应更新间隔（小时）", "Expected every (hours)"),
    "report.cover.scope": ("范围", "Area"),
    "report.cover.period": ("报告期", "Period"),
    "report.cover.previous": ("对比期", "Compared with"),
    "report.cover.generated_at": ("生成时间", "Generated at"),
    "report.cover.data_as_of": ("数据截至", "Data as of"),
    "report.cover.status": ("状态指标口径", "Status KPIs"),
    "report.cover.filters": ("筛选与设置", "Filters and settings"),
    "report.cover.map_kpi": ("无筛选；地图指标：{kpi}", "no filters; map KPI: {kpi}"),
    "report.label.kpi_summary": ("指标摘要", "KPI summary"),
    "report.label.kpi": ("指标", "KPI"),
    "report.label.value": ("本期", "This period"),
    "report.label.previous": ("上期", "Previous period"),
    "report.label.change": ("变化", "Change"),
    "report.label.kind": ("口径", "Basis"),
    "report.label.unit": ("单位", "Unit"),
    "report.label.period_kpi": ("期间", "over the period"),
    "report.label.status_kpi": ("期末状态", "at period end"),
    "report.label.map": ("区域分布", "Map"),
    "report.label.problems": ("重点问题", "Top problems"),
    "report.label.appendix": ("附录：数据来源与新鲜度", "Appendix: sources and freshness"),
    "report.label.contents": ("目录", "Contents"),
    "report.label.page": ("第 {page} 页 / 共 {pages} 页", "Page {page} of {pages}"),
    "report.label.cover": ("封面", "Cover"),
    "report.label.generated_at": ("生成时间", "Generated at"),
    "report.label.data_as_of": ("数据截至", "Data as of"),
    "report.label.no_chart": ("无可绘制的数据", "Nothing to draw"),
    "report.label.sheet_cover": ("封面", "Cover"),
    "report.label.sheet_kpis": ("指标摘要", "KPIs"),
    "report.label.sheet_map": ("区域分布", "Areas"),
    "report.label.sheet_problems": ("重点问题", "Problems"),
    "report.label.sheet_appendix": ("数据来源", "Sources"),
    "report.label.unit_count": ("个", "count"),
    "report.label.unit_rate": ("比率", "rate"),
    "report.label.unit_tonnes": ("吨", "tonnes"),
    "report.label.title": ("标题", "Title"),
    "report.label.scope": ("范围", "Area"),
    "report.label.period": ("报告期", "Period"),
    "report.step.kpis": ("指标摘要", "KPI summary"),
    "report.step.map": ("区域地图", "Map"),
    "report.step.sections": ("分领域图表", "Domain charts"),
    "report.step.problems": ("重点问题", "Top problems"),
    "report.step.appendix": ("数据来源", "Sources"),
    "report.step.layout": ("排版输出", "Layout"),
    # reports page /reports (issue 11)
    "nav.reports": ("报表", "Reports"),
    "title.reports": ("报表 · 城市运行一网统管", "Reports · City Operations Centre"),
    "reports.title": ("报表", "Reports"),
    "reports.form": ("生成报表", "Make a report"),
    "reports.intro": (
        "选择范围、周期、地图指标、语言和格式，生成后浏览器自动下载。",
        "Choose the area, period, map indicator, language and format; "
        "your browser downloads the file when it is ready.",
    ),
    "reports.scope": ("范围", "Area"),
    "reports.kind": ("报表类型", "Report type"),
    "reports.kind.daily": ("日报", "Daily"),
    "reports.kind.weekly": ("周报", "Weekly"),
    "reports.kind.monthly": ("月报", "Monthly"),
    "reports.kind.custom": ("自定义", "Custom"),
    "reports.day": ("日期", "Date"),
    "reports.day_hint": (
        "周期内任一天：日报为当天，周报为所在周（周一至周日），月报为所在月。",
        "Any day in the period: the day itself, its Monday–Sunday week or its month.",
    ),
    "reports.range": ("起止日期", "From – to"),
    "reports.range_to": ("至", "to"),
    "reports.range_hint": (
        "含首尾两天，最长 {max} 天。",
        "Both days included; at most {max} days.",
    ),
    "reports.map_kpi": ("地图指标", "Map indicator"),
    "reports.lang": ("报表语言", "Report language"),
    "reports.lang.zh": ("中文", "Chinese"),
    "reports.lang.en": ("英文", "English"),
    "reports.format": ("格式", "Format"),
    "reports.format.pdf": ("PDF 文档（可打印）", "PDF (printable)"),
    "reports.format.html": ("HTML 网页", "HTML page"),
    "reports.format.xlsx": ("Excel 表格", "Excel workbook"),
    "reports.period": ("报表周期", "Period"),
    "reports.period.day": ("{day}，共 1 天", "{day}, 1 day"),
    "reports.period.range": ("{start} 至 {end}，共 {days} 天", "{start} to {end}, {days} days"),
    "reports.make": ("生成并下载", "Make and download"),
    "reports.cancel": ("取消", "Cancel"),
    "reports.progress": ("正在生成… {done}/{total} 步", "Making… step {done} of {total}"),
    "reports.done": (
        "已生成 {name}（{size}），浏览器正在下载。",
        "Made {name} ({size}); your browser is downloading it.",
    ),
    "reports.cancelled": ("已取消，未生成文件。", "Cancelled; no file was made."),
    "reports.error.kind": ("请选择报表类型。", "Choose a report type."),
    "reports.error.no_date": ("请选择日期。", "Choose a date."),
    "reports.error.no_range": ("请选择开始和结束日期。", "Choose the first and the last day."),
    "reports.error.reversed": (
        "结束日期（{end}）早于开始日期（{start}），请重新选择。",
        "The last day ({end}) is before the first ({start}); choose again.",
    ),
    "reports.error.too_long": (
        "报表周期最长 {max} 天，所选为 {days} 天。",
        "A report covers at most {max} days; this period has {days}.",
    ),
    "reports.error.bad_period": ("无法生成该周期的报表。", "No report can cover this period."),
    "reports.error.bad_choice": (
        "所选项无效，请刷新页面后重试。",
        "A choice is not valid; reload the page and try again.",
    ),
    "reports.error.scope": (
        "范围 {code} 不存在或未接入。",
        "Area {code} does not exist or is not switched on.",
    ),
    "reports.error.denied": ("无权查看范围 {code}。", "You may not see area {code}."),
    "reports.error.timeout": (
        "数据查询超时，请缩短周期或稍后重试。",
        "Reading the data took too long; choose a shorter period or try again later.",
    ),
    "reports.error.busy": (
        "已有 {n} 份报表正在生成，请一分钟后再试。",
        "{n} reports are being made already; please try again in a minute.",
    ),
    "reports.error.chromium": (
        "生成 PDF 和 HTML 需要服务器上的 Chromium，本次未能运行（已记录日志）；"
        "可改选 Excel，或联系管理员。",
        "PDF and HTML need Chromium on the server, which could not run (logged); "
        "choose Excel or ask the administrator.",
    ),
    "reports.error.failed": (
        "报表生成失败（已记录日志），请稍后重试。",
        "The report could not be made (logged); try again later.",
    ),
    # print title (issue 11)
    "print.title": (
        "{page} · {scope} · {date} · 数据截至 {as_of}",
        "{page} · {scope} · {date} · data as of {as_of}",
    ),
    # web hardening (issue 12)
    "export.too_many": (
        "表格有 {rows} 行，超过单次导出上限 {max} 行：请先筛选，再导出。",
        "The table holds {rows} rows, more than one export may hold ({max}): "
        "filter it first, then download.",
    ),
    "export.busy": (
        "服务器正在生成其他 Excel 文件，请稍后再试。",
        "The server is busy making other Excel files; try again in a moment.",
    ),
    # login (issue 12)
    "login.title": ("登录", "Sign in"),
    "login.name": ("账号", "Account"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.too_many": (
        "此地址登录失败次数过多，请稍后再试。",
        "Too many failed logins from this address: try again later.",
    ),
    "login.failed": (
        "账号或密码不正确，或账号暂不可用。",
        "Wrong account or password, or the account is not available now.",
    ),
    "login.bad_form": (
        "表单已过期，请重新登录。",
        "The form has expired; please sign in again.",
    ),
    "login.logout": ("退出登录", "Sign out"),
    "login.forbidden": ("无权访问", "Not permitted"),
    "login.forbidden_detail": (
        "您的账号无权打开此页面。",
        "Your account may not open this page.",
    ),
    "login.home": ("返回首页", "Back to the start page"),
    # admin page (issue 12)
    "nav.admin": ("管理", "Admin"),
    "title.admin": ("管理 · 城市运行一网统管", "Admin · City Operations Centre"),
    "admin.title": ("管理：审计日志与账号", "Admin: audit log and accounts"),
    "admin.audit": ("审计日志", "Audit log"),
    "admin.accounts": ("账号", "Accounts"),
    "admin.tokens": ("令牌", "Tokens"),
    "admin.since": ("起始日期", "Since"),
    "admin.actor": ("操作人", "Actor"),
    "admin.action": ("操作", "Action"),
    "admin.no_rows": ("没有符合条件的审计记录。", "No audit rows match."),
    "admin.no_accounts": ("还没有账号。", "No accounts yet."),
    "admin.no_tokens": ("还没有令牌。", "No tokens yet."),
    "admin.shown": ("显示最近 {n} 条", "Showing the newest {n}"),
    "admin.read_only": (
        "本页只读。账号和令牌的变更请在服务器命令行中进行：",
        "This page is read-only. Change accounts and tokens on the server's command line:",
    ),
    "admin.bad_filter": ("筛选条件无效，已显示全部。", "The filter is not valid; showing all."),
    "admin.yes": ("是", "Yes"),
    "admin.no": ("否", "No"),
    "admin.never": ("永不", "Never"),
    "admin.scope_all": ("全省", "Province"),
    "col.admin_ts": ("时间（北京时间）", "Time (Asia/Shanghai)"),
    "col.admin_actor": ("操作人", "Actor"),
    "col.admin_action": ("操作", "Action"),
    "col.admin_outcome": ("结果", "Outcome"),
    "col.admin_remote": ("来源地址", "Remote address"),
    "col.admin_scope": ("范围", "Scope"),
    "col.admin_detail": ("详情", "Detail"),
    "col.admin_name": ("账号", "Account"),
    "col.admin_role": ("角色", "Role"),
    "col.admin_disabled": ("已停用", "Disabled"),
    "col.admin_locked_until": ("锁定至（北京时间）", "Locked until (Asia/Shanghai)"),
    "col.admin_password_changed": (
        "密码修改时间（北京时间）",
        "Password changed (Asia/Shanghai)",
    ),
    "col.admin_token_id": ("令牌编号", "Token id"),
    "col.admin_account": ("账号", "Account"),
    "col.admin_label": ("标签", "Label"),
    "col.admin_status": ("状态", "Status"),
    "col.admin_expires": ("到期（北京时间）", "Expires (Asia/Shanghai)"),
    "admin.action.account.add": ("新建账号", "Account created"),
    "admin.action.account.disable": ("停用账号", "Account disabled"),
    "admin.action.account.reset": ("重置密码", "Password reset"),
    "admin.action.token.create": ("创建令牌", "Token created"),
    "admin.action.token.revoke": ("吊销令牌", "Token revoked"),
    "admin.action.load": ("数据装载", "Data load"),
    "admin.action.login.ok": ("登录成功", "Login"),
    "admin.action.login.failed": ("登录失败", "Login failed"),
    "admin.action.logout": ("退出登录", "Logout"),
    "admin.action.download": ("下载", "Download"),
    "admin.action.report": ("生成报表", "Report"),
    "admin.action.api": ("接口调用（令牌）", "API call (token)"),
    "admin.outcome.ok": ("成功", "OK"),
    "admin.outcome.failed": ("失败", "Failed"),
    "admin.outcome.refused": ("拒收", "Refused"),
    "admin.outcome.denied": ("拒绝", "Denied"),
    "admin.role.admin": ("管理员", "Administrator"),
    "admin.role.centre": ("指挥中心", "Command centre"),
    "admin.role.analyst": ("分析员", "Analyst"),
    "admin.role.manager": ("领导", "Manager"),
    "admin.role.loader": ("数据专员", "Data officer"),
    "admin.token.active": ("有效", "Active"),
    "admin.token.expired": ("已过期", "Expired"),
    "admin.token.revoked": ("已吊销", "Revoked"),
}


def t(key: str, lang: str = "zh", **fmt: object) -> str:
    """Return the label ``key`` in ``lang`` (``zh`` or ``en``), formatted with ``fmt``."""
    zh, en = TABLE[key]
    text = en if lang == "en" else zh
    return text.format(**fmt) if fmt else text


def normalise_lang(value: str | None, default: str = "zh") -> str:
    """Return ``value`` if it is a supported language, else ``default``."""
    return value if value in LANGS else default


#: Vocabularies of data values that have labels: ``<kind>.<value>`` keys of the table.
VOCABULARIES = (
    "alarm",
    "alarm_status",
    "booking",
    "camera_kind",
    "channel",
    "department",
    "event_status",
    "event_type",
    "hazard",
    "inspection",
    "origin",
    "severity",
    "status",
    "waybill_status",
)


@functools.cache
def _spellings(kind: str) -> dict[str, str]:
    """Return spelling → key for ``kind``: the key's suffix and both labels, lower case."""
    out: dict[str, str] = {}
    prefix = f"{kind}."
    for key, labels in TABLE.items():
        if key.startswith(prefix):
            for spelling in (key[len(prefix) :], *labels):
                out.setdefault(spelling.strip().lower(), key)
    return out


def t_value(kind: str, value: object, lang: str = "zh") -> str:
    """Return data ``value`` of vocabulary ``kind`` (see VOCABULARIES) in ``lang``.

    The value may be the stored code (``open``, ``2.1``, ``3``) or either label
    (``公安``, ``Public security``). A value outside the vocabulary comes back
    unchanged, as text (department names come from files and may be anything);
    a missing value comes back as an em dash. Raises ``KeyError`` for an unknown kind.
    """
    if kind not in VOCABULARIES:
        raise KeyError(f"no vocabulary {kind!r}; known: {', '.join(VOCABULARIES)}")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    key = _spellings(kind).get(text.strip().lower())
    return t(key, lang) if key else text
