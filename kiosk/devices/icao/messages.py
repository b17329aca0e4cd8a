"""What the citizen is told when reading a document chip goes wrong, and what staff are told about
the trust store (Chinese and English)."""
from __future__ import annotations

from kiosk.i18n import tr

WRONG_KEY = tr("输入的证件信息与证件不符，请核对后重试。")
NEED_KEY = tr("请先输入证件上的6位数字码（CAN）或扫描证件资料页下方的机读码。")
CAN_NEEDS_PACE = tr("此证件不支持数字码读取，请扫描证件资料页下方的机读码。")
REMOVED = tr("证件在读取完成前被取走。请将证件重新平放在读卡区，读取完成前不要移动。")
TIMEOUT = tr("读取证件超时，请取下证件后重新放置。")
UNREADABLE = tr("无法读取证件芯片，请取下证件后重新放置；如仍不成功请联系工作人员。")
NOT_EMRTD = tr("无法识别此证件。请使用带芯片的护照或证件。")
NO_READER = tr("读卡器未连接，请联系工作人员。")
NOT_GENUINE = tr("证件芯片未通过真伪核验，请到人工窗口办理，工作人员会协助您。")
DOWNGRADED = tr("证件芯片未能建立应有的安全连接，无法在自助机核验。请到人工窗口办理，工作人员会协助您。")
EXPIRED = tr("您的证件已过有效期（{date}），无法在自助机办理。请到人工窗口办理证件换领。")

# For staff (the attract screen's staff line), about the CSCA trust store.
TRUST_STORE_EMPTY = tr("证件核验证书库为空，任何证件都无法通过真伪核验。请导入 CSCA 证书（kiosk card trust import）。")
CRL_OUT_OF_DATE = tr("{country} 的 CSCA 证书吊销列表应于 {date} 更新，请导入新的列表（kiosk card trust import）。")
