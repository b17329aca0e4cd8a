"""Interface text lives in gettext catalogues (issue 13 part 7): no Text("中文", "English") pair is
left in the code, en.po translates every tr() of the code and nothing else, every translation keeps
its msgid's {placeholders}, and a further language falls back as its header says."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kiosk.config import ConfigError, load_config
from kiosk.domain.text import Text, base_language
from kiosk.flows import events as ev
from kiosk.flows.common import next_language
from kiosk.flows.journey import FlowConfig, handle, initial_state
from kiosk.i18n import catalogues, configure, tools, tr
from kiosk.i18n.catalogues import PACKAGE_DIR, CatalogueError
from kiosk.i18n import LIST_SEPARATOR
from kiosk.i18n.pairs import built_pairs, literal_pairs

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "locale"


@pytest.fixture(autouse=True)
def _package_catalogues():
    yield
    configure(None, ("zh", "en"))        # what every other test expects


def write_po(folder: Path, lang: str, body: str, fallback: str | None = None) -> Path:
    p = folder / lang / "LC_MESSAGES" / "kiosk.po"
    p.parent.mkdir(parents=True)
    header = f'"X-Fallback: {fallback}\\n"\n' if fallback else ""
    p.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n' + header + "\n"
                 + textwrap.dedent(body), "utf-8")
    return p


# --- (1) no pairs left in the code ----------------------------------------------------------------

def test_no_text_pair_of_two_literals_is_left_in_the_kiosk():
    left = [f"{f.relative_to(ROOT)}:{p.node.lineno}: {p.zh!r}"
            for f in sorted((ROOT / "kiosk").rglob("*.py")) for p in literal_pairs(f.read_text("utf-8"))]
    assert left == [], "run scripts/i18n.sh codemod:\n" + "\n".join(left)


def test_the_scan_finds_pairs_through_aliases_wrappers_and_concatenation():
    src = textwrap.dedent('''
        from kiosk.domain.text import Text
        from kiosk.domain.text import Text as X
        T = Text
        def _t(zh, en):
            return Text(zh, en)
        A = T("甲", "A")
        B = X("乙" "乙", "B" "b")
        C = _t("丙", en="C")
        D = Text(zh="丁", en="D")
        fine = Text(f"{A}", "x"), Text.from_obj({"zh": "戊", "en": "E"}), Text(name, "y")
    ''')
    assert [(p.zh, p.en) for p in literal_pairs(src)] == [("甲", "A"), ("乙乙", "Bb"), ("丙", "C"), ("丁", "D")]


def test_no_text_is_built_from_sentence_pieces_in_the_kiosk():
    # Text(f"共 {n} 份", f"{n} in all") shows a third language the fallback: a template does not.
    left = [f"{f.relative_to(ROOT)}:{node.lineno}" for f in sorted((ROOT / "kiosk").rglob("*.py"))
            for node in built_pairs(f.read_text("utf-8"))]
    assert left == [], "write tr(\"…{name}…\").format(name=…) instead:\n" + "\n".join(left)


def test_the_scan_finds_pairs_built_from_f_strings_and_concatenation():
    src = textwrap.dedent('''
        from kiosk.domain.text import Text
        def _t(zh, en):
            return Text(zh, en)
        A = Text(f"共 {n} 份", f"{n} in all")
        B = _t("打印机：" + x.zh, "Printer: " + x.en)
        C = Text(zh=f"{a}{b}", en=x.en + f" ({n})")
        fine = Text(name_zh, name_en), Text(sep.join(a), sep.join(b)), Text(f"{d:%Y}", str(d.year)), Text("甲", "A")
    ''')
    assert [n.lineno for n in built_pairs(src)] == [5, 6, 7]


def test_a_list_joins_with_each_languages_separator_and_pieces(tmp_path):
    write_po(tmp_path, "zh-easy", '''
        msgctxt "list separator"
        msgid "、"
        msgstr "，"

        msgid "结束办理"
        msgstr "不办了"
    ''', fallback="zh")
    configure(tmp_path, ("zh", "en", "zh-easy"))
    names = LIST_SEPARATOR.join([tr("结束办理"), "ID-1", Text("照片", "Photo")])
    assert (names.zh, names.en) == ("结束办理、ID-1、照片", "End session, ID-1, Photo")
    assert names.get("zh-easy") == "不办了，ID-1，照片"        # its own words and its own separator
    said = tr("请先拍摄以下材料：{names}").format(names=names)
    assert said.get("zh-easy") == "请先拍摄以下材料：不办了，ID-1，照片"
    assert LIST_SEPARATOR.join([]) == Text("", "")


# --- (2) en.po and the template match the code ------------------------------------------------------

def test_english_translates_every_text_of_the_code_and_nothing_else():
    assert tools.problems() == []


def test_the_template_is_what_the_code_says():
    shipped = tools.read(PACKAGE_DIR / "kiosk.pot")
    assert [(m.context, m.id) for m in shipped if m.id] == [(m.context, m.id) for m in tools.template() if m.id], \
        "run scripts/i18n.sh update"


def test_the_check_reports_untranslated_fuzzy_obsolete_and_unknown_entries(tmp_path):
    src = tmp_path / "kiosk"
    src.mkdir()
    (src / "m.py").write_text('from kiosk.i18n import tr\nA = tr("甲")\nB = tr("乙")\nC = tr("丙", "动词")\n', "utf-8")
    write_po(tmp_path, "en", '''
        msgid "甲"
        msgstr "A"

        #, fuzzy
        msgid "乙"
        msgstr "B?"

        msgid "丁"
        msgstr "D"

        #~ msgid "戊"
        #~ msgstr "E"
    ''')
    found = "\n".join(tools.problems(tmp_path, src))
    assert "untranslated (fuzzy): '乙'" in found and "untranslated: '丙' ctx='动词'" in found
    assert "not in the code" in found and "'丁'" in found and "1 obsolete" in found
    assert "'甲'" not in found


# --- (3) placeholders ----------------------------------------------------------------------------

def test_every_shipped_translation_keeps_the_placeholders_of_its_msgid():
    for po in [*tools.po_files(), *tools.po_files(FIXTURES)]:
        for m in tools.read(po):
            if m.id and m.string:
                assert tools.placeholders(m.string) == tools.placeholders(m.id), (po, m.id, m.string)
    assert tools.placeholders(tr("第 {i} 步，共 {n} 步").en) == {"i", "n"}


def test_a_translation_that_loses_a_placeholder_is_reported(tmp_path):
    src = tmp_path / "kiosk"
    src.mkdir()
    (src / "m.py").write_text('from kiosk.i18n import tr\nA = tr("共 {n} 份，最早 {since}")\n', "utf-8")
    write_po(tmp_path, "en", '''
        msgid "共 {n} 份，最早 {since}"
        msgstr "{n} in all, oldest {when}"
    ''')
    assert any("placeholders differ" in p for p in tools.problems(tmp_path, src))


# --- (4) languages beyond zh/en ---------------------------------------------------------------------

def test_a_third_language_falls_back_as_its_header_says(tmp_path):
    write_po(tmp_path, "zh-easy", '''
        msgid "结束办理"
        msgstr "不办了"

        msgid "第 {i} 页，共 {n} 页"
        msgstr "第 {i} 页（一共 {n} 页）"

        #, fuzzy
        msgid "下一步"
        msgstr "往下走"
    ''', fallback="zh")
    write_po(tmp_path, "fr", '''
        msgid "结束办理"
        msgstr "Terminer"
    ''')
    configure(tmp_path, ("zh", "en", "zh-easy", "fr"))
    end, nxt, page = tr("结束办理"), tr("下一步"), tr("第 {i} 页，共 {n} 页").format(i=2, n=5)
    assert (end.get("zh-easy"), end.get("fr"), end.get("en")) == ("不办了", "Terminer", "End session")
    assert (nxt.get("zh-easy"), nxt.get("fr")) == ("下一步", "Next")     # fuzzy counts as missing
    assert (page.get("zh-easy"), page.get("fr")) == ("第 2 页（一共 5 页）", "Page 2 of 5")
    assert Text("数据", "data").get("zh-easy") == "数据"                   # catalogue data: no msgid, falls back
    tries = tr("{reason}（还可尝试 {left} 次）").format(reason=end, left=2)     # a template without its own entry:
    assert (tries.get("zh-easy"), tries.get("fr")) == ("不办了（还可尝试 2 次）", "Terminer (2 tries left)")   # parts still are
    assert catalogues().chain("zh-easy") == ("zh-easy", "zh") and catalogues().chain("fr") == ("fr", "en")
    assert (base_language("zh-easy"), base_language("fr")) == ("zh", "en")
    assert end == Text("结束办理", "End session")                           # equality stays by zh/en


def test_a_broken_or_missing_catalogue_stops_the_start(tmp_path):
    with pytest.raises(CatalogueError):
        configure(tmp_path, ("zh", "en", "ug"))
    (tmp_path / "ug" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "ug" / "LC_MESSAGES" / "kiosk.po").write_bytes(b'msgid "a"\nmsgstr \xff"broken\n')
    with pytest.raises(CatalogueError):
        configure(tmp_path, ("zh", "en", "ug"))


def test_the_languages_are_configured_and_checked():
    easy = {"kiosk": {"languages": ["zh", "en", "zh-easy"], "locale_dir": str(FIXTURES)}}
    assert load_config(env={}, overrides=easy).kiosk.languages == ("zh", "en", "zh-easy")
    env = {"ONEVISIT_KIOSK_LANGUAGES": "en, zh", "ONEVISIT_KIOSK_LANGUAGE": "en"}
    assert load_config(env=env).kiosk.languages == ("en", "zh")
    for bad in ({"languages": ["zh", "en", "zh-easy"]},                   # no catalogue without locale_dir
                {"languages": ["zh", "en"], "language": "zh-easy"},        # not offered
                {"languages": ["zh", "zh"]}, {"languages": []}, {"languages": ["../etc"]},
                {"languages": "zh,en", "locale_dir": "/nonexistent/folder"}):
        with pytest.raises(ConfigError):
            load_config(env={}, overrides={"kiosk": bad})


def test_the_flow_takes_only_configured_languages_and_the_switch_goes_round(small_catalogue, now):
    state = initial_state(FlowConfig(catalogue=small_catalogue, languages=("zh", "en", "zh-easy")))
    seen = []
    for _ in range(3):
        seen.append(next_language(state))
        state, _effects = handle(state, ev.LanguageChosen(next_language(state)), now)
    assert seen == ["en", "zh-easy", "zh"] and state.lang == "zh"
    state, _effects = handle(state, ev.LanguageChosen("fr"), now)             # not offered: the kiosk's language
    assert state.lang == "zh"
