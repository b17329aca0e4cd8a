"""What the citizen is told when a SAM reader read goes wrong (bilingual, plain)."""
from __future__ import annotations

from kiosk.i18n import tr

NO_READER = tr("身份证读卡器未连接，请联系工作人员。")
REMOVED = tr("证件在读取完成前被取走。请将证件重新平放在读卡区，读取完成前不要移动。", "devices.idcard.messages")
TIMEOUT = tr("读取证件超时，请取下证件后重新放置。", "devices.idcard.messages")
UNREADABLE = tr("无法读取证件，请取下证件后重新放置；如仍不成功请联系工作人员。")
INVALID = tr("证件信息无法核验，请到人工窗口办理。")
UNSUPPORTED = tr("暂不支持此类证件，请到人工窗口办理。")
