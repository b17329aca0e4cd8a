"""Labels of the assisted paths' screens (issue 12 parts 4-6). Flow-decided messages live in
kiosk/flows/assist_messages.py."""
from kiosk.domain.text import Text

T = Text
FOR_SOMEONE_ELSE = T("为他人办理（代办）", "For someone else")
FOR_SOMEONE_ELSE_HELP = T("为不能前来的家人或委托人办理：需读取双方证件并拍摄授权委托书或关系证明。",
                          "For a relative or someone who cannot come: both ID cards are read and the power of "
                          "attorney or relationship proof is photographed.")
PROXY_BANNER = T("代办：为 {name} 办理（仅显示可代办事项）", "Applying for {name} (only services someone else may apply for)")
PRINCIPAL_TITLE = T("请放置被代办人的身份证件", "Place the ID card of the person you are applying for")
PRINCIPAL_READING = T("正在读取被代办人的证件…", "Reading their card…")
RELATIONSHIP_TITLE = T("您与被代办人是什么关系？", "How are you related to the person you are applying for?")
RELATIONSHIP_FOR = T("被代办人：{name}", "Applying for: {name}")
AUTHORISATION_TITLE = T("请拍摄授权委托书或关系证明", "Photograph the power of attorney or the relationship proof")
AUTHORISATION_SUB = T("把授权委托书（或户口簿、结婚证等关系证明）平放在拍摄区，然后点“拍照”。",
                      "Lay the power of attorney (or a household register, marriage certificate or other proof of "
                      "the relationship) flat under the camera, then press Take photo.")
AUTHORISATION_TAKEN = T("✓ 已拍摄", "✓ Photographed")
AUTHORISATION_CAPTURING = T("正在拍照，请不要移动材料…", "Taking the photo, please hold still…")
TAKE_PHOTO = T("拍照", "Take photo")
RETAKE = T("重拍", "Retake")
NO_CARD = T("忘带身份证？输入号码刷脸办理", "Forgot your ID card? Use your ID number and your face")
ID_NUMBER_TITLE = T("请输入您的身份证号码", "Type your ID number")
ID_NUMBER_SUB = T("18位号码，最后一位可能是 X。随后请正对摄像头完成人脸核验，系统将与公安人口库照片比对，照片不会保存。",
                  "18 characters; the last may be X. Then look at the camera: your face is compared with the "
                  "public-security photo of that number, which is not kept.")
ID_NUMBER_CHECKING = T("正在查询核验照片，请稍候…", "Getting the reference photo, please wait…")
CONTINUE = T("继续", "Continue")
CLEAR = T("清除", "Clear")
COUNTER_CLERK_BAR = T("柜台模式 · 工作人员工号 {n}：您操作，申请人在其屏幕上查看并确认同意",
                      "Counter mode · staff No. {n}: you enter, the applicant watches and consents on their screen")
COUNTER_END = T("结束柜台模式", "End counter mode")
COUNTER_START = T("开启柜台模式", "Start counter mode")
COUNTER_CITIZEN_BAR = T("工作人员（工号 {n}）正在为您录入，请核对屏幕上的内容。",
                        "Staff No. {n} is entering your application. Please check what appears on this screen.")
COUNTER_CONSENT = T("我已核对以上内容，同意提交", "I have checked this and agree to submit it")
COUNTER_CONSENTED = T("✓ 您已确认同意，工作人员将为您提交。", "✓ You have agreed; the clerk will submit it for you.")
COUNTER_WAITING_CONSENT = T("等待申请人在其屏幕上确认同意…", "Waiting for the applicant to agree on their screen…")
COUNTER_CITIZEN_AGREED = T("✓ 申请人已确认同意", "✓ The applicant has agreed")
