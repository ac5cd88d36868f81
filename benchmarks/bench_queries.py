"""Server-side timings on one store: KPIs, drill-down callbacks, page layouts, pandas baseline.

Usage (``make bench`` runs it once per store, in its own process)::

    .venv/bin/python -m benchmarks.bench_queries --data-dir <store> [--repeat N]
        [--what kpis,drill,pages,naive] [--json-out FILE]

Every timing starts with the read cache cleared (:func:`cityops.store.executor.clear_cache`),
so it is what the first request after a load pays; the geography (resolved once per
store version) and DuckDB's own buffers stay warm. Prints the result as JSON.

- ``kpis``: the 14 KPIs of one scope through :func:`cityops.queries.scope_kpis`, over
  the province, every enabled city, two districts of each and two grid cells; and the
  map values below each scope (:func:`cityops.queries.child_kpis`).
- ``drill``: what the server does for a click on an area of the overview's map: Dash's
  page callback (``POST /_dash-update-component``, the layout of the new scope, in
  process through Flask's test client) plus the new level's geometry
  (``GET /api/v1/geo/<code>/children.geojson``), for clicks province → city,
  city → district and district → grid cell.
- ``pages``: each page's layout callback at the province (the page queries).
- ``naive``: the same 14 KPIs in plain pandas over the raw tables (:mod:`benchmarks.naive`),
  read into memory once, untimed; the answers are checked against the app's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Callable

import pandas as pd

from benchmarks import harness, naive
from benchmarks.stores import TODAY

DAY = dt.date.fromisoformat(TODAY)
#: The pages measured, by path (the header's pages).
PAGES = ("/", "/video", "/hazmat", "/rentals", "/tourism", "/data")
ROUTER = "_pages_content.children"


def timed(fn: Callable[[], object], repeat: int, before: Callable[[], None]) -> list[float]:
    """Return ``repeat`` wall times of ``fn`` in ms, calling ``before`` (untimed) each time."""
    samples = []
    for _ in range(repeat):
        before()
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


class Bench:
    """One store opened the way ``cityops serve`` opens it, plus the app in process."""

    def __init__(self, data_dir: str):
        from cityops.queries.context import Context, install
        from cityops.settings import get_settings
        from cityops.store.executor import clear_cache

        self.settings = get_settings(data_dir=data_dir, database_url="")
        self.ctx = Context(self.settings)
        install(self.ctx)
        self.clear = clear_cache
        self.allowed = self.ctx.geo.scope(None)
        self._client = None
        self._app = None
        self._router: str | None = None

    @property
    def client(self):
        """Return a Flask test client of the whole app (created on first use).

        The app runs with login off (``auth="off"``: no key, no account to make in the
        store): these timings are the callbacks' own work; ``bench_browser`` measures
        through a real server with login on.
        """
        if self._client is None:
            from app import create_app
            from cityops.settings import Settings

            self._app = create_app(Settings({**self.settings.values, "auth": "off"}))
            self._client = self._app.server.test_client()
        return self._client

    def sql(self, statement: str, *params) -> pd.DataFrame:
        """Run one raw SELECT on the app's own read-only engine (DuckDB's fast path)."""
        with self.ctx.engine.connect() as conn:
            return conn.connection.driver_connection.execute(statement, list(params)).df()

    # ------------------------------------------------------------ scopes
    def scopes(self) -> list[tuple[str, str]]:
        """Return ``(level, code)`` of the province, each city, 2 districts each, 2 cells."""
        geo = self.ctx.geo
        out = [("province", geo.scope(None).code)]
        districts = []
        for city in geo.enabled_cities:
            out.append(("city", city))
            children = sorted(geo.child_codes(geo.scope(city)))
            districts += [children[0], children[len(children) // 2]] if children else []
        out += [("district", code) for code in districts]
        out += [("grid", cell) for cell in self.busiest_cells(2)]
        return out

    def busiest_cells(self, n: int) -> list[str]:
        """Return the ``n`` grid cells with the most cameras (cells a user would open)."""
        rows = self.sql(
            "SELECT grid_cell FROM cameras WHERE grid_cell IS NOT NULL "
            "AND list_contains(?, city_code) "
            "GROUP BY grid_cell ORDER BY count(*) DESC, grid_cell LIMIT ?",
            list(self.ctx.geo.enabled_cities),
            n,
        ).itertuples(index=False)
        return [r[0] for r in rows]

    # ------------------------------------------------------------ measures
    def kpis(self, repeat: int, map_repeat: int | None = None) -> dict:
        """Time the 14 KPIs and the map values below, per scope, read cache cleared."""
        from cityops.queries import child_kpis, scope_kpis

        ctx, allowed = self.ctx, self.allowed
        one, below, by_scope = [], [], {}
        for level, code in self.scopes():
            scope = ctx.geo.scope(code)
            samples = timed(lambda s=scope: scope_kpis(ctx, scope=s, day=DAY, allowed=allowed),
                            repeat, self.clear)  # fmt: skip
            one += samples
            by_scope[code] = {"level": level, **harness.summary(samples)}
            if level != "grid":
                below += timed(
                    lambda s=scope: child_kpis(ctx, scope=s, day=DAY, allowed=allowed),
                    repeat if map_repeat is None else map_repeat,
                    self.clear,
                )
        return {
            "kpis": harness.summary(one),
            "map_values": harness.summary(below),
            "by_scope": by_scope,
            "scopes": len(by_scope),
            "repeat": repeat,
        }

    def route(self, path: str, search: str):
        """POST Dash's page callback for ``path?search``; return the response."""
        if self._router is None:
            self.client.get("/")  # Dash registers its page callback on the first request
            self._router = next(k for k in self._app.callback_map if ROUTER in k)
        body = {
            "output": self._router,
            "outputs": [
                {"id": "_pages_content", "property": "children"},
                {"id": "_pages_store", "property": "data"},
            ],
            "inputs": [
                {"id": "_pages_location", "property": "pathname", "value": path},
                {"id": "_pages_location", "property": "search", "value": search},
            ],
            "changedPropIds": ["_pages_location.pathname", "_pages_location.search"],
            "state": [],
        }
        response = self.client.post("/_dash-update-component", json=body)
        if response.status_code != 200:
            raise RuntimeError(f"page callback {path}{search}: HTTP {response.status_code}")
        return response

    def check(self, response, path: str, search: str) -> None:
        """Raise unless the page callback drew a page (no error, not-found or denied state)."""
        body = response.get_data()
        for state in (b"error", b"not-found", b"denied"):
            if b'"data-state":"' + state + b'"' in body.replace(b" ", b""):
                raise RuntimeError(f"{path}{search} drew a {state.decode()} state: not measured")

    def drill_targets(self) -> list[tuple[str, str]]:
        """Return ``(from, to)`` clicks: province → city, city → district, district → cell."""
        geo = self.ctx.geo
        clicks = []
        province = geo.scope(None).code
        for level, code in self.scopes():
            if level == "city":
                clicks.append((province, code))
            elif level == "district":
                clicks.append((geo.scope(code).city_code, code))
        for cell in self.busiest_cells(4):
            clicks.append((geo.scope(cell).district_code, cell))
        return clicks

    def drill(self, repeat: int) -> dict:
        """Time what the server does for a drill click: page callback + child geometry.

        The geometry of an area is built once per store version and then served from
        the server's cache (and the browser's): its first build is timed apart
        (``geometry_first``); the timed clicks clear the read cache, not that one.
        """
        self.route("/", f"?date={TODAY}")
        total, callback, geometry, first = [], [], [], []
        targets = self.drill_targets()
        for _, code in targets:
            container, _ = self.ctx.geo.map_container(self.ctx.geo.scope(code))
            url = f"/api/v1/geo/{container.code}/children.geojson"
            t0 = time.perf_counter()
            reply = self.client.get(url)
            first.append((time.perf_counter() - t0) * 1000)
            if reply.status_code != 200:
                raise RuntimeError(f"{url}: HTTP {reply.status_code}")
            for _ in range(repeat):
                self.clear()
                t0 = time.perf_counter()
                response = self.route("/", f"?scope={code}&date={TODAY}")
                response.get_data()
                t1 = time.perf_counter()
                self.client.get(url).get_data()
                t2 = time.perf_counter()
                self.check(response, "/", f"?scope={code}")
                if f'"data-scope":"{code}"'.encode() not in response.get_data().replace(b" ", b""):
                    raise RuntimeError(f"the page callback did not draw {code}")
                callback.append((t1 - t0) * 1000)
                geometry.append((t2 - t1) * 1000)
                total.append((t2 - t0) * 1000)
        return {
            "total": harness.summary(total),
            "page_callback": harness.summary(callback),
            "geometry": harness.summary(geometry),
            "geometry_first": harness.summary(first),
            "clicks": [[origin, code] for origin, code in targets],
            "repeat": repeat,
        }

    def pages(self, repeat: int) -> dict:
        """Time each page's layout callback at the province, read cache cleared."""
        out = {}
        for path in PAGES:
            self.check(self.route(path, f"?date={TODAY}"), path, "")
            samples = timed(lambda p=path: self.route(p, f"?date={TODAY}"), repeat, self.clear)
            out[path] = harness.summary(samples)
        return {"by_path": out, "repeat": repeat}

    def naive(self, repeat: int) -> dict:
        """Time the 14 KPIs in plain pandas, per scope; check they equal the app's."""
        from cityops.queries import scope_kpis
        from cityops.queries.kpis import kpi_record

        t0 = time.perf_counter()
        tables = naive.read_tables(self.sql)
        read_s = time.perf_counter() - t0
        rules = self.ctx.rules
        rule = (rules.default.min_area_per_person, rules.default.max_per_room)
        by_city = {c: (r.min_area_per_person, r.max_per_room) for c, r in rules.by_city}
        enabled = tuple(self.ctx.geo.enabled_cities)
        samples, differ = [], {}
        for level, code in self.scopes():

            def ask(level=level, code=code):
                return naive.kpis(tables, level=level, code=code, day=DAY, enabled=enabled,
                                  rule=rule, city_rules=by_city)  # fmt: skip

            samples += timed(ask, repeat, lambda: None)
            scope = self.ctx.geo.scope(code)
            app = kpi_record(scope_kpis(self.ctx, scope=scope, day=DAY, allowed=self.allowed),
                             scope.code)  # fmt: skip
            wrong = naive.compare(ask(), app)
            if wrong:
                differ[code] = wrong
        return {
            "kpis": harness.summary(samples),
            "read_s": round(read_s, 2),
            "rows_in_memory": tables.rows,
            "same_answers": not differ,
            "differences": differ,
            "repeat": repeat,
        }


def main(argv: list[str] | None = None) -> None:
    """Measure what ``--what`` names on ``--data-dir``; print (or write) JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--repeat", type=int, default=10, help="Per scope, 14 KPIs.")
    parser.add_argument("--map-repeat", type=int, help="Per scope, map values (--repeat).")
    parser.add_argument("--drill-repeat", type=int, default=3, help="Per drill click.")
    parser.add_argument("--pages-repeat", type=int, help="Per page (default: --repeat).")
    parser.add_argument("--naive-repeat", type=int, default=3, help="Per scope, pandas.")
    parser.add_argument("--what", default="kpis,drill,pages,naive")
    parser.add_argument("--json-out", help="Write the JSON here instead of stdout.")
    args = parser.parse_args(argv)
    bench = Bench(args.data_dir)
    out: dict = {"data_dir": args.data_dir, "version": bench.ctx.storage.version_label()}
    for what in args.what.split(","):
        t0 = time.perf_counter()
        if what == "kpis":
            out[what] = bench.kpis(args.repeat, args.map_repeat)
        elif what == "drill":
            out[what] = bench.drill(args.drill_repeat)
        elif what == "pages":
            out[what] = bench.pages(args.pages_repeat or args.repeat)
        elif what == "naive":
            out[what] = bench.naive(args.naive_repeat)
        else:
            parser.error(f"unknown measure {what!r}")
        out[what]["seconds"] = round(time.perf_counter() - t0, 1)
    text = json.dumps(out, ensure_ascii=False, indent=1)
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
