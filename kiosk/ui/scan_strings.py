"""Words of the scan-to-check screen that are also spoken (kiosk/ui/narration.py reads them, and
must not import the Qt screen): one place, so what is heard cannot drift from what is read."""
from kiosk.domain.text import Text

T = Text
TITLE = T("扫回执查进度", "Scan your receipt")
AIM = T("请把回执下方的二维码对准摄像头，放在框内，保持不动。",
        "Hold the QR code at the bottom of your receipt up to the camera, inside the frame, and keep it still.")
TYPE_TITLE = T("请输入回执上的申请编号或核验码", "Type the application number or check code on your receipt")
