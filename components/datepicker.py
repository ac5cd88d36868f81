"""The date picker every page uses, in the user's language.

Dash 4's ``dcc.DatePickerSingle`` has no language prop: it names months and
weekdays with the date-fns locale it finds in ``window.dateFns.locale``.
``assets/vendor/date-fns-4.1.0-zh-CN.min.js`` supplies the Chinese one and
``assets/cityops-i18n.js`` keeps it only while the page is Chinese (``<html lang>``,
set by the server from the language cookie), so the calendar shows 十一月 and
一 二 三 … in Chinese and November, Mo Tu We … in English. This builder sets what
the component itself can: a week from Monday, the placeholder, and a class
naming the language for styling and tests.
"""

from __future__ import annotations

import datetime as dt

from dash import dcc

from cityops.text.i18n import t

#: Shown in the input: ISO dates are unambiguous in both languages and are what
#: the URL carries; pages show the long form (fmt_date) beside the picker.
DISPLAY_FORMAT = "YYYY-MM-DD"


def date_picker(
    id: str | dict,
    day: dt.date | str | None,
    lang: str,
    *,
    min_day: dt.date | str | None = None,
    max_day: dt.date | str | None = None,
) -> dcc.DatePickerSingle:
    """Return a single-date picker set to ``day``, its calendar in ``lang``.

    ``min_day`` and ``max_day`` bound the days that can be chosen.
    """

    def iso(value: dt.date | str | None) -> str | None:
        return value.isoformat() if isinstance(value, dt.date) else value

    bounds = {"min_date_allowed": iso(min_day), "max_date_allowed": iso(max_day)}
    return dcc.DatePickerSingle(
        id=id,
        date=iso(day),
        **{k: v for k, v in bounds.items() if v},
        display_format=DISPLAY_FORMAT,
        month_format="MMMM YYYY",
        first_day_of_week=1,
        placeholder=t("date.placeholder", lang),
        className=f"date-picker lang-{'en' if lang == 'en' else 'zh'}",
    )
