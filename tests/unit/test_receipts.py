"""The printed receipt: 80 mm wide, bilingual, real embedded CJK text, no personal data."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, datetime
from io import BytesIO

import pytest
from pypdf import PdfReader
from reportlab.lib.units import mm

from kiosk.domain.application import AnsweredField, Application, DepartmentRequest, application_number
from kiosk.domain.text import Text
from kiosk.services.receipts import fonts, layout
from kiosk.services.receipts import (ReceiptError, ReceiptOptions, find_cjk_font, qr_payload, receipt_content,
                                     render_receipt)

WHEN = datetime(2026, 11, 22, 9, 30, 15)
NUMBER = application_number("3301060001", 42, WHEN)
ID_NUMBER = "330106199001011234"
ADDRESS = "浙江省杭州市西湖区文三路90号东部软件园3号楼1204室"

DEPARTMENTS = [
    (Text("杭州市西湖区卫生健康局", "Xihu District Health Commission"),
     Text("出生医学证明签发", "Birth medical certificate")),
    (Text("杭州市公安局西湖区分局户籍管理科", "Xihu Public Security Sub-bureau, Household Registration"),
     Text("新生儿入户登记（含随父或随母落户申报及户口簿变更）",
          "Registering a newborn in the household register (including choosing the parent's hukou)")),
    (Text("杭州市医疗保障局西湖分局", "Xihu Healthcare Security Bureau"),
     Text("城乡居民基本医疗保险参保登记", "Enrolment in basic medical insurance for residents")),
    (Text("杭州市人力资源和社会保障局", "Hangzhou Human Resources and Social Security Bureau"),
     Text("社会保障卡申领", "Social security card application")),
]


def make_app(n_departments: int = 3, *, edited: bool = True) -> Application:
    answers = (
        AnsweredField("name", Text("姓名", "Name"), "张三丰", Text("张三丰", "张三丰"), True, False),
        AnsweredField("personal_number", Text("公民身份号码", "ID number"), ID_NUMBER,
                      Text(ID_NUMBER, ID_NUMBER), True, False),
        AnsweredField("address", Text("户籍地址", "Registered address"), ADDRESS, Text(ADDRESS, ADDRESS),
                      not edited, edited),
        AnsweredField("phone", Text("联系电话", "Phone"), "13800138000", Text("13800138000", "13800138000"),
                      False, False),
    )
    requests = tuple(
        DepartmentRequest(f"item{i}", dept, proc, promised_days=3 + i, statutory_days=20,
                          due=date(2026, 11, 25 + i), due_approximate=(i == 2), fee=(10.0 if i == 3 else 0.0),
                          fields=("name",), materials=("birth_cert",))
        for i, (dept, proc) in enumerate(DEPARTMENTS[:n_departments])
    )
    materials = (
        ("hukou", Text("户口簿（公安部门已掌握）", "Household register (held by police)"), True),
        ("marriage", Text("结婚证", "Marriage certificate"), True),
        ("photo", Text("新生儿一寸免冠彩色照片", "Passport-size colour photo of the baby"), False),
    )
    return Application(
        number=NUMBER, kiosk_id="3301060001", bundle_id="newborn",
        bundle_title=Text("新生儿出生“一件事”联办", "Having a baby: one-visit bundle"),
        catalogue_version="2026.11", created_at=WHEN, answers=answers, requests=requests,
        materials=materials, consent=True,
    )


OPTIONS = ReceiptOptions(
    kiosk_name=Text("杭州市西湖区政务服务中心 自助终端", "Xihu District Service Centre kiosk"),
    verify_url="https://zwfw.example.gov.cn/v",
    check_code="7K3M-QX9P-T",
    sync_pending=False,
)
PENDING = replace(OPTIONS, sync_pending=True)


def pages(pdf: bytes):
    return PdfReader(BytesIO(pdf)).pages


def pdf_text(pdf: bytes, tmp_path) -> str:
    """Text as a user's PDF viewer sees it: pdftotext if installed, else pypdf."""
    if shutil.which("pdftotext"):
        f = tmp_path / "r.pdf"
        f.write_bytes(pdf)
        return subprocess.run(["pdftotext", "-layout", str(f), "-"], capture_output=True, text=True,
                              check=True).stdout
    return "\n".join(p.extract_text() for p in pages(pdf))


def _strings(value: object) -> list[str]:
    """Every string inside a content model (dataclasses, Text, tuples), for "is X printed anywhere"."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, tuple):
        return [s for v in value for s in _strings(v)]
    if hasattr(value, "__dataclass_fields__"):
        return [s for name in value.__dataclass_fields__ for s in _strings(getattr(value, name))]
    return []


def test_content_says_each_departments_due_date_and_fee_without_drawing_anything():
    content = receipt_content(make_app(4), OPTIONS)
    assert content.number == NUMBER
    assert [d.department for d in content.departments] == [dept for dept, _ in DEPARTMENTS]
    first, _, approx, paid = content.departments
    assert first.due == Text("时限 3 个工作日，承诺办结 2026-11-25", "3 working days; promised by 25 Nov 2026")
    assert approx.due.zh.endswith("约 2026-11-27") and approx.due.en.endswith("approx. 27 Nov 2026")
    assert first.fee == Text("费用：免费", "Fee: Free") and paid.fee == Text("费用：10.00 元", "Fee: ¥10.00")
    assert content.departments_heading == Text("办理部门（共 4 项）", "Departments (4)")
    assert content.submitted == Text("提交时间  2026-11-22 09:30", "Submitted  22 Nov 2026 09:30")
    assert content.status.en == "Status: Submitted" and content.identity is None
    assert content.catalogue == Text("事项目录版本 2026.11", "Catalogue version 2026.11")
    assert content.qr_payload == qr_payload(make_app(4), OPTIONS)


def test_content_while_pending_sync_says_the_clock_starts_at_the_department():
    content = receipt_content(make_app(4), PENDING)
    assert content.status.en == "Status: Submitted — pending sync"
    assert content.pending_note is not None and "clock starts when it receives" in content.pending_note.en
    first = content.departments[0]
    assert first.due == Text("时限 3 个工作日，自部门收到申请起计；预计约 2026-11-25 办结",
                             "3 working days from when the department receives it; approx. by 25 Nov 2026")
    assert all("承诺办结" not in d.due.zh for d in content.departments)   # nothing is promised yet


def test_content_prints_the_check_code_and_where_to_verify():
    assert receipt_content(make_app(1), OPTIONS).code_line == "核验码 / Check code  7K3M-QX9P-T"
    assert receipt_content(make_app(1), ReceiptOptions(OPTIONS.kiosk_name, OPTIONS.verify_url)).code_line == ""
    assert receipt_content(make_app(1), OPTIONS).verify_at.en.endswith("https://zwfw.example.gov.cn/v")


def test_content_holds_labels_of_edited_fields_but_no_personal_values():
    content = receipt_content(make_app(3), OPTIONS)
    assert content.edited_fields == (Text("户籍地址", "Registered address"),)
    words = "".join(_strings(content))
    for personal in (ID_NUMBER, ADDRESS, "张三丰", "13800138000"):
        assert personal not in words


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_receipt(make_app(3), OPTIONS)


def test_one_page_80mm_wide_for_a_thermal_roll(pdf):
    ps = pages(pdf)
    assert len(ps) == 1
    box = ps[0].mediabox
    assert float(box.width) == pytest.approx(80 * mm, abs=0.5)
    assert float(box.height) > 100 * mm       # the content is all there, not a cut-off stub


def test_page_grows_with_more_departments():
    heights = [float(pages(render_receipt(make_app(n), OPTIONS))[0].mediabox.height) for n in (1, 2, 4)]
    assert heights[0] < heights[1] < heights[2]
    assert heights[2] < 500 * mm              # no huge blank tail


def test_text_is_real_and_bilingual(pdf, tmp_path):
    text = pdf_text(pdf, tmp_path)
    flat = "".join(text.split())
    assert NUMBER.replace("-", "") in flat.replace("-", "")   # the number may wrap at a hyphen
    assert "新生儿出生“一件事”联办" in flat
    assert "Having a baby: one-visit bundle" in text
    for dept, _ in DEPARTMENTS[:3]:
        assert dept.zh in flat
    assert "12345" in text
    assert "办事回执" in flat and "Application receipt" in text
    assert "待同步" not in flat
    assert "事项目录版本2026.11" in flat and "Catalogue version 2026.11" in text


def test_due_dates_fees_and_approximate(pdf, tmp_path):
    flat = "".join(pdf_text(pdf, tmp_path).split())
    assert "承诺办结2026-11-25" in flat and "promisedby25Nov2026" in flat
    assert "承诺办结约2026-11-27" in flat and "approx.27Nov2026" in flat
    assert "免费" in flat and "Free" in flat


def test_materials_and_edited_fields_are_listed(pdf, tmp_path):
    flat = "".join(pdf_text(pdf, tmp_path).split())
    assert "无需您提供" in flat and "结婚证" in flat
    assert "您已提供" in flat and "新生儿一寸免冠彩色照片" in flat
    assert "以下信息由您修改，待人工核对" in flat and "户籍地址" in flat

    clean = render_receipt(make_app(1, edited=False), OPTIONS)
    assert "以下信息由您修改" not in "".join(pdf_text(clean, tmp_path).split())


def test_pending_sync_receipt_says_dates_are_estimates(tmp_path):
    flat = "".join(pdf_text(render_receipt(make_app(2), PENDING), tmp_path).split())
    assert "待同步" in flat and "以下日期为预计" in flat
    assert "自部门收到申请起计；预计约2026-11-25办结" in flat and "承诺办结" not in flat
    assert "事项目录版本2026.11" in flat


def test_identity_check_is_stated_without_any_biometric_detail(tmp_path):
    from dataclasses import replace

    from kiosk.domain.application import FaceCheckRecord
    app = replace(make_app(1), face_check=FaceCheckRecord(True, 0.3412, 1, ("match", "moves:3", "flash")))
    flat = "".join(pdf_text(render_receipt(app, OPTIONS), tmp_path).split())
    # exactly what was checked (issue 16), and no score
    assert "人脸与证件芯片照片一致；活体检测：3个随机头部动作及屏幕光反射" in flat and "0.34" not in flat
    assert "人脸与证件" not in "".join(pdf_text(render_receipt(make_app(1), OPTIONS), tmp_path).split())


def test_no_personal_data_on_the_receipt(pdf, tmp_path):
    flat = "".join(pdf_text(pdf, tmp_path).split())
    assert ID_NUMBER not in flat
    assert ID_NUMBER[:6] + ID_NUMBER[6:14] not in flat
    assert "文三路" not in flat                # the address
    assert "张三丰" not in flat and "13800138000" not in flat


def test_cjk_font_is_embedded(pdf):
    fonts = pages(pdf)[0]["/Resources"]["/Font"]
    assert len(fonts) >= 1
    for ref in fonts.values():          # every font on the page, so no glyph depends on the printer
        font = ref.get_object()
        descs = [font] + [d.get_object() for d in font.get("/DescendantFonts", [])]
        assert any("/FontFile2" in d.get("/FontDescriptor", {}) for d in descs), font.get("/BaseFont")


def test_unsigned_preview_qr_is_the_verify_url_with_the_number():
    assert qr_payload(make_app(2), OPTIONS) == f"https://zwfw.example.gov.cn/v?n={NUMBER}"


def test_check_code_printed_under_qr(pdf, tmp_path):
    assert "7K3M-QX9P-T" in pdf_text(pdf, tmp_path)


def test_long_text_wraps_inside_the_content_width():
    font = fonts.load_font(find_cjk_font())
    width = 72 * mm
    zh = "杭州市公安局西湖区分局户籍管理科新生儿入户登记，含随父或随母落户申报及户口簿变更。" * 3
    en = "Registering a newborn in the household register including choosing the parent's hukou " * 3
    for text, size in ((zh, 9), (en, 7.2), (NUMBER, 13)):
        lines = layout._wrap(text, font, size, width)
        assert len(lines) > 1
        assert all(layout.pdfmetrics.stringWidth(ln, font, size) <= width for ln in lines)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    # no Chinese line starts with a comma or full stop
    assert not any(ln[:1] in "，。" for ln in layout._wrap(zh, font, 9, width))
    # ... and an opening quote is never left dangling at the end of a line
    quoted = "杭州市西湖区人民政府办公室关于进一步深化“最多跑一次”改革推进政务服务标准化规范化便利化的实施意见"
    for size in (9, 10.5):
        wrapped = layout._wrap(quoted, font, size, width)
        assert "".join(wrapped) == quoted and not any(ln.endswith("“") for ln in wrapped)


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_nothing_runs_off_the_page_even_with_very_long_text(tmp_path):
    long_zh = "杭州市西湖区人民政府办公室关于进一步深化“最多跑一次”改革推进政务服务标准化规范化便利化的实施意见"
    long_en = ("Implementation opinions on further deepening the at-most-one-visit reform "
               "and standardising government services, Supercalifragilisticexpialidocious" + "x" * 60)
    app = make_app(4)
    long_req = DepartmentRequest("long", Text(long_zh, long_en), Text(long_zh * 2, long_en), 20, 20,
                                 date(2026, 12, 21), True, 1234.5, (), ())
    app = Application(**{**app.__dict__, "bundle_title": Text(long_zh, long_en),
                         "requests": app.requests + (long_req,)})
    opts = ReceiptOptions(Text(long_zh, long_en), OPTIONS.verify_url, check_code="7K3M-QX9P-T")
    f = tmp_path / "long.pdf"
    f.write_bytes(render_receipt(app, opts))
    html = subprocess.run(["pdftotext", "-bbox", str(f), "-"], capture_output=True, text=True, check=True).stdout
    boxes = [(float(a), float(b)) for a, b in re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"', html)]
    page_w, page_h = (float(v) for v in re.search(r'<page width="([\d.]+)" height="([\d.]+)"', html).groups())
    assert len(boxes) > 100
    assert all(4 * mm - 1 <= x0 and x1 <= page_w - 4 * mm + 1 for x0, x1 in boxes)
    ys = [float(y) for y in re.findall(r'yMax="([\d.]+)"', html)]
    assert max(ys) <= page_h - 4 * mm + 1        # the last line is not clipped at the bottom
    assert page_h - max(ys) < 10 * mm            # ... and there is no blank tail


def test_renders_concurrently_from_worker_threads():
    with ThreadPoolExecutor(4) as pool:
        pdfs = list(pool.map(lambda n: render_receipt(make_app(n), OPTIONS), [1, 2, 3, 4, 1, 2]))
    assert all(len(pages(p)) == 1 for p in pdfs)
    heights = [float(pages(p)[0].mediabox.height) for p in pdfs]
    assert heights[0] == heights[4] and heights[1] == heights[5]   # same receipt, same layout


def test_font_without_chinese_glyphs_is_passed_over():
    dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    if not os.path.isfile(dejavu):
        pytest.skip("DejaVu not installed")
    assert find_cjk_font(dejavu) != dejavu


def test_missing_font_and_no_fallback_tells_operator_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "FONT_CANDIDATES", ())
    missing = str(tmp_path / "nope.ttf")
    with pytest.raises(ReceiptError) as e:
        find_cjk_font(missing)
    assert "apt-get install fonts-wqy-microhei" in str(e.value)
    assert "receipt.font_path" in str(e.value)
    with pytest.raises(ReceiptError):
        render_receipt(make_app(1), ReceiptOptions(OPTIONS.kiosk_name, OPTIONS.verify_url, font_path=missing))


def test_missing_explicit_font_falls_back_to_an_installed_one(tmp_path):
    assert find_cjk_font(str(tmp_path / "nope.ttf"))
