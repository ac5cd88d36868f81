"""The per-process objects every request needs: settings, store engine, geography."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy.engine import Engine

from cityops.geo import Geography, Scope, ScopeDenied, geography
from cityops.queries.kpis import RentalRules
from cityops.settings import Settings, get_settings
from cityops.store.versions import Storage


@dataclass(frozen=True)
class Context:
    """Settings, the read-only store engine and the geography of one process.

    ``role`` is whose reads these are outside a web request (a report job of a
    signed-in user); in a request the signed-in principal's role counts.
    """

    settings: Settings
    role: str | None = None

    @cached_property
    def storage(self) -> Storage:
        """Return the store's location, readers and writer."""
        return Storage(self.settings)

    @property
    def engine(self) -> Engine:
        """Return a read-only engine on the store as published now.

        Checked on every call, so a load that commits is seen by the next request.
        """
        return self.storage.reader_engine()

    @property
    def geo(self) -> Geography:
        """Return the geography of the enabled cities (shared while boundaries are unchanged).

        Looked up once per store version: a page that names 2,000 areas must not ask
        the store 2,000 times.
        """
        engine = self.engine
        cached = self.__dict__.get("_geo")
        if cached is None or cached[0] is not engine:
            geo = geography(engine, self.settings.city_codes, self.settings.grid_resolution)
            self.__dict__["_geo"] = cached = (engine, geo)
        return cached[1]

    @cached_property
    def rules(self) -> RentalRules:
        """Return the group-rental rules in force."""
        return RentalRules.from_settings(self.settings)

    def allowed_scope(self) -> Scope:
        """Return what the current user may see: the scope every query is limited to.

        With ``CITYOPS_AUTH=on``, in a web request: the scope of the signed-in
        principal (``flask.g.principal``, set by :mod:`cityops.web.auth`), a city or
        district, or the province for an account without one; a request without a
        principal raises :class:`~cityops.geo.ScopeDenied` (fail closed). With auth
        off, or outside a request (the command line; a report job, which is given
        its user's scope explicitly): the province.
        """
        if self.settings.auth != "off":
            import flask  # the web side only; the command line never has a request

            if flask.has_request_context():
                principal = flask.g.get("principal")
                if principal is None:
                    raise ScopeDenied("no signed-in user in this request")
                return self.geo.scope(principal.scope_code)
        return self.geo.scope(None)

    def role_now(self) -> str | None:
        """Return the role the current reads are made for.

        In a web request: the signed-in principal's (None without one). Outside a
        request (the command line, a report job): ``role``.
        """
        import flask

        if flask.has_request_context():
            principal = flask.g.get("principal")
            return principal.role if principal is not None else None
        return self.role

    def masked_columns(self) -> dict[str, str]:
        """Return the personal columns the current reader sees masked: column → kind.

        Empty when the reader's role is in ``CITYOPS_PERSONAL_ROLES``; otherwise every
        personal column, ``CITYOPS_PERSONAL_EXTRA`` included. Open access and the
        command line never see them unmasked.
        """
        from cityops.datasets import personal_columns

        if self.settings.auth == "off":  # open access: masked whoever asks
            return personal_columns(self.settings.personal_extra_columns())
        role = self.role_now()
        if role is not None and role in self.settings.personal_role_set():
            return {}
        return personal_columns(self.settings.personal_extra_columns())


_CONTEXT: Context | None = None


def current() -> Context:
    """Return this process's context, built from the environment on first use."""
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = Context(get_settings())
    return _CONTEXT


def install(context: Context) -> None:
    """Make ``context`` the process's context (the app factory and tests call this)."""
    global _CONTEXT
    _CONTEXT = context
