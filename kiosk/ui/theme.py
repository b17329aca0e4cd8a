"""Look and feel: large type, high contrast, big touch targets (many users are elderly)."""

FONT_FAMILIES = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "sans-serif"]

PRIMARY = "#0b57d0"
PRIMARY_DARK = "#0842a0"
OK = "#137333"
WARN = "#b3261e"
INK = "#1f1f1f"
MUTED = "#4a4a4a"
PAPER = "#ffffff"
BACKGROUND = "#eef3fb"

STYLESHEET = f"""
QWidget {{ color: {INK}; font-size: 22px; }}
QMainWindow, #root {{ background: {BACKGROUND}; }}
#header {{ background: {PRIMARY}; }}
#header QLabel {{ color: white; }}
#kioskName {{ font-size: 22px; font-weight: bold; }}
#clock {{ font-size: 24px; }}
#headerButton {{ background: white; color: {PRIMARY}; border-radius: 10px; padding: 8px 18px; font-size: 20px; font-weight: bold; min-height: 44px; }}
#helpButton {{ background: #ffd54f; color: #3b2a00; border: 3px solid white; border-radius: 12px; padding: 4px 22px;
               font-size: 21px; font-weight: bold; min-height: 64px; min-width: 210px; }}
#staffEntry {{ background: transparent; color: {MUTED}; border: 1px solid #c9d4e5; border-radius: 10px; font-size: 18px;
               min-height: 60px; min-width: 140px; padding: 4px 16px; }}
#callNumber {{ font-size: 30px; font-weight: bold; color: {WARN}; }}
QPushButton#reason {{ padding: 6px 18px; min-height: 50px; font-size: 22px; }}
QPushButton#reason:checked {{ background: {PRIMARY}; color: white; font-weight: bold; }}
QPushButton#padKey {{ font-size: 32px; font-weight: bold; min-height: 60px; padding: 4px; }}
QPushButton#padField {{ font-size: 32px; letter-spacing: 6px; text-align: left; padding: 4px 20px; border: 2px solid #8aa0c0; color: {INK}; }}
QPushButton#padField:checked {{ border: 4px solid {PRIMARY}; background: #e8f0fe; }}
#demoButton {{ background: #fff4d6; color: #5b4200; border: 2px dashed #b58a00; border-radius: 10px; padding: 8px 14px; font-size: 18px; min-height: 44px; }}
#footer {{ background: white; border-top: 1px solid #c9d4e5; }}
#progress {{ font-size: 20px; color: {MUTED}; }}
#title {{ font-size: 38px; font-weight: bold; }}
#subtitle {{ font-size: 24px; color: {MUTED}; }}
#hero {{ font-size: 54px; font-weight: bold; color: {PRIMARY_DARK}; }}
#heroEn {{ font-size: 30px; color: {MUTED}; }}
#notice {{ background: #fff4d6; border: 2px solid #e0b000; border-radius: 12px; padding: 14px 18px; font-size: 22px; }}
#okNotice {{ background: #e6f4ea; border: 2px solid {OK}; border-radius: 12px; padding: 14px 18px; font-size: 22px; color: {OK}; }}
#error {{ color: {WARN}; font-size: 20px; }}
#card {{ background: {PAPER}; border-radius: 16px; border: 1px solid #c9d4e5; }}
#stageTitle {{ font-size: 26px; font-weight: bold; color: {PRIMARY_DARK}; padding-top: 10px; }}
QPushButton {{ background: white; border: 2px solid {PRIMARY}; border-radius: 14px; padding: 14px 26px; font-size: 24px; color: {PRIMARY}; min-height: 56px; }}
QPushButton:focus {{ border: 3px solid {PRIMARY_DARK}; }}
QPushButton#primary {{ background: {PRIMARY}; color: white; font-weight: bold; }}
QPushButton#primary:disabled {{ background: #9bb5e0; border-color: #9bb5e0; }}
QPushButton#bundle {{ text-align: left; padding: 12px 20px; font-size: 22px; min-height: 78px; }}
QPushButton#choice {{ padding: 10px 22px; min-height: 52px; }}
QPushButton#choice:checked {{ background: {PRIMARY}; color: white; font-weight: bold; }}
QPushButton#rating {{ font-size: 26px; min-height: 120px; min-width: 150px; }}
QPushButton#rating:checked, QPushButton#ratingOption:checked {{ background: {PRIMARY}; color: white; font-weight: bold; }}
QPushButton#ratingOption {{ font-size: 22px; padding: 4px 14px; min-height: 64px; }}
QLineEdit {{ font-size: 26px; padding: 10px 14px; border: 2px solid #8aa0c0; border-radius: 10px; background: white; min-height: 44px; }}
QLineEdit:focus {{ border: 3px solid {PRIMARY}; }}
QLineEdit[invalid="true"] {{ border: 3px solid {WARN}; background: #fdf0ef; }}
#fieldLabel {{ font-size: 24px; font-weight: bold; }}
#help {{ font-size: 18px; color: {MUTED}; }}
#verified {{ color: {OK}; font-size: 18px; font-weight: bold; }}
#edited {{ color: #8a5a00; font-size: 18px; font-weight: bold; }}
QCheckBox {{ font-size: 24px; spacing: 14px; }}
QCheckBox::indicator {{ width: 36px; height: 36px; }}
#appNumber {{ font-size: 34px; font-weight: bold; color: {PRIMARY_DARK}; }}
#overlay {{ background: rgba(0, 0, 0, 150); }}
#overlayBox {{ background: white; border-radius: 20px; }}
#countdown {{ font-size: 72px; font-weight: bold; color: {WARN}; }}
#preview {{ background: #202124; border-radius: 16px; }}
QScrollArea {{ border: none; background: transparent; }}
QScrollBar:vertical {{ background: #dfe7f3; width: 22px; border-radius: 11px; margin: 4px; }}
QScrollBar::handle:vertical {{ background: #8aa0c0; border-radius: 9px; min-height: 60px; }}
QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical {{ height: 0; }}
QScrollBar::add-page:vertical, QScrollBar::sub-page:vertical {{ background: none; }}
QScrollArea > QWidget > QWidget {{ background: transparent; }}
"""

# -- Touch sizes in millimetres on the reference panel (issue 13): 21.5" 1920×1080, 0.248 mm a pixel.
# The on-screen keyboards (kiosk/ui/keyboards/) size their keys from these; large mode multiplies
# by SCALE (≥ 1.5), so a 12.5 mm key becomes 19 mm (targets: ≥ 10 mm normal, ≥ 15 mm large; gaps ≥ 3 mm).
MM_PER_PX = 0.248
SCALE = 1.0          # large mode sets 1.5 (or more) before the screens are shown again
KEY_MM = 12.5        # height (and least width) of a keyboard key: 50 px normal, 76 px large
KEY_GAP_MM = 3.2     # between keys
KEY_FONT_PX = 28     # key labels; candidates are larger (CJK must be legible for elderly eyes)


def mm_px(mm: float, scale: float | None = None) -> int:
    """Pixels on the reference panel for `mm` millimetres, times the scale (SCALE when not given)."""
    return round(mm * (SCALE if scale is None else scale) / MM_PER_PX + 0.499)   # rounds up
