"""What the flow tells citizens and clerks on the assisted paths (kiosk/flows/assist.py)."""
from kiosk.domain.text import Text

PLACE_PRINCIPAL = Text("请取下您本人的证件，再放置被代办人（您要为其办理的人）的身份证件。",
                       "Take your own card off the reader, then place the ID card of the person you are applying for.")
SAME_CARD = Text("这是您本人的证件。请放置被代办人的证件。",
                 "This is your own card. Please place the card of the person you are applying for.")
PRINCIPAL_KEY_NEEDED = Text("该证件需要输入访问码，暂不能用于代办。请到人工窗口办理。",
                            "This card needs its access number, so it cannot be used for a proxy application here. "
                            "Please go to the counter.")
PROXY_ONLY_ALLOWED = Text("此事项不能代办，请被代办人本人办理。", "Someone else cannot apply for this; the person must apply themselves.")
PROXY_CHOOSE = Text("以下是可以代办的事项。", "These are the services someone else may apply for.")
AUTHORISATION_NEEDED = Text("请先拍摄授权委托书或关系证明。", "Please photograph the power of attorney or the relationship proof first.")
ID_NUMBER_INVALID = Text("身份证号码有误，请核对后重新输入（18位，最后一位可能是X）。",
                         "That ID number is not right. Please check it and type it again (18 characters; the last may be X).")
NO_CARD_OFFLINE = Text("本机暂时无法联网核验，不能办理免证件业务。请携带身份证件办理，或到人工窗口。",
                       "This kiosk cannot reach the identity service right now, so it cannot check you without your "
                       "card. Please bring your ID card, or go to the counter.")
COUNTER_CONSENT_WAITING = Text("请申请人在自己的屏幕上核对并确认同意后，再提交。",
                               "The applicant must check and confirm consent on their own screen before you submit.")
COUNTER_CLERK_NEEDED = Text("请工作人员先登录，再开启柜台模式。", "A clerk must sign in before counter mode can start.")
COUNTER_NOT_RECORDED = Text("柜台模式未能记录，未开启。请重试或联系技术支持。",
                            "Counter mode could not be recorded, so it did not start. Try again or call support.")
COUNTER_STARTED = Text("柜台模式已开启。", "Counter mode is on.")
COUNTER_ENDED = Text("柜台模式已结束。", "Counter mode has ended.")
