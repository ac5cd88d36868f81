"""The wall's rotation and its alarm interrupt, as a pure state machine.

Nobody clicks a wall, so what it shows is decided here from time and data:

* once a page has been shown for ``rotate_s`` seconds, the next page of the configured
  list is shown (checked at every refresh: one stream of ticks, so a rotation and a
  refresh never race each other's state);
* every refresh the items the ticker watches are compared with those already
  seen; each new one of severity 3 joins a queue (oldest first), so alarms that
  arrive while another page shows are not missed;
* when no alarm is held and the queue is not empty, the first queued alarm is
  held: the wall turns to its domain's page (if that page is in the rotation),
  flies the map to it and shows its detail for ``hold_s`` seconds; rotation
  waits meanwhile and then resumes (the next queued alarm first).

The state is a plain dict kept in the browser (a ``dcc.Store``); times are ISO text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

#: Keys remembered as seen (newest kept): more than the ticker ever holds at once.
SEEN_LIMIT = 600
#: The wall page that shows an alarm of each kind.
KIND_PAGE = {"hazmat_alarm": "hazmat", "video_event": "video", "crowding": "tourism"}
INTERRUPT_SEVERITY = 3

State = dict[str, Any]


def start(pages: list[str], items: list[dict], now: dt.datetime) -> State:
    """Return the first state: the first page, every current item already seen, nothing held."""
    return {
        "pages": list(pages),
        "index": 0,
        "shown_at": now.isoformat(),
        "seen": [i["key"] for i in items][-SEEN_LIMIT:],
        "queue": [],
        "alert": None,
        "alert_until": None,
    }


def page(state: State) -> str:
    """Return the page the wall shows in ``state``."""
    return state["pages"][state["index"]]


def holding(state: State, now: dt.datetime) -> bool:
    """Return True while an alarm's detail is held on screen."""
    until = state.get("alert_until")
    return bool(state.get("alert")) and until is not None and now < dt.datetime.fromisoformat(until)


def rotate(state: State, now: dt.datetime, rotate_s: int) -> State:
    """Return the state after a tick: the next page once this one has had its ``rotate_s``.

    Never while an alarm is held; a page shown for an alarm keeps its time from the alarm.
    """
    state = release(state, now)
    if holding(state, now) or len(state["pages"]) < 2:
        return state
    shown = dt.datetime.fromisoformat(state.get("shown_at") or now.isoformat())
    if (now - shown).total_seconds() < rotate_s - 0.5:  # an interval fires a little early
        return state
    index = (state["index"] + 1) % len(state["pages"])
    return {**state, "index": index, "shown_at": now.isoformat()}


def step(state: State, items: list[dict], now: dt.datetime, *, rotate_s: int, hold_s: int) -> State:
    """Return the state after one tick: new alarms observed (maybe held), then the rotation."""
    return rotate(observe(state, items, now, hold_s), now, rotate_s)


def release(state: State, now: dt.datetime) -> State:
    """Return ``state`` without its held alarm once its time is up."""
    if state.get("alert") and not holding(state, now):
        return {**state, "alert": None, "alert_until": None}
    return state


def observe(state: State, items: list[dict], now: dt.datetime, hold_s: int) -> State:
    """Return the state after a refresh that found ``items`` (newest first).

    New severity-3 items are queued oldest first; when nothing is held the first
    queued one is held for ``hold_s`` seconds and its page shown.
    """
    seen = set(state["seen"])
    new = [i for i in items if i["key"] not in seen]
    queue = list(state["queue"])
    queued = {q["key"] for q in queue}
    for item in reversed(new):  # oldest first
        if item.get("severity", 0) >= INTERRUPT_SEVERITY and item["key"] not in queued:
            queue.append(item)
    keys = state["seen"] + [i["key"] for i in reversed(new)]
    state = release({**state, "seen": keys[-SEEN_LIMIT:], "queue": queue}, now)
    if holding(state, now) or not state["queue"]:
        return state
    alert, *rest = state["queue"]
    index = state["index"]
    target = KIND_PAGE.get(alert.get("kind", ""))
    if target in state["pages"]:
        index = state["pages"].index(target)
    return {
        **state,
        "queue": rest,
        "index": index,
        "shown_at": now.isoformat() if index != state["index"] else state.get("shown_at"),
        "alert": alert,
        "alert_until": (now + dt.timedelta(seconds=hold_s)).isoformat(),
    }
