"""Words of the scan-to-check screen that are also spoken (kiosk/ui/narration.py reads them, and
must not import the Qt screen): one place, so what is heard cannot drift from what is read."""
from kiosk.i18n import tr

TITLE = tr("扫回执查进度")
AIM = tr("请把回执下方的二维码对准摄像头，放在框内，保持不动。")
TYPE_TITLE = tr("请输入回执上的申请编号或核验码")
