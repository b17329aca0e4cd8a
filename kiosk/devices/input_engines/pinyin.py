"""Pinyin → Chinese candidates with libpinyin (Debian libpinyin15 + libpinyin-data), via ctypes.

    engine = PinyinEngine()                   # cheap; the library loads on the first call
    engine.candidates("beijing")              # ['北京', '背景', ...]
    engine.candidates("bj")                   # abbreviations: ['编辑', '北京', ...]
    engine.lookup("zhejiangshenghangzhou")    # [Candidate('浙江省杭州', 21), Candidate('浙江省', 13), ...]
    engine.forget()                           # session end

Privacy: what a citizen types is personal (names, addresses). The engine does not learn: no
user directory is given to libpinyin (nothing is written to disk) and DYNAMIC_ADJUST is off, so
choosing a candidate never changes the ranking the next citizen sees (a test checks it).
Learning was tried and left out: pinyin_train did not move the chosen phrase up over the
sentence guesses, and within one session there is little to learn. `forget` still rebuilds the
context at session end, so no state of one citizen's typing outlives the session.

Threads: libpinyin's context and instance are plain mutable C objects, not thread-safe, so every
call takes the engine's lock. Any thread may call; the keyboard calls on the GUI thread: a query
takes 1-5 ms (MAX_PINYIN bounds the worst case), the first one ~5 ms more to map the data.
Licence: libpinyin is GPL-3+ (docs/input.md "Licences" says what that means for distribution).
"""
from __future__ import annotations

import ctypes
import sysconfig
import threading
from dataclasses import dataclass
from pathlib import Path

from kiosk.devices.input_engines import EngineUnavailable

LIBRARY = "libpinyin.so.15"     # the 2.x ABI these signatures are for (Debian 12: 2.8.1)
MAX_PINYIN = 48                 # letters: a long address typed in one go; bounds the lattice search
MAX_LIMIT = 50

# pinyin_custom2.h (2.8.1)
IS_PINYIN, PINYIN_INCOMPLETE = 1 << 1, 1 << 3
PINYIN_CORRECT_ALL = 0xFF << 21          # gn→ng, iou→iu, v→ü ...: common typing slips
# pinyin.h sort_option_t: phrase length, then pinyin length, then frequency; no longer phrases
SORT = 0x2 | 0x4 | 0x8 | 0x10

_P = ctypes.c_void_p


@dataclass(frozen=True)
class Candidate:
    text: str
    consumed: int       # how many letters of the (normalised) input this candidate covers


def default_data_dir() -> Path | None:
    """Where libpinyin-data put its tables (Debian: /usr/lib/<multiarch>/libpinyin/data)."""
    arch = sysconfig.get_config_var("MULTIARCH") or ""
    for d in (Path("/usr/lib") / arch / "libpinyin/data", Path("/usr/lib/libpinyin/data"), Path("/usr/lib64/libpinyin/data")):
        if (d / "table.conf").is_file():
            return d
    return None


def normalise(pinyin: str) -> str | None:
    """Lower-case letters with ' or space as syllable breaks ('); ü as v. None when the input
    holds anything else or is too long (the keyboard then shows no candidates). Pure."""
    if not isinstance(pinyin, str) or not pinyin or len(pinyin) > MAX_PINYIN * 2:
        return None
    text = pinyin.lower().replace("ü", "v").replace(" ", "'").strip("'")
    while "''" in text:
        text = text.replace("''", "'")
    letters = text.replace("'", "")
    if not letters or len(letters) > MAX_PINYIN or not all("a" <= c <= "z" or c == "'" for c in text):
        return None
    return text


def _bind(lib: ctypes.CDLL) -> None:
    sig = {
        "pinyin_init": (_P, [ctypes.c_char_p, ctypes.c_char_p]),
        "pinyin_set_options": (ctypes.c_bool, [_P, ctypes.c_uint32]),
        "pinyin_alloc_instance": (_P, [_P]),
        "pinyin_free_instance": (None, [_P]),
        "pinyin_fini": (None, [_P]),
        "pinyin_reset": (ctypes.c_bool, [_P]),
        "pinyin_parse_more_full_pinyins": (ctypes.c_size_t, [_P, ctypes.c_char_p]),
        "pinyin_guess_sentence": (ctypes.c_bool, [_P]),
        "pinyin_guess_candidates": (ctypes.c_bool, [_P, ctypes.c_size_t, ctypes.c_uint]),
        "pinyin_get_n_candidate": (ctypes.c_bool, [_P, ctypes.POINTER(ctypes.c_uint)]),
        "pinyin_get_candidate": (ctypes.c_bool, [_P, ctypes.c_uint, ctypes.POINTER(_P)]),
        "pinyin_get_candidate_string": (ctypes.c_bool, [_P, _P, ctypes.POINTER(ctypes.c_char_p)]),
        "pinyin_choose_candidate": (ctypes.c_int, [_P, ctypes.c_size_t, _P]),
        "pinyin_clear_constraint": (ctypes.c_bool, [_P, ctypes.c_size_t]),
    }
    for name, (restype, argtypes) in sig.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes


class PinyinEngine:
    """Candidates for what the citizen typed on the Pinyin keyboard. Every method: any thread,
    under the engine's lock; blocks a few ms. Raises EngineUnavailable when libpinyin or its
    data is missing (first call)."""

    def __init__(self, data_dir: Path | None = None, library: str = LIBRARY) -> None:
        self._data_dir = data_dir
        self._library = library
        self._lock = threading.Lock()
        self._lib: ctypes.CDLL | None = None
        self._context: int | None = None
        self._instance: int | None = None

    def candidates(self, pinyin: str, limit: int = 10) -> list[str]:
        """Up to `limit` (1-50) distinct candidates, best first; [] for input that is not pinyin."""
        return [c.text for c in self.lookup(pinyin, limit)]

    def lookup(self, pinyin: str, limit: int = 10) -> list[Candidate]:
        """Like `candidates`, with how many input letters (of the normalised input, counting
        the ' breaks) each covers, so the keyboard keeps the rest after a partial choice."""
        text = normalise(pinyin)
        if text is None:
            return []
        limit = max(1, min(int(limit), MAX_LIMIT))
        with self._lock:
            lib, inst = self._ready()
            found: dict[str, Candidate] = {}
            for _index, cand in self._guess(lib, inst, text):
                if len(found) >= limit:
                    break
                s = ctypes.c_char_p()
                if not lib.pinyin_get_candidate_string(inst, cand, ctypes.byref(s)) or not s.value:
                    continue
                word = s.value.decode("utf-8", "replace")
                if word not in found:
                    consumed = lib.pinyin_choose_candidate(inst, 0, cand)
                    lib.pinyin_clear_constraint(inst, 0)
                    found[word] = Candidate(word, max(0, min(int(consumed), len(text))))
            return list(found.values())

    def forget(self) -> None:
        """Session end: free the context (rebuilt, ~5 ms, by the next call)."""
        with self._lock:
            self._free()

    close = forget   # kiosk shutdown: the same, and nothing is rebuilt unless asked again

    # -- under the lock --------------------------------------------------------------------
    def _guess(self, lib: ctypes.CDLL, inst: int, text: str):
        lib.pinyin_reset(inst)
        lib.pinyin_parse_more_full_pinyins(inst, text.encode("ascii"))
        lib.pinyin_guess_sentence(inst)
        if not lib.pinyin_guess_candidates(inst, 0, SORT):
            return
        n = ctypes.c_uint(0)
        lib.pinyin_get_n_candidate(inst, ctypes.byref(n))
        for i in range(n.value):
            cand = _P()
            if lib.pinyin_get_candidate(inst, i, ctypes.byref(cand)) and cand.value:
                yield i, cand

    def _ready(self) -> tuple[ctypes.CDLL, int]:
        if self._lib is None:
            try:
                lib = ctypes.CDLL(self._library)
                _bind(lib)
            except (OSError, AttributeError) as exc:
                raise EngineUnavailable(f"{self._library}: {exc} (Debian: apt-get install libpinyin15)") from None
            self._lib = lib
        if self._instance is None:
            data = self._data_dir or default_data_dir()
            if data is None or not (Path(data) / "table.conf").is_file():
                raise EngineUnavailable("no libpinyin data (Debian: apt-get install libpinyin-data)")
            # No user directory: nothing a citizen chose is ever written to disk.
            ctx = self._lib.pinyin_init(str(data).encode(), None)
            if not ctx:
                raise EngineUnavailable(f"libpinyin could not load its data from {data}")
            self._lib.pinyin_set_options(ctx, IS_PINYIN | PINYIN_INCOMPLETE | PINYIN_CORRECT_ALL)
            inst = self._lib.pinyin_alloc_instance(ctx)
            if not inst:
                self._lib.pinyin_fini(ctx)
                raise EngineUnavailable("libpinyin could not allocate an instance")
            self._context, self._instance = ctx, inst
        return self._lib, self._instance

    def _free(self) -> None:
        if self._lib is not None and self._instance is not None:
            self._lib.pinyin_free_instance(self._instance)
            self._lib.pinyin_fini(self._context)
        self._context = self._instance = None
