"""Look and feel: large type, high contrast, big touch targets (many users are elderly).

Every size in the style sheet is a base size (normal mode, on the reference panel: 21.5",
1920×1080, 0.248 mm a pixel) times ONE scale factor: NORMAL_SCALE, or LARGE_SCALE in 长辈版
(large mode). Layout spacings and margins set in Python are scaled by kiosk.ui.scaling with the
same factor. Colours are chosen so that every text reaches 7:1 against its background in both
modes (WCAG 2 contrast; `contrast()` below, and `kiosk ui audit` measures the live widgets).
"""
from __future__ import annotations

FONT_FAMILIES = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "sans-serif"]

NORMAL_SCALE = 1.0
LARGE_SCALE = 1.5
# Wrapped text is laid out at this multiple of the font's own line spacing (about 1.17 × the
# size for the CJK fonts), giving about 1.35 × the font size: kiosk.ui.screens.base.Label.
LINE_HEIGHT = 1.16
MM_PER_PX = 0.248      # the reference panel: 21.5" diagonal, 1920×1080

PRIMARY = "#0842a0"       # 9.1:1 with white either way round
PRIMARY_DARK = "#062f73"
OK = "#0c5123"
WARN = "#8c1d14"
EDITED = "#6f4800"
INK = "#1f1f1f"
MUTED = "#3c3c3c"         # 9.9:1 on BACKGROUND (the old #4a4a4a was 8:1, fine, but help text is small)
PAPER = "#ffffff"
BACKGROUND = "#eef3fb"
INPUT_BORDER = "#5f7696"  # 4.6:1 on white: borders and focus rings need 3:1
DISABLED_BG = "#d5dce6"
DISABLED_INK = "#2f3b4c"
NOTICE_BG = "#fff4d6"
NOTICE_BORDER = "#8a6a00"
OK_BG = "#e6f4ea"
ERROR_BG = "#fdf0ef"
SELECTED_BG = "#e8f0fe"    # the chosen one of several fields
HELP_BG = "#ffd54f"       # the help button stands out in the blue header
HELP_INK = "#3b2a00"      # 11:1 on HELP_BG
LINE = "#8da0bd"          # card borders and separators (decoration, not a boundary to find)


def _luminance(colour: str) -> float:
    h = colour.lstrip("#")
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two "#rrggbb" colours (1 to 21). Any thread."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def stylesheet(scale: float = NORMAL_SCALE) -> str:
    """The kiosk's style sheet at `scale` (1.0 normal, LARGE_SCALE for large mode). Any thread."""
    def px(n: float) -> str:
        return f"{max(1, round(n * scale))}px"

    return f"""
QWidget {{ color: {INK}; font-size: {px(24)}; }}
QMainWindow, #root {{ background: {BACKGROUND}; }}
#header {{ background: {PRIMARY}; }}
#header QLabel {{ color: white; }}
#kioskName {{ font-size: {px(24)}; font-weight: bold; }}
#clock {{ font-size: {px(24)}; }}
#headerButton {{ background: white; color: {PRIMARY}; border: {px(2)} solid white; border-radius: {px(10)};
    padding: {px(6)} {px(12)}; font-size: {px(24)}; font-weight: bold; min-height: {px(46)}; }}
#headerButton[checked="true"] {{ background: {NOTICE_BG}; color: {PRIMARY_DARK}; border-color: {NOTICE_BG}; }}
#headerButton:focus {{ border: {px(3)} solid {NOTICE_BORDER}; }}
#demoButton {{ background: {NOTICE_BG}; color: #5b4200; border: {px(2)} dashed {NOTICE_BORDER}; border-radius: {px(10)};
    padding: {px(6)} {px(14)}; font-size: {px(22)}; min-height: {px(46)}; }}
#helpButton {{ background: {HELP_BG}; color: {HELP_INK}; border: {px(3)} solid white; border-radius: {px(12)};
    padding: {px(2)} {px(12)}; font-size: {px(22)}; font-weight: bold; min-height: {px(46)}; }}
#staffEntry {{ background: transparent; color: {MUTED}; border: {px(1)} solid {LINE}; border-radius: {px(10)};
    font-size: {px(22)}; min-height: {px(60)}; min-width: {px(140)}; padding: {px(4)} {px(16)}; }}
#callNumber {{ font-size: {px(30)}; font-weight: bold; color: {WARN}; }}
QPushButton#reason {{ padding: {px(6)} {px(18)}; min-height: {px(52)}; font-size: {px(24)}; }}
QPushButton#reason[checked="true"] {{ background: {PRIMARY}; color: white; font-weight: bold; }}
QPushButton#padField {{ font-size: {px(32)}; letter-spacing: {px(6)}; text-align: left; padding: {px(4)} {px(20)};
    border: {px(2)} solid {INPUT_BORDER}; color: {INK}; min-height: {px(64)}; }}
QPushButton#padField[checked="true"] {{ border: {px(4)} solid {PRIMARY}; background: {SELECTED_BG}; }}
QPushButton#scanReceipt {{ font-size: {px(30)}; font-weight: bold; min-height: {px(80)}; padding: {px(10)} {px(36)}; }}
#footer {{ background: white; border-top: {px(1)} solid {LINE}; }}
#steps {{ background: white; border-bottom: {px(1)} solid {LINE}; }}
#stepName {{ font-size: {px(24)}; color: {MUTED}; padding: {px(4)} {px(10)}; }}
#stepName[state="done"] {{ color: {OK}; }}
#stepName[state="current"] {{ color: white; background: {PRIMARY}; border-radius: {px(10)}; font-weight: bold; }}
#stepPage {{ font-size: {px(22)}; color: {PRIMARY_DARK}; font-weight: bold; }}
#progress {{ font-size: {px(24)}; color: {MUTED}; }}
#title {{ font-size: {px(38)}; font-weight: bold; }}
#subtitle {{ font-size: {px(26)}; color: {MUTED}; }}
#hero {{ font-size: {px(54)}; font-weight: bold; color: {PRIMARY_DARK}; }}
#heroEn {{ font-size: {px(30)}; color: {MUTED}; }}
#notice {{ background: {NOTICE_BG}; border: {px(2)} solid {NOTICE_BORDER}; border-radius: {px(12)}; padding: {px(14)} {px(18)};
    font-size: {px(24)}; }}
#okNotice {{ background: {OK_BG}; border: {px(2)} solid {OK}; border-radius: {px(12)}; padding: {px(14)} {px(18)};
    font-size: {px(24)}; color: {OK}; }}
#error {{ color: {WARN}; font-size: {px(24)}; }}
#card {{ background: {PAPER}; border-radius: {px(16)}; border: {px(1)} solid {LINE}; }}
#stageTitle {{ font-size: {px(26)}; font-weight: bold; color: {PRIMARY_DARK}; padding-top: {px(10)}; }}
#frequentTitle {{ font-size: {px(26)}; font-weight: bold; color: {EDITED}; padding-top: {px(10)}; }}
#faceInstruction {{ font-size: {px(30)}; font-weight: 600; color: {PRIMARY}; }}
#faceStatus {{ font-size: {px(28)}; font-weight: bold; }}
#faceStatus[failed="true"] {{ color: {WARN}; }}
#staffNote {{ font-size: {px(22)}; color: {MUTED}; }}
QPushButton {{ background: white; border: {px(2)} solid {PRIMARY}; border-radius: {px(14)}; padding: {px(12)} {px(26)};
    font-size: {px(26)}; color: {PRIMARY}; min-height: {px(56)}; }}
QPushButton:focus {{ border: {px(4)} solid {PRIMARY_DARK}; }}
QPushButton#primary {{ background: {PRIMARY}; color: white; font-weight: bold; }}
QPushButton#primary:focus {{ border: {px(4)} solid {NOTICE_BORDER}; }}
QPushButton:disabled, QPushButton#primary:disabled {{ background: {DISABLED_BG}; border-color: {DISABLED_BG}; color: {DISABLED_INK}; }}
QPushButton#bundle {{ padding: {px(10)} {px(16)}; min-height: {px(100)}; }}
QPushButton#bundle QLabel {{ color: {PRIMARY_DARK}; }}
#bundleTitle {{ font-size: {px(28)}; font-weight: bold; }}
#bundleText {{ font-size: {px(22)}; }}
QPushButton#choice {{ padding: {px(10)} {px(22)}; min-height: {px(52)}; }}
QPushButton#choice[checked="true"] {{ background: {PRIMARY}; color: white; font-weight: bold; }}
QPushButton#rating {{ min-height: {px(120)}; min-width: {px(160)}; padding: {px(8)} {px(10)}; }}
QPushButton#rating QLabel {{ color: {PRIMARY}; font-size: {px(26)}; }}
QPushButton#rating[checked="true"] {{ background: {PRIMARY}; }}
QPushButton#rating[checked="true"] QLabel {{ color: white; font-weight: bold; }}
QPushButton#ratingOption {{ font-size: {px(24)}; padding: {px(4)} {px(14)}; min-height: {px(64)}; }}
QPushButton#ratingOption[checked="true"] {{ background: {PRIMARY}; color: white; font-weight: bold; }}
QPushButton#padKey {{ font-size: {px(34)}; font-weight: bold; min-height: {px(70)}; min-width: {px(96)}; padding: {px(4)}; }}
QPushButton#pageButton {{ font-size: {px(24)}; min-width: {px(84)}; min-height: {px(72)}; padding: {px(4)}; }}
QPushButton#largeAttract {{ font-size: {px(34)}; font-weight: bold; min-height: {px(80)}; padding: {px(10)} {px(36)}; }}
QPushButton#dialogButton {{ font-size: {px(32)}; min-height: {px(90)}; min-width: {px(260)}; }}
QPushButton#dialogButton[safe="true"] {{ background: {PRIMARY}; color: white; font-weight: bold; }}
QLineEdit {{ font-size: {px(28)}; padding: {px(10)} {px(14)}; border: {px(2)} solid {INPUT_BORDER}; border-radius: {px(10)};
    background: white; min-height: {px(44)}; }}
QLineEdit:focus {{ border: {px(4)} solid {PRIMARY}; }}
QLineEdit[invalid="true"] {{ border: {px(4)} solid {WARN}; background: {ERROR_BG}; }}
#can {{ font-size: {px(44)}; letter-spacing: {px(12)}; }}
#fieldLabel {{ font-size: {px(26)}; font-weight: bold; }}
#help {{ font-size: {px(22)}; color: {MUTED}; }}
#dateHint {{ font-size: {px(22)}; color: {MUTED}; }}
#verified {{ color: {OK}; font-size: {px(22)}; font-weight: bold; }}
#edited {{ color: {EDITED}; font-size: {px(22)}; font-weight: bold; }}
#consentRow {{ background: {PAPER}; border: {px(2)} solid {INPUT_BORDER}; border-radius: {px(12)}; min-height: {px(64)}; }}
#consentRow[checked="true"] {{ border: {px(3)} solid {OK}; background: {OK_BG}; }}
#consentText {{ font-size: {px(24)}; }}
QCheckBox {{ font-size: {px(24)}; spacing: {px(14)}; }}
QCheckBox::indicator {{ width: {px(40)}; height: {px(40)}; }}
#appNumber {{ font-size: {px(34)}; font-weight: bold; color: {PRIMARY_DARK}; }}
#overlay {{ background: rgba(0, 0, 0, 150); }}
#overlayBox {{ background: white; border-radius: {px(20)}; min-width: {px(720)}; }}
#countdown {{ font-size: {px(72)}; font-weight: bold; color: {WARN}; }}
#preview {{ background: #202124; border-radius: {px(16)}; }}
QScrollArea {{ border: none; background: transparent; }}
QScrollBar:vertical {{ background: #dfe7f3; width: {px(14)}; border-radius: {px(7)}; margin: {px(2)}; }}
QScrollBar::handle:vertical {{ background: {INPUT_BORDER}; border-radius: {px(5)}; min-height: {px(60)}; }}
QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical {{ height: 0; }}
QScrollBar::add-page:vertical, QScrollBar::sub-page:vertical {{ background: none; }}
QScrollArea > QWidget > QWidget {{ background: transparent; }}
"""


STYLESHEET = stylesheet(NORMAL_SCALE)

# -- Touch sizes in millimetres on the reference panel (MM_PER_PX above).
# The on-screen keyboards (kiosk/ui/keyboards/) size their keys from these; large mode multiplies
# by SCALE (≥ 1.5), so a 12.5 mm key becomes 19 mm (targets: ≥ 10 mm normal, ≥ 15 mm large; gaps ≥ 3 mm).
SCALE = NORMAL_SCALE  # the window's apply_mode sets LARGE_SCALE in large mode, before it renders
KEY_MM = 12.5        # height (and least width) of a keyboard key: 50 px normal, 76 px large
KEY_GAP_MM = 3.2     # between keys
KEY_FONT_PX = 28     # key labels; candidates are larger (CJK must be legible for elderly eyes)


def mm_px(mm: float, scale: float | None = None) -> int:
    """Pixels on the reference panel for `mm` millimetres, times the scale (SCALE when not given)."""
    return round(mm * (SCALE if scale is None else scale) / MM_PER_PX + 0.499)   # rounds up
