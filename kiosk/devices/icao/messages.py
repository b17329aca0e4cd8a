"""What the citizen is told when reading a document chip goes wrong, and what staff are told about
the trust store (Chinese and English)."""
from __future__ import annotations

from kiosk.domain.text import Text

WRONG_KEY = Text("输入的证件信息与证件不符，请核对后重试。",
                 "The details don't match the document, check and try again.")
NEED_KEY = Text("请先输入证件上的6位数字码（CAN）或扫描证件资料页下方的机读码。",
                "Please enter the 6-digit number (CAN) printed on the document, or scan the machine-readable zone first.")
CAN_NEEDS_PACE = Text("此证件不支持数字码读取，请扫描证件资料页下方的机读码。",
                      "This document cannot be opened with its 6-digit number. Please scan the machine-readable zone instead.")
REMOVED = Text("证件在读取完成前被取走。请将证件重新平放在读卡区，读取完成前不要移动。",
               "The document was taken away before reading finished. Place it flat on the reader again and keep it still until reading is done.")
TIMEOUT = Text("读取证件超时，请取下证件后重新放置。",
               "Reading the document took too long. Please take it off the reader and place it again.")
UNREADABLE = Text("无法读取证件芯片，请取下证件后重新放置；如仍不成功请联系工作人员。",
                  "The document chip could not be read. Please take it off the reader and place it again; if it still fails, ask the staff.")
NOT_EMRTD = Text("无法识别此证件。请使用带芯片的护照或证件。",
                 "This document was not recognised. Please use a passport or ID card with a chip.")
NO_READER = Text("读卡器未连接，请联系工作人员。", "The card reader is not connected. Please ask the staff for help.")
NOT_GENUINE = Text("证件芯片未通过真伪核验，请到人工窗口办理，工作人员会协助您。",
                   "The document chip did not pass the authenticity check. Please go to a staffed counter; the staff will help you.")
DOWNGRADED = Text("证件芯片未能建立应有的安全连接，无法在自助机核验。请到人工窗口办理，工作人员会协助您。",
                  "The document chip did not open the secure connection it should, so it cannot be checked at this "
                  "kiosk. Please go to a staffed counter; the staff will help you.")
EXPIRED = Text("您的证件已过有效期（{date}），无法在自助机办理。请到人工窗口办理证件换领。",
               "Your document expired on {date}, so it cannot be used at this kiosk. Please go to a staffed counter to renew it.")

# For staff (the attract screen's staff line), about the CSCA trust store.
TRUST_STORE_EMPTY = Text("证件核验证书库为空，任何证件都无法通过真伪核验。请导入 CSCA 证书（kiosk card trust import）。",
                         "The document trust store is empty, so no document can pass the authenticity check. "
                         "Import CSCA certificates (kiosk card trust import).")
CRL_OUT_OF_DATE = Text("{country} 的 CSCA 证书吊销列表应于 {date} 更新，请导入新的列表（kiosk card trust import）。",
                       "The revocation list of the {country} CSCA was due for renewal on {date}; import a new one "
                       "(kiosk card trust import).")
