"""``cityops simulate``: a plausible live feed into the store, through the live writer.

From the store's current state — waybills in transit at their last fix, open
alarms, cameras, open algorithm events, scenic spots with today's slots and
bookings — :class:`Simulator` makes each batch's rows: GPS fixes moving each
vehicle along its way at 30–90 km/h (now and then a (0, 0) glitch, which the
validation quarantines, as real GPS boxes send), new hazmat alarms (mostly
severity 1–2, a 3 now and then; ``severe_every`` forces one every N seconds),
alarms acknowledged and closed, cameras going offline or faulty and back,
algorithm events at AI cameras raised and closed, new bookings for today's slots
(some tour groups filling one slot to ≥ 80 % of its spot's instant capacity)
and check-ins. :func:`run` writes them batch by batch with a
:class:`loaders.live.LiveWriter` and merges every ``merge_seconds``.

Every row goes through the writer's validation, as a department's would.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlalchemy as sa

from cityops import store
from cityops.clock import TZ, today
from cityops.geo import Geography, Scope
from cityops.store.executor import execute
from cityops.store.versions import NotEnoughDisk
from loaders.live import LiveWriter, MergeReport

#: Rows a minute of each kind at the default rate (20 rows/s); GPS fixes fill the rest.
PER_MINUTE = {
    "new_alarms": 4.0,
    "alarm_updates": 4.0,
    "camera_changes": 4.0,
    "new_events": 10.0,
    "closed_events": 8.0,
    "new_bookings": 40.0,
    "check_ins": 40.0,
}
DEFAULT_RATE = 20.0
#: Share of new alarms per severity 1, 2, 3.
SEVERITY_SHARES = (0.55, 0.37, 0.08)
ALARM_TYPES = ("speeding", "fatigue", "route_deviation", "restricted_zone", "unplanned_stop",
               "sensor")  # fmt: skip
#: Algorithm event types and their shares (DATA_CONTRACTS.md's examples).
EVENT_TYPES = {"违章停车": 0.3, "占道经营": 0.22, "垃圾满溢": 0.2, "人群聚集": 0.18, "烟火": 0.1}
ORIGINS = {"江苏": 0.45, "上海": 0.18, "浙江": 0.12, "安徽": 0.09, "山东": 0.06, "北京": 0.05,
           "广东": 0.05}  # fmt: skip
CHANNELS = {"苏心游小程序": 0.5, "OTA平台": 0.25, "景区官网": 0.2, "现场扫码": 0.05}
GROUP_CHANNEL = "旅行社"
PARTY_SIZES = ((1, 2, 3, 4, 5), (0.25, 0.35, 0.2, 0.12, 0.08))
#: Share of new bookings that are tour groups sent to one slot until it is this full.
GROUP_SHARE, CROWDED = 0.3, 0.85
GLITCH = 0.005  # share of GPS fixes sent as (0, 0)
#: The fields a feed sends for a row of each dataset (a change repeats them all).
ALARM_FIELDS = ("alarm_id", "vehicle_plate", "waybill_id", "ts", "alarm_type", "severity", "lon",
                 "lat", "status", "closed_at")  # fmt: skip
CAMERA_FIELDS = ("camera_id", "name", "department", "kind", "lon", "lat", "status", "last_seen",
                  "ai_enabled")  # fmt: skip
EVENT_FIELDS = ("event_id", "camera_id", "ts", "event_type", "status", "closed_at")
BOOKING_FIELDS = ("booking_id", "spot_id", "visit_date", "slot_start", "slot_end", "party_size",
                   "visitor_origin", "channel", "status", "booked_at")  # fmt: skip


DEFAULT_SLOTS = tuple((f"{h:02d}:00", f"{h + 1:02d}:00") for h in range(8, 17))
KM_PER_DEGREE = 111.32


@dataclass
class Vehicle:
    """A waybill in transit: where its vehicle is and where it is going."""

    waybill_id: str
    plate: str
    lon: float
    lat: float
    ts: dt.datetime | None
    target: tuple[float, float]
    back: tuple[float, float]
    speed: float
    simulated: bool = False  # moved by this run yet (its stored fix may be hours old)


@dataclass
class State:
    """What the simulation starts from (read from the store) and keeps up to date."""

    vehicles: list[Vehicle]
    alarms: pd.DataFrame  # open and acknowledged
    cameras: pd.DataFrame
    events: pd.DataFrame  # open
    spots: pd.DataFrame  # spot_id, instant_capacity
    slots: dict[str, list[tuple[str, str]]]  # spot → today's slots
    load: dict[tuple[str, str], float]  # (spot, slot_start) → party booked or checked in
    booked: list[dict]  # today's bookings still to check in
    day: dt.date

    @property
    def empty(self) -> bool:
        """Return True when there is nothing to simulate from (no demo data in scope)."""
        return not self.vehicles and self.cameras.empty and self.spots.empty


def _in_scope(frame: pd.DataFrame, scope: Scope, geo: Geography, prefix: str = "") -> pd.DataFrame:
    """Return the rows of ``frame`` (with area columns) lying in ``scope``."""
    if scope.level == "province":
        return frame[frame[prefix + "city_code"].isin(geo.enabled_cities)]
    column = {"city": "city_code", "district": "district_code", "grid": "grid_cell"}[scope.level]
    return frame[frame[prefix + column] == scope.code]


def load_state(storage, geo: Geography, scope: Scope, day: dt.date | None = None) -> State:
    """Read what the simulation starts from: the store as published, in ``scope``.

    Raw values (plates too): this is the writer's side, nothing is shown.
    """
    day = day or today()
    w, pos, al = store.hazmat_waybills, store.hazmat_positions, store.hazmat_alarms
    cam, ev, sp = store.cameras, store.video_events, store.scenic_spots

    def run(query) -> pd.DataFrame:
        return execute(storage, query)

    moving = _in_scope(run(
        sa.select(pos.c.waybill_id, pos.c.vehicle_plate, pos.c.lon, pos.c.lat, pos.c.ts,
                  pos.c.city_code, pos.c.district_code, pos.c.grid_cell, w.c.origin_lon,
                  w.c.origin_lat, w.c.dest_lon, w.c.dest_lat)
        .select_from(pos.join(w, w.c.waybill_id == pos.c.waybill_id))
        .order_by(pos.c.waybill_id)), scope, geo)  # fmt: skip
    vehicles = []
    for r in moving.itertuples():
        dest = (r.dest_lon, r.dest_lat) if pd.notna(r.dest_lon) else (r.origin_lon, r.origin_lat)
        vehicles.append(Vehicle(r.waybill_id, r.vehicle_plate, float(r.lon), float(r.lat),
                                None if pd.isna(r.ts) else pd.Timestamp(r.ts).to_pydatetime(),
                                dest, (r.origin_lon, r.origin_lat), 60.0))  # fmt: skip
    alarms = _in_scope(run(sa.select(al).where(al.c.status.in_(("open", "acknowledged")))
                           .order_by(al.c.alarm_id)), scope, geo)  # fmt: skip
    cameras = _in_scope(run(sa.select(cam).order_by(cam.c.camera_id)), scope, geo)
    cameras = cameras.reset_index(drop=True)
    events = run(sa.select(ev).where(ev.c.status == "open").order_by(ev.c.event_id))
    events = events[events["camera_id"].isin(cameras["camera_id"])].reset_index(drop=True)
    spots = _in_scope(run(sa.select(sp).order_by(sp.c.spot_id)), scope, geo)
    spots = spots[spots["instant_capacity"].notna()].reset_index(drop=True)
    b, bs = store.bookings, store.booking_slots
    slot_rows = run(
        sa.select(b.c.spot_id, b.c.slot_start, b.c.slot_end)
        .where(b.c.visit_date == day).distinct().order_by(b.c.spot_id, b.c.slot_start)
    )  # fmt: skip
    slots: dict[str, list[tuple[str, str]]] = {}
    for spot in spots["spot_id"]:
        mine = slot_rows[slot_rows["spot_id"] == spot]
        slots[spot] = list(zip(mine["slot_start"], mine["slot_end"], strict=True)) or list(
            DEFAULT_SLOTS
        )
    sums = run(
        sa.select(bs.c.spot_id, bs.c.slot_start, sa.func.sum(bs.c.party).label("party"))
        .where(bs.c.visit_date == day, bs.c.status.in_(("booked", "checked_in")))
        .group_by(bs.c.spot_id, bs.c.slot_start)
    )  # fmt: skip
    load = {(r.spot_id, r.slot_start): float(r.party) for r in sums.itertuples()}
    booked = run(sa.select(b).where(b.c.visit_date == day, b.c.status == "booked")
                 .order_by(b.c.booking_id))  # fmt: skip
    booked = booked[booked["spot_id"].isin(spots["spot_id"])]
    return State(vehicles=vehicles, alarms=alarms.reset_index(drop=True), cameras=cameras,
                 events=events, spots=spots, slots=slots, load=load,
                 booked=booked.to_dict("records"), day=day)  # fmt: skip


def _pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


@dataclass
class Simulator:
    """Makes each batch's rows from a :class:`State` (see the module's description).

    ``rate`` is rows per second in all, ``severe_every`` forces a severity-3
    alarm every so many seconds (None: only by chance).
    """

    state: State
    rate: float = DEFAULT_RATE
    seed: int = 7
    severe_every: float | None = None
    tag: str = ""
    rng: np.random.Generator = field(init=False)
    _serial: int = field(default=0, init=False)
    _last: dt.datetime | None = field(default=None, init=False)
    _last_severe: dt.datetime | None = field(default=None, init=False)
    _down: list[int] = field(default_factory=list, init=False)  # cameras this run turned off
    _hot: tuple[str, str, str] | None = field(default=None, init=False)
    _turn: int = field(default=0, init=False)  # the vehicle whose fix is next

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)

    def _id(self, prefix: str) -> str:
        self._serial += 1
        return f"{prefix}{self.tag}{self._serial:07d}"

    def _count(self, kind: str, seconds: float) -> int:
        mean = PER_MINUTE[kind] * self.rate / DEFAULT_RATE * seconds / 60
        return int(self.rng.poisson(mean))

    def batch(self, now: dt.datetime) -> dict[str, list[dict]]:
        """Return the rows of the batch ending at ``now`` (naive Asia/Shanghai), by dataset."""
        seconds = 1.0 if self._last is None else max((now - self._last).total_seconds(), 0.001)
        out: dict[str, list[dict]] = {}
        severe = self.severe_every is not None and (
            self._last_severe is None
            or (now - self._last_severe).total_seconds() >= self.severe_every
        )
        if severe:
            self._last_severe = now
        # changes first, then new rows: a key appears once in a batch (a repeat is quarantined)
        alarms = self._alarm_updates(now, self._count("alarm_updates", seconds))
        alarms += self._alarms(now, self._count("new_alarms", seconds), severe)
        events = self._close_events(now, self._count("closed_events", seconds))
        events += self._events(now, self._count("new_events", seconds),
                               severe and not self.state.vehicles)  # fmt: skip
        cameras = self._cameras(now, self._count("camera_changes", seconds))
        bookings = self._check_ins(self._count("check_ins", seconds), now)
        bookings += self._bookings(now, self._count("new_bookings", seconds))
        others = len(alarms) + len(events) + len(cameras) + len(bookings)
        fixes = self._fixes(now, max(0, round(self.rate * seconds) - others))
        for name, rows in (("hazmat_tracks", fixes), ("hazmat_alarms", alarms),
                           ("cameras", cameras), ("video_events", events),
                           ("bookings", bookings)):  # fmt: skip
            if rows:
                out[name] = rows
        self._last = now
        return out

    # ------------------------------------------------------------------ hazmat
    def _fixes(self, now: dt.datetime, n: int) -> list[dict]:
        """Return ``n`` GPS fixes, spread over the vehicles in turn and over the batch's time."""
        vehicles = self.state.vehicles
        if not vehicles or n <= 0:
            return []
        start = self._last or now - dt.timedelta(seconds=1)
        rows = []
        for k in range(n):
            v = vehicles[self._turn % len(vehicles)]
            self._turn += 1
            ts = start + (now - start) * (k + 1) / n
            ts = ts.replace(microsecond=ts.microsecond // 1000 * 1000)
            if v.ts is not None and ts <= v.ts:
                ts = v.ts + dt.timedelta(milliseconds=1)
            # from where it was last seen, it moves as long as one batch (no jump for the gap)
            since = ts - v.ts if v.simulated and v.ts is not None else now - start
            hours = since.total_seconds() / 3600
            v.simulated = True
            v.speed = float(np.clip(v.speed + self.rng.normal(0, 5), 30, 90))
            self._move(v, v.speed * min(hours, 0.05))
            v.ts = ts
            lon, lat = (0.0, 0.0) if self.rng.random() < GLITCH else (v.lon, v.lat)
            rows.append({"vehicle_plate": v.plate, "ts": ts, "lon": round(lon, 6),
                         "lat": round(lat, 6), "speed_kmh": round(v.speed, 1)})  # fmt: skip
        return rows

    def _move(self, v: Vehicle, km: float) -> None:
        """Move ``v`` ``km`` toward its target (a little off the straight line); turn at it."""
        dx = (v.target[0] - v.lon) * KM_PER_DEGREE * math.cos(math.radians(v.lat))
        dy = (v.target[1] - v.lat) * KM_PER_DEGREE
        left = math.hypot(dx, dy)
        if left <= km or left < 0.05:
            v.lon, v.lat = v.target
            v.target, v.back = v.back, v.target
            return
        angle = math.atan2(dy, dx) + self.rng.normal(0, 0.15)
        v.lon += km * math.cos(angle) / (KM_PER_DEGREE * math.cos(math.radians(v.lat)))
        v.lat += km * math.sin(angle) / KM_PER_DEGREE

    def _alarms(self, now: dt.datetime, n: int, severe: bool) -> list[dict]:
        vehicles = self.state.vehicles
        if not vehicles:
            return []
        rows = []
        for k in range(n + int(severe)):
            v = vehicles[int(self.rng.integers(len(vehicles)))]
            level = 3 if severe and k == n else int(self.rng.choice(3, p=SEVERITY_SHARES)) + 1
            row = {"alarm_id": self._id("LA"), "vehicle_plate": v.plate,
                   "waybill_id": v.waybill_id, "ts": now,
                   "alarm_type": ALARM_TYPES[int(self.rng.integers(len(ALARM_TYPES)))],
                   "severity": level, "lon": round(v.lon, 6), "lat": round(v.lat, 6),
                   "status": "open", "closed_at": None}  # fmt: skip
            rows.append(row)
        if rows:
            self.state.alarms = pd.concat([self.state.alarms, pd.DataFrame(rows)],
                                          ignore_index=True)  # fmt: skip
        return rows

    def _alarm_updates(self, now: dt.datetime, n: int) -> list[dict]:
        alarms = self.state.alarms
        rows = []
        for _ in range(min(n, len(alarms))):
            i = int(self.rng.integers(len(alarms)))
            row = {k: (None if _missing(v) else v) for k, v in alarms.iloc[i].items()
                   if k in ALARM_FIELDS}  # fmt: skip
            if row["status"] == "open" and self.rng.random() < 0.6:
                row["status"] = "acknowledged"
                alarms.iloc[i, alarms.columns.get_loc("status")] = "acknowledged"
            else:
                row["status"], row["closed_at"] = "closed", now
                alarms = alarms.drop(alarms.index[i]).reset_index(drop=True)
            rows.append(row)
        self.state.alarms = alarms
        return rows

    # ------------------------------------------------------------------ video
    def _cameras(self, now: dt.datetime, n: int) -> list[dict]:
        cams = self.state.cameras
        if cams.empty:
            return []
        rows = []
        status = cams.columns.get_loc("status")
        changed: set[int] = set()
        for _ in range(n):
            if self._down and self.rng.random() < 0.5:
                i = self._down.pop(int(self.rng.integers(len(self._down))))
            else:
                i = int(self.rng.integers(len(cams)))
            if i in changed:  # once a batch
                continue
            changed.add(i)
            before = cams.iat[i, status]
            after = ("offline" if self.rng.random() < 0.7 else "fault") if before == "online" \
                else "online"  # fmt: skip
            if after != "online":
                self._down.append(i)
            elif i in self._down:
                self._down.remove(i)
            cams.iat[i, status] = after
            row = {k: (None if _missing(v) else v) for k, v in cams.iloc[i].items()
                   if k in CAMERA_FIELDS}  # fmt: skip
            row["last_seen"] = now
            rows.append(row)
        return rows

    def _events(self, now: dt.datetime, n: int, severe: bool) -> list[dict]:
        cams = self.state.cameras
        if cams.empty:
            return []
        ai = cams[cams["ai_enabled"].astype(bool) & (cams["status"] == "online")]
        if ai.empty:
            return []
        rows = []
        for k in range(n + int(severe)):
            camera = ai["camera_id"].iloc[int(self.rng.integers(len(ai)))]
            kind = "烟火" if severe and k == n else _pick(self.rng, EVENT_TYPES)
            rows.append({"event_id": self._id("LE"), "camera_id": camera, "ts": now,
                         "event_type": kind, "status": "open", "closed_at": None})  # fmt: skip
        if rows:
            self.state.events = pd.concat([self.state.events, pd.DataFrame(rows)],
                                          ignore_index=True)  # fmt: skip
        return rows

    def _close_events(self, now: dt.datetime, n: int) -> list[dict]:
        events = self.state.events
        rows = []
        for _ in range(min(n, len(events))):
            i = int(self.rng.integers(len(events)))
            row = {k: (None if _missing(v) else v) for k, v in events.iloc[i].items()
                   if k in EVENT_FIELDS}  # fmt: skip
            row["status"], row["closed_at"] = "closed", now
            events = events.drop(events.index[i]).reset_index(drop=True)
            rows.append(row)
        self.state.events = events
        return rows

    # ---------------------------------------------------------------- tourism
    def _upcoming(self, spot: str, now: dt.datetime) -> list[tuple[str, str]]:
        """Return a spot's slots of today not yet over (all of them after closing time)."""
        slots = self.state.slots.get(spot) or list(DEFAULT_SLOTS)
        if now.date() != self.state.day:
            return slots
        clock = now.strftime("%H:%M")
        return [s for s in slots if s[1] > clock] or slots

    def _hot_slot(self, now: dt.datetime) -> tuple[str, str, str] | None:
        """Return the (spot, start, end) tour groups are filling, choosing another when full."""
        spots = self.state.spots
        capacity = dict(zip(spots["spot_id"], spots["instant_capacity"], strict=True))
        if self._hot is not None:
            spot, start, _ = self._hot
            if self.state.load.get((spot, start), 0) < CROWDED * capacity[spot]:
                return self._hot
        best = None
        for spot in spots["spot_id"]:
            for start, end in self._upcoming(spot, now):
                share = self.state.load.get((spot, start), 0) / capacity[spot]
                if share < CROWDED and (best is None or share > best[0]):
                    best = (share, (spot, start, end))
        self._hot = best[1] if best else None
        return self._hot

    def _bookings(self, now: dt.datetime, n: int) -> list[dict]:
        spots = self.state.spots
        if spots.empty:
            return []
        capacity = dict(zip(spots["spot_id"], spots["instant_capacity"], strict=True))
        weights = dict(zip(spots["spot_id"], spots["instant_capacity"].astype(float), strict=True))
        rows = []
        for _ in range(n):
            hot = self._hot_slot(now) if self.rng.random() < GROUP_SHARE else None
            if hot is not None:
                spot, start, end = hot
                room = CROWDED * capacity[spot] + 0.1 * capacity[spot] - self.state.load.get(
                    (spot, start), 0)  # fmt: skip
                party = int(min(max(1, room), self.rng.integers(10, 41), 500))
                channel = GROUP_CHANNEL
            else:
                spot = _pick(self.rng, weights)
                choices = self._upcoming(spot, now)
                start, end = choices[int(self.rng.integers(min(3, len(choices))))]
                party = int(self.rng.choice(PARTY_SIZES[0], p=PARTY_SIZES[1]))
                channel = _pick(self.rng, CHANNELS)
            row = {"booking_id": self._id("LB"), "spot_id": spot, "visit_date": self.state.day,
                   "slot_start": start, "slot_end": end, "party_size": party,
                   "visitor_origin": _pick(self.rng, ORIGINS), "channel": channel,
                   "status": "booked", "booked_at": now}  # fmt: skip
            self.state.load[(spot, start)] = self.state.load.get((spot, start), 0) + party
            self.state.booked.append(row)
            rows.append(row)
        return rows

    def _check_ins(self, n: int, now: dt.datetime) -> list[dict]:
        booked = self.state.booked
        clock = now.strftime("%H:%M")
        due = [i for i, b in enumerate(booked) if b["slot_start"] <= clock] or list(
            range(len(booked))
        )
        rows = []
        for i in sorted(self.rng.permutation(due)[:n].tolist(), reverse=True):
            row = {k: (None if _missing(v) else v) for k, v in booked.pop(i).items()
                   if k in BOOKING_FIELDS}  # fmt: skip
            row["status"] = "checked_in"
            rows.append(row)
        return rows


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def shanghai_now() -> dt.datetime:
    """Return the time now in Asia/Shanghai, naive (as the store keeps time)."""
    return dt.datetime.now(TZ).replace(tzinfo=None)


@dataclass
class Summary:
    """What a simulation run wrote: batches, rows by dataset, quarantined rows, merges."""

    seconds: float = 0.0
    batches: int = 0
    rows: Counter = field(default_factory=Counter)
    quarantined: int = 0
    merges: list[MergeReport] = field(default_factory=list)
    interrupted: bool = False


def merge_line(report: MergeReport) -> str:
    """Return the one line a merge prints: rows written, quarantined, seconds, version."""
    if not report.batches:
        return "merge: nothing pending"
    parts = ", ".join(f"{n} {d['inserted'] + d['updated']:,}" for n, d in report.datasets.items())
    return (f"merge: {report.rows_written:,} rows written ({parts}), {report.quarantined:,} "
            f"quarantined, {report.batches} batches, {report.seconds:.2f} s"
            + (f" → {report.version}" if report.version else ""))  # fmt: skip


def run(
    writer: LiveWriter,
    simulator: Simulator,
    *,
    duration: float | None,
    batch_seconds: float = 1.0,
    merge_seconds: float = 60.0,
    say: Callable[[str], None] = print,
    clock: Callable[[], dt.datetime] = shanghai_now,
) -> Summary:
    """Write a batch every ``batch_seconds`` until ``duration`` (None: until Ctrl-C); merge.

    A merge runs every ``merge_seconds`` in a thread of its own (the feed goes on
    while a city-scale store is copied) and once at the end; each prints one
    line through ``say``. Ctrl-C ends the run like the end of ``duration``.

    Returns
    -------
    Summary
        Batches, rows written by dataset, rows quarantined, the merges' reports.
    """
    summary = Summary()
    stop = threading.Event()
    lock = threading.Lock()

    def merge_once() -> None:
        try:
            report = writer.merge()
        except NotEnoughDisk as exc:
            say(f"merge skipped, the batches wait: {exc}")
            return
        with lock:
            summary.merges.append(report)
        if report.batches:
            say(merge_line(report))

    def merging() -> None:
        while not stop.wait(merge_seconds):
            try:
                merge_once()
            except Exception as exc:  # the feed goes on; the batches wait for the next merge
                say(f"merge failed, the batches wait: {store.safe_error(exc)}")

    merger = threading.Thread(target=merging, name="live-merge", daemon=True)
    started = time.monotonic()
    end = None if duration is None else started + duration
    merger.start()
    try:
        due = started
        while end is None or time.monotonic() < end:
            rows = simulator.batch(clock())
            for name, records in rows.items():
                done = writer.write(name, records)
                summary.rows[name] += done.accepted
                summary.quarantined += done.quarantined
            summary.batches += 1
            due += batch_seconds
            pause = due - time.monotonic() if end is None else min(due, end) - time.monotonic()
            if pause > 0:
                time.sleep(pause)
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        stop.set()
        merger.join()
    merge_once()
    summary.seconds = time.monotonic() - started
    return summary


def summary_line(summary: Summary) -> str:
    """Return the closing line of ``cityops simulate``."""
    rows = sum(summary.rows.values())
    parts = ", ".join(f"{n} {c:,}" for n, c in summary.rows.most_common())
    merged = sum(1 for m in summary.merges if m.batches)
    how = "interrupted" if summary.interrupted else "done"
    return (f"simulate {how} after {summary.seconds:.0f} s: {rows:,} rows in {summary.batches:,} "
            f"batches ({parts or 'none'}), {summary.quarantined:,} quarantined, "
            f"{merged} merges")  # fmt: skip
