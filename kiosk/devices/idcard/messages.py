"""What the citizen is told when a SAM reader read goes wrong (bilingual, plain)."""
from __future__ import annotations

from kiosk.domain.text import Text

NO_READER = Text("身份证读卡器未连接，请联系工作人员。", "The ID card reader is not connected. Please ask the staff for help.")
REMOVED = Text("证件在读取完成前被取走。请将证件重新平放在读卡区，读取完成前不要移动。",
               "The card was taken away before it was read. Place it flat on the reader again and leave it "
               "until reading is finished.")
TIMEOUT = Text("读取证件超时，请取下证件后重新放置。", "Reading the card took too long. Take it off the reader and place it again.")
UNREADABLE = Text("无法读取证件，请取下证件后重新放置；如仍不成功请联系工作人员。",
                  "The card could not be read. Take it off the reader and place it again; if that does not "
                  "work, please ask the staff.")
INVALID = Text("证件信息无法核验，请到人工窗口办理。",
               "The details on this card could not be verified. Please go to a staffed window.")
UNSUPPORTED = Text("暂不支持此类证件，请到人工窗口办理。", "This kind of card is not supported yet. Please go to a staffed window.")
