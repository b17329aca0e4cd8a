"""The on-screen keyboards' engines (issue 13) with the real C libraries and data: libpinyin with
libpinyin-data, zinnia with the tegaki simplified-Chinese model (scripts/setup.sh installs them)."""
from __future__ import annotations

import json
import threading

import pytest

from kiosk.devices.input_engines import EngineUnavailable
from kiosk.devices.input_engines.handwriting import MAX_POINTS, MAX_STROKES, HandwritingRecogniser, bounded_strokes
from kiosk.devices.input_engines.pinyin import MAX_PINYIN, PinyinEngine, normalise
from tests.conftest import FIXTURES

STROKES = json.loads((FIXTURES / "handwriting" / "strokes.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def pinyin():
    engine = PinyinEngine()
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def recogniser():
    rec = HandwritingRecogniser()
    yield rec
    rec.close()


@pytest.mark.parametrize("typed, word, within", [
    ("beijing", "北京", 1), ("hangzhou", "杭州", 1), ("renminlu", "人民路", 1), ("xihuqu", "西湖区", 1),
    ("zhejiangsheng", "浙江省", 1), ("wenyilu", "文一路", 3), ("shenfenzheng", "身份证", 1),
    ("bj", "北京", 3), ("rml", "人民路", 3), ("hk", "户口", 10), ("Xi'an", "西安", 1), ("xi an", "西安", 1),
    ("lü", "吕", 3), ("lv", "吕", 3),
])
def test_pinyin_puts_the_word_among_the_first_candidates(pinyin, typed, word, within):
    assert word in pinyin.candidates(typed, limit=within), pinyin.candidates(typed, limit=10)


def test_pinyin_candidates_say_how_much_they_cover_so_the_rest_can_be_kept(pinyin):
    found = {c.text: c.consumed for c in pinyin.lookup("zhejiangshenghangzhoushi", 10)}
    assert found["浙江省杭州市"] == len("zhejiangshenghangzhoushi")
    assert found["浙江省"] == len("zhejiangsheng") and found["浙江"] == len("zhejiang")


def test_pinyin_candidates_are_distinct_and_limited(pinyin):
    got = pinyin.candidates("xian", limit=7)
    assert len(got) == 7 and len(set(got)) == 7
    assert len(pinyin.candidates("a", limit=10_000)) <= 50
    assert len(pinyin.candidates("shi", limit=0)) == 1


@pytest.mark.parametrize("bad", ["", "   ", "'''", "北京", "beijing北京", "bei-jing", "bei\x00jing", "a" * (MAX_PINYIN + 1),
                                 "é", "1234", "x" * 100_000, None, 42])
def test_pinyin_refuses_what_is_not_pinyin_without_calling_c(pinyin, bad):
    assert normalise(bad) is None
    assert pinyin.candidates(bad) == []


def test_pinyin_choosing_never_changes_what_the_next_citizen_sees(pinyin):
    before = pinyin.candidates("zhangwei", 10)
    for _ in range(50):
        pinyin.lookup("zhangwei", 10)        # lookup chooses each candidate to measure it
    pinyin.forget()
    assert pinyin.candidates("zhangwei", 10) == before


def test_pinyin_is_safe_from_several_threads(pinyin):
    errors: list[BaseException] = []
    expected = pinyin.candidates("hangzhou", 3)

    def hammer() -> None:
        try:
            for _ in range(30):
                assert pinyin.candidates("hangzhou", 3) == expected
                pinyin.candidates("renminlu", 3)
        except BaseException as exc:   # noqa: BLE001 (reported below)
            errors.append(exc)
    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors


def test_missing_pinyin_data_is_said_plainly(tmp_path):
    with pytest.raises(EngineUnavailable, match="libpinyin-data"):
        PinyinEngine(data_dir=tmp_path).candidates("beijing")
    with pytest.raises(EngineUnavailable, match="libpinyin15"):
        PinyinEngine(library="libpinyin.so.999").candidates("beijing")


@pytest.mark.parametrize("char", list(STROKES["characters"]))
def test_handwriting_finds_the_written_character_among_the_top_candidates(recogniser, char):
    got = recogniser.recognise(STROKES["characters"][char], STROKES["width"], STROKES["height"], limit=5)
    assert char in got, got


def test_handwriting_does_not_depend_on_where_or_how_large_one_writes(recogniser):
    ten = STROKES["characters"]["十"]
    small_in_a_corner = [[(x // 4 + 10, y // 4 + 600) for x, y in s] for s in ten]
    assert recogniser.recognise(small_in_a_corner, 800, 900, limit=3)[0] == "十"


def test_handwriting_puts_common_characters_before_rare_look_alikes(recogniser):
    got = recogniser.recognise(STROKES["characters"]["口"], 300, 300, limit=10)
    assert got.index("口") < got.index("囗")


def test_handwriting_with_nothing_drawn_gives_nothing(recogniser):
    assert recogniser.recognise([], 300, 300) == []
    assert recogniser.recognise([[], []], 300, 300) == []


def test_handwriting_bounds_what_reaches_zinnia(recogniser):
    wild = [[(i % 300, (i * 7) % 300) for i in range(10_000)] for _ in range(500)]
    bounded = bounded_strokes(wild, 300, 300)
    assert len(bounded) == MAX_STROKES and all(len(s) <= MAX_POINTS for s in bounded)
    assert isinstance(recogniser.recognise(wild, 300, 300), list)
    far = [[(-10**12, 10**12), (10**30, -5)]]
    assert all(0 <= x < 300 and 0 <= y < 300 for x, y in bounded_strokes(far, 300, 300)[0])
    recogniser.recognise(far, 300, 300)
    one_dot = [[(150, 150)]]
    assert isinstance(recogniser.recognise(one_dot, 300, 300), list)


@pytest.mark.parametrize("strokes", ["十", [["ab"]], [[(1, 2, 3)]], [[("x", 1)]], [[(float("nan"), 1)]], 5])
def test_handwriting_refuses_malformed_strokes(recogniser, strokes):
    with pytest.raises(ValueError):
        recogniser.recognise(strokes, 300, 300)


@pytest.mark.parametrize("w, h", [(0, 300), (300, -1), (10**9, 300), (300.5, 300)])
def test_handwriting_refuses_a_nonsense_box(recogniser, w, h):
    with pytest.raises(ValueError):
        recogniser.recognise([[(1, 1), (2, 2)]], w, h)


def test_missing_handwriting_model_is_said_plainly(tmp_path):
    with pytest.raises(EngineUnavailable, match="tegaki-zinnia-simplified-chinese"):
        HandwritingRecogniser(model=tmp_path / "none.model").recognise([[(1, 1), (5, 5)]], 10, 10)
    bogus = tmp_path / "bogus.model"
    bogus.write_bytes(b"\0" * 64)
    with pytest.raises(EngineUnavailable, match="cannot open"):
        HandwritingRecogniser(model=bogus).recognise([[(1, 1), (5, 5)]], 10, 10)
