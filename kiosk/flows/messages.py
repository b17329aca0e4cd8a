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


FACE_LOCKED = Text("这张证件今天的人脸核验已多次未通过。请联系工作人员，由工作人员为您核验身份。",
                   "The face check for this card has failed several times today. Please ask the staff: "
                   "they will check your identity.")
FACE_ASK_STAFF = Text("多次核验未通过，请联系工作人员协助。", "The face check did not pass after several tries. Please ask the staff for help.")
MATERIALS_MISSING = Text("请先拍摄以下材料：{names}", "Please photograph these first: {names}")
CONSENT_NEEDED = Text("请先勾选同意，才能提交。", "Please tick the consent box before submitting.")
THANKS = Text("感谢您的评价！", "Thank you for your rating!")
PRINT_PROBLEM = Text("回执打印失败，但您的申请已提交成功。请记下屏幕上的申请编号，或请工作人员补打回执。",
                     "The receipt could not be printed, but your application HAS been submitted. "
                     "Please note the application number on the screen, or ask the staff to reprint it.")
INTAKE_CLOSED = Text("本机暂时不能受理新申请，请到人工窗口办理。已提交的申请不受影响。",
                     "This kiosk cannot take new applications right now. Please go to the counter. "
                     "Applications already submitted are safe.")
