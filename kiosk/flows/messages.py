"""Citizen-facing messages the flow decides on. Each says in plain words what to do next."""
from kiosk.domain.text import Text

CARD_REMOVED = Text("证件已取出，本次办理已结束，信息已清除。如需继续，请重新放置证件。",
                    "Your card was removed, so this session has ended and your details were cleared. "
                    "To start again, place your card on the reader.")
CARD_REMOVED_AFTER_SUBMIT = Text("证件已取出。您的申请已提交成功。", "Card removed. Your application has been submitted.")
TIMED_OUT = Text("长时间无操作，为保护您的隐私，本次办理已结束，信息已清除。",
                 "There was no activity for a while, so to protect your privacy the session ended and your details were cleared.")
ENDED = Text("本次办理已结束，您的信息已清除。", "The session has ended and your details were cleared.")
EXPIRED = Text("您的证件已过有效期，无法在自助机办理。请到人工窗口办理证件换领。",
               "Your ID document has expired, so it cannot be used at this kiosk. Please go to a staffed counter to renew it.")
NOT_GENUINE = Text("证件信息无法验证，请到人工窗口办理，工作人员会协助您。",
                   "We could not confirm this document is genuine. Please go to a staffed counter; the staff will help you.")
KEY_FORMAT = Text("请输入证件上的6位数字码；或输入证件号码、出生日期和有效期（各6位数字，年月日）。",
                  "Enter the 6-digit number (CAN) printed on your document, or the document number with your "
                  "date of birth and the expiry date (6 digits each: YYMMDD).")
KEY_ASK_STAFF = Text("多次输入不符，为保护您的证件，请联系工作人员协助。",
                     "The details did not match several times. To protect your document, please ask the staff for help.")
FACE_VERIFIED = Text("人脸核验通过。", "Face check passed.")
FACE_TRY_AGAIN = Text("人脸与证件照片不一致，请摘下帽子和眼镜，正对屏幕后重试。",
                      "Your face did not match the card photo. Please take off any hat or glasses, look straight at the screen and try again.")
def face_verified(what: Text) -> Text:
    """"Face check passed", saying exactly what was checked."""
    return Text(f"{FACE_VERIFIED.zh[:-1]}：{what.zh}。", f"{FACE_VERIFIED.en[:-1]}: {what.en[0].lower()}{what.en[1:]}.")


FACE_LOCKED = Text("这张证件今天的人脸核验已多次未通过。请按“请工作人员核验”，工作人员会当面为您核验身份。",
                   "The face check for this card has failed several times today. Press \"Staff verification\": "
                   "a member of staff will check your identity in person.")
FACE_ASK_STAFF = Text("多次核验未通过。请按“请工作人员核验”，工作人员会当面为您核验。",
                      "The face check did not pass after several tries. Press \"Staff verification\": "
                      "a member of staff will check your identity in person.")
MATERIALS_MISSING = Text("请先拍摄以下材料：{names}", "Please photograph these first: {names}")
CONSENT_NEEDED = Text("请先勾选同意，才能提交。", "Please tick the consent box before submitting.")
THANKS = Text("感谢您的评价！", "Thank you for your rating!")
PRINT_PROBLEM = Text("回执打印失败，但您的申请已提交成功。请记下屏幕上的申请编号，或请工作人员补打回执。",
                     "The receipt could not be printed, but your application HAS been submitted. "
                     "Please note the application number on the screen, or ask the staff to reprint it.")
INTAKE_CLOSED = Text("本机暂时不能受理新申请，请到人工窗口办理。已提交的申请不受影响。",
                     "This kiosk cannot take new applications right now. Please go to the counter. "
                     "Applications already submitted are safe.")
HELP_ON_THE_WAY = Text("工作人员将前来协助，请稍候。您的办理进度会保留。",
                       "Staff are on their way to help you. Please wait here; your place is kept.")
PHOTO_UNREADABLE = Text("证件照片无法读取，无法进行人脸比对。请按“请工作人员核验”，工作人员会当面为您核验。",
                        "The photo on your card cannot be read, so the face check cannot run. "
                        "Press \"Staff verification\": a member of staff will check your identity in person.")
IDENTITY_BY_STAFF = Text("工作人员已核验您的身份，请继续办理。", "Staff have checked your identity. Please continue.")
SIGN_IN_CHECKING = Text("正在核对，请稍候…", "Checking, please wait…")
SUPERVISOR_NEEDED = Text("退出锁定需要值班长登录。", "Leaving kiosk mode needs a supervisor to sign in.")
NOTHING_TO_OVERRIDE = Text("当前没有需要人工核验的证件。", "There is no failed check to confirm right now.")
OVERRIDE_NOT_RECORDED = Text("核验记录未能保存，请重试；如仍失败请联系技术支持。",
                             "The verification could not be recorded. Please try again; if it fails again, call support.")
STAFF_IDLE = Text("工作人员模式因长时间无操作已退出。", "Staff mode ended after a while without a touch.")
LOCKDOWN_NOT_RECORDED = Text("无法记录退出锁定，请重试。", "Leaving kiosk mode could not be recorded. Please try again.")

# --- scanning a receipt (kiosk/flows/scan.py): a refusal says plainly what to do next ---------------
RECEIPT_FORGED = Text("这张回执的二维码与内容不符，可能被改动或伪造，不能凭它办理。请到人工窗口或拨打 12345 核实。",
                      "This receipt's QR code does not match a genuine receipt: it may have been altered or forged, "
                      "so it cannot be used. Please go to a staffed counter or call 12345 to check.")
RECEIPT_UNKNOWN_KEY = Text("无法确认这张回执出自本系统的自助机。若回执来自新启用的自助机，请稍后再试，或输入回执上的核验码查询；"
                           "仍有疑问请到人工窗口核实。",
                           "We cannot confirm that one of our kiosks printed this receipt. If it comes from a new "
                           "kiosk, try again later or type the check code printed on it; otherwise please ask at a "
                           "staffed counter.")
RECEIPT_REVOKED = Text("打印这张回执的自助机已停用其签名密钥，无法确认回执真伪。请到人工窗口核实。",
                       "The kiosk that printed this receipt has had its signing key withdrawn, so the receipt cannot "
                       "be confirmed. Please ask at a staffed counter.")
RECEIPT_UNREADABLE = Text("这不是办事回执的二维码。请把回执下方的二维码对准摄像头。",
                          "That is not a receipt's QR code. Please hold the QR code at the bottom of your receipt "
                          "up to the camera.")
TYPED_FORMAT = Text("请输入回执上的申请编号（31位数字）或核验码（9位，如 7K3M-QX9P-T）。",
                    "Please type the application number on your receipt (31 digits) or its check code "
                    "(9 characters, like 7K3M-QX9P-T).")
PROGRESS_NOT_FOUND = Text("没有找到这个申请。请核对后重新输入；在其他自助机办理的申请，请输入核验码。",
                          "No application found for that. Please check what you typed; for an application made at "
                          "another kiosk, type its check code.")
PROGRESS_OFFLINE = Text("暂时无法连接后台，以下是本机最近一次同步的状态。",
                        "The back office cannot be reached right now; these are the statuses as last synced here.")
PROGRESS_OFFLINE_NONE = Text("暂时无法连接后台，本机也没有这份申请的记录。请稍后再试，或拨打 12345 查询。",
                             "The back office cannot be reached right now and this kiosk has no record of this "
                             "application. Please try again later or call 12345.")
PROGRESS_NOT_RECEIVED = Text("各部门尚未收到这份申请（等待同步）。收到后即可在此查到进度。",
                             "The departments have not received this application yet (waiting for sync). "
                             "Its progress shows here once they have.")
