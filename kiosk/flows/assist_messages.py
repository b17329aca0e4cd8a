"""What the flow tells citizens and clerks on the assisted paths (kiosk/flows/assist.py)."""
from kiosk.i18n import tr

PLACE_PRINCIPAL = tr("请取下您本人的证件，再放置被代办人（您要为其办理的人）的身份证件。")
SAME_CARD = tr("这是您本人的证件。请放置被代办人的证件。")
PRINCIPAL_KEY_NEEDED = tr("该证件需要输入访问码，暂不能用于代办。请到人工窗口办理。")
PROXY_ONLY_ALLOWED = tr("此事项不能代办，请被代办人本人办理。")
PROXY_CHOOSE = tr("以下是可以代办的事项。")
AUTHORISATION_NEEDED = tr("请先拍摄授权委托书或关系证明。")
ID_NUMBER_INVALID = tr("身份证号码有误，请核对后重新输入（18位，最后一位可能是X）。")
NO_CARD_OFFLINE = tr("本机暂时无法联网核验，不能办理免证件业务。请携带身份证件办理，或到人工窗口。")
COUNTER_CONSENT_WAITING = tr("请申请人在自己的屏幕上核对并确认同意后，再提交。")
COUNTER_CLERK_NEEDED = tr("请工作人员先登录，再开启柜台模式。")
COUNTER_NOT_RECORDED = tr("柜台模式未能记录，未开启。请重试或联系技术支持。")
COUNTER_STARTED = tr("柜台模式已开启。")
COUNTER_ENDED = tr("柜台模式已结束。")
