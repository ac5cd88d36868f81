"""Accounts, bearer tokens and the audit log (issue 12), kept apart from the data store.

The tables live in their own database so that a login or a token check never
publishes a new version of the versioned DuckDB store: ``<data_dir>/auth.sqlite``
in embedded mode, or the ``CITYOPS_DATABASE_URL`` server when one is set.

- :mod:`cityops.auth.schema`: the tables and :func:`~cityops.auth.schema.auth_engine`.
- :mod:`cityops.auth.accounts`: roles, accounts, passwords (argon2), lockout, tokens.
- :mod:`cityops.auth.audit`: the append-only audit log.
"""
