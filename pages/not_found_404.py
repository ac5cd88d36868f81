"""The page for unknown paths: says so, and offers the overview."""

import dash

from cityops.queries.context import current
from cityops.text.i18n import t
from cityops.web import request_lang
from components.states import page_message

dash.register_page(__name__, path="/404")


def layout(**_):
    lang = request_lang(current().settings.default_lang)
    return page_message("not-found", t("error.not_found", lang),
                        links=[(t("error.back_home", lang), "/")])  # fmt: skip
