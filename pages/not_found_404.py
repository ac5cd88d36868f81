"""The page for unknown paths."""

import dash

from cityops.context import current
from cityops.i18n import t
from cityops.web import request_lang
from components.shell import message_panel

dash.register_page(__name__, path="/404")


def layout(**_):
    lang = request_lang(current().settings.default_lang)
    return message_panel(t("error.not_found", lang), "", t("error.back_home", lang))
