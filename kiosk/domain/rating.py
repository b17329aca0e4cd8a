"""Ratings (好差评): what a citizen may say about a visit, and the checks both the kiosk and the
back office apply to it. One place defines the score scale and the fixed list of reasons, so the
kiosk cannot send, and the back office will not file, anything else. No I/O.

A rating is about the whole visit (item_id "") or about one department's item of the
application. Scores are 1..5 (非常不满意 .. 非常满意); 1 and 2 are bad (差评), 4 and 5 good
(好评), 3 neither. A bad rating may ask for a call back, with the citizen's consent to use the
phone number given in the form; the number itself never travels with the rating (the back
office already holds it in the sealed application).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from kiosk.domain.text import Text
from kiosk.i18n import tr

OVERALL = ""                                # item_id of a rating of the whole visit
MAX_RATINGS = 31                            # overall + at most 30 items a bundle may have
MAX_REASONS = 6
ITEM_ID_RE = re.compile(r"[a-z][a-z0-9_]{0,79}")   # = the catalogue's ids

# The fixed list: (id, words, polarity). Append only: the back office files reports by id.
_REASONS: tuple[tuple[str, Text, str], ...] = (
    ("fast", tr("办得快"), "good"),
    ("easy", tr("操作简单"), "good"),
    ("fewer_trips", tr("少跑腿"), "good"),
    ("helpful_staff", tr("服务热情"), "good"),
    ("long_wait", tr("等待时间长"), "bad"),
    ("hard_to_use", tr("操作困难"), "bad"),
    ("too_many_materials", tr("材料要求多"), "bad"),
    ("unclear_progress", tr("进度不清楚"), "bad"),
    ("staff_attitude", tr("服务态度差"), "bad"),
    ("result", tr("对结果不满意"), "bad"),
)
REASONS: Mapping[str, Text] = MappingProxyType({r[0]: r[1] for r in _REASONS})
GOOD_REASONS: tuple[str, ...] = tuple(r[0] for r in _REASONS if r[2] == "good")
BAD_REASONS: tuple[str, ...] = tuple(r[0] for r in _REASONS if r[2] == "bad")


class RatingRefused(ValueError):
    """A rating that does not fit the rules; the message names the rule, never personal data."""


def is_bad(score: int) -> bool:
    return score <= 2


def is_good(score: int) -> bool:
    return score >= 4


def reasons_for(score: int) -> tuple[str, ...]:
    """The reasons offered for a score: praise for a good one, complaints otherwise."""
    return GOOD_REASONS if is_good(score) else BAD_REASONS


@dataclass(frozen=True)
class ItemRating:
    item_id: str                    # OVERALL or a department item of the application
    score: int
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Feedback:
    """Everything one citizen said after one visit."""
    number: str
    ratings: tuple[ItemRating, ...]
    callback: bool = False          # call me back (consent to use the form's phone number)

    @property
    def bad(self) -> bool:
        return any(is_bad(r.score) for r in self.ratings)

    def to_wire(self, rated_at: str) -> dict[str, Any]:
        return {"number": self.number, "rated_at": rated_at, "callback": self.callback,
                "ratings": [{"item_id": r.item_id, "score": r.score, "reasons": list(r.reasons)}
                            for r in self.ratings]}


def make_feedback(number: str, score: int, items: Iterable[str], reasons: Iterable[str], callback: bool,
                  known_items: Iterable[str]) -> Feedback:
    """The feedback for one score given to the whole visit (no `items`) or to each of `items`.
    Raises RatingRefused for anything outside the rules (see `check`)."""
    chosen = tuple(dict.fromkeys(items))
    why = tuple(dict.fromkeys(reasons))
    ratings = tuple(ItemRating(i, score, why) for i in chosen) if chosen else (ItemRating(OVERALL, score, why),)
    fb = Feedback(number, ratings, callback)
    check(fb, known_items)
    return fb


def check(fb: Feedback, known_items: Iterable[str] | None = None) -> None:
    """The rules: 1..MAX_RATINGS ratings, each on a distinct item (of the application when
    `known_items` is given), score 1..5, reasons from the list and of the score's polarity, at
    most MAX_REASONS; a call back only with a bad rating."""
    known = None if known_items is None else set(known_items)
    if not 0 < len(fb.ratings) <= MAX_RATINGS:
        raise RatingRefused(f"1 to {MAX_RATINGS} ratings expected")
    seen: set[str] = set()
    for i, r in enumerate(fb.ratings, 1):
        if not isinstance(r.item_id, str) or not (r.item_id == OVERALL or ITEM_ID_RE.fullmatch(r.item_id)):
            raise RatingRefused(f"rating {i}: not an item id")
        if known is not None and r.item_id != OVERALL and r.item_id not in known:
            raise RatingRefused(f"rating {i}: not an item of this application")
        if r.item_id in seen:
            raise RatingRefused(f"rating {i}: item rated twice")
        seen.add(r.item_id)
        if type(r.score) is not int or not 1 <= r.score <= 5:
            raise RatingRefused(f"rating {i}: a score is 1 to 5")
        if len(r.reasons) > MAX_REASONS or len(set(r.reasons)) != len(r.reasons):
            raise RatingRefused(f"rating {i}: at most {MAX_REASONS} distinct reasons")
        allowed = reasons_for(r.score) if r.score != 3 else GOOD_REASONS + BAD_REASONS
        if any(not isinstance(x, str) or x not in allowed for x in r.reasons):
            raise RatingRefused(f"rating {i}: a reason not on the list for this score")
    if fb.callback is not False and fb.callback is not True:
        raise RatingRefused("callback: true or false")
    if fb.callback and not fb.bad:
        raise RatingRefused("a call back goes with a bad rating only")


def feedback_from_wire(obj: Any) -> Feedback:
    """Parse what a kiosk sent (shape only; `check` the result). RatingRefused if malformed."""
    if not isinstance(obj, dict) or not isinstance(obj.get("ratings"), list) or len(obj["ratings"]) > MAX_RATINGS:
        raise RatingRefused("malformed feedback")
    ratings = []
    for r in obj["ratings"]:
        if not isinstance(r, dict) or set(r) != {"item_id", "score", "reasons"} or not isinstance(r["reasons"], list) \
                or len(r["reasons"]) > MAX_REASONS:
            raise RatingRefused("malformed rating")
        ratings.append(ItemRating(r["item_id"], r["score"], tuple(r["reasons"])))
    return Feedback(str(obj.get("number", ""))[:40], tuple(ratings), obj.get("callback"))  # type: ignore[arg-type]
