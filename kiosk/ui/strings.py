"""Labels the screens show. Flow-decided messages live in kiosk.flows.messages."""
from kiosk.domain.text import Text

T = Text
END = T("结束办理", "End session")
BACK = T("上一步", "Back")
NEXT = T("下一步", "Next")
SUBMIT = T("确认提交", "Submit")
STEP_OF = T("第 {i} 步，共 {n} 步", "Step {i} of {n}")
ATTRACT_HERO = T("请放置身份证件", "Please place your ID card on the reader")
ATTRACT_SUB = T("一次办好 · 只跑一次 —— 出生、退休、开办企业等“一件事”，在这里一次提交。",
                "One visit, one form: a birth, a retirement, a new business and more, submitted here in one go.")
ATTRACT_PRIVACY = T("您的信息仅用于本次办理，离开或取出证件后立即清除。",
                    "Your details are used only for this application and are cleared as soon as you leave or take your card.")
FOR_STAFF = T("工作人员：", "For staff: ")
SYNC_BACKLOG = T("工作人员：本机有 {n} 份申请待同步到后台（最早 {since}），联网后自动上传。",
                 "For staff: {n} applications on this kiosk are waiting for the back office (oldest {since}); "
                 "they upload by themselves when the network is back.")
DEMO_TRAY = T("演示：放置一张证件", "Demo: place a card")
DEMO_REMOVE = T("演示：取走证件", "Demo: remove card")
READING = T("正在读取证件，请不要移动证件…", "Reading your card. Please do not move it…")
FACE_TITLE = T("人脸核验", "Face check")
FACE_INSTRUCTION = T("请摘下帽子，正对屏幕，保持不动。我们会将您的脸与证件芯片照片比对，请您按提示做 3 个头部动作，其间屏幕会闪烁颜色。",
                     "Please take off any hat, look straight at the screen and hold still. We compare your face with "
                     "the photo on your card's chip and ask for 3 head movements while the screen flashes colours.")
IDENTITY_CHECKED = T("身份核验：", "Identity check: ")
FACE_CHECKING = T("正在核验，请稍候…", "Checking, please wait…")
FACE_RETRY = T("重新核验", "Try again")
CHOOSE_TITLE = T("您要办理哪件事？", "What would you like to do?")
CHOOSE_SUB = T("选择一件事，我们把涉及的各部门事项合成一张表，一次提交。",
               "Choose one life event: we combine every department's procedure into one form and one submission.")
DEPARTMENTS = T("涉及 {n} 个部门", "{n} departments")
VERIFIED = T("✓ 已核验（来自证件）", "✓ Verified (from your ID card)")
VERIFIED_GOV = T("✓ 已核验（政府已有数据）", "✓ Verified (government records)")
EDITED = T("您已修改，提交后由工作人员核对", "You changed this; staff will check it")
COMPUTED = T("已为您算好，请核对", "Worked out for you; please check it")
DATE_HINT = T("年-月-日，例如 2024-03-15", "year-month-day, e.g. 2024-03-15")
PAGE_OF = T("第 {i} 页，共 {n} 页", "Page {i} of {n}")
REVIEW_TITLE = T("请核对：各部门将收到以下内容", "Please check: what each department will receive")
PROMISED = T("承诺 {d} 个工作日内办结（{date}前）", "Promised within {d} working days (by {date})")
FREE = T("免费", "Free")
FEE = T("收费 {fee} 元", "Fee: {fee} yuan")
MATERIALS_HELD = T("无需提供（政府已有）：", "No need to bring (the government already holds it): ")
MATERIALS_BRING = T("需要提供：", "Needed from you: ")
CONSENT = T("我确认以上信息真实，并同意将其共享给上述部门用于办理本次事项。",
            "I confirm these details are true and agree that they are shared with the departments above for this application.")
SUBMITTING = T("正在提交，请稍候…", "Submitting, please wait…")
PRINTING = T("正在打印回执…", "Printing your receipt…")
SUBMITTED = T("申请已提交！", "Your application has been submitted!")
APP_NUMBER = T("申请编号", "Application number")
TAKE_RECEIPT = T("请取走回执。凭申请编号可查询各部门办理进度。",
                 "Please take your receipt. Use the application number to check progress with every department.")
REPRINT = T("重新打印", "Print again")
CONTINUE = T("继续", "Continue")
RATING_TITLE = T("请为本次服务评价（好差评）", "Please rate this service")
RATING_LABELS = [T("非常不满意", "Very poor"), T("不满意", "Poor"), T("基本满意", "Fair"), T("满意", "Good"), T("非常满意", "Excellent")]
SKIP = T("跳过", "Skip")
RATING_WHICH = T("是对哪个部门的评价？（可不选，不选就是对整体）", "Which department is it about? (optional; none = the whole visit)")
RATING_WHY = T("原因（可不选）", "Why? (optional)")
RATING_CALLBACK = T("请工作人员回电给我（拨打表单中的手机号码）", "Please call me back (at the phone number in the form)")
RATING_SEND = T("提交评价", "Send my rating")
STILL_THERE = T("您还在吗？", "Are you still there?")
TIMEOUT_BODY = T("为保护您的隐私，{s} 秒后将结束办理并清除信息。",
                 "To protect your privacy, the session will end and your details will be cleared in {s} seconds.")
STAY = T("我还在，继续办理", "I'm here, continue")
# Voice (issue 13): the buttons, and what is only spoken. Everything else the voice says is one of
# the Text objects above or in kiosk.flows.messages, exactly as shown (kiosk/ui/narration.py).
VOICE_ON = T("语音播报", "Read aloud")
VOICE_OFF = T("关闭语音", "Voice off")
REPEAT = T("再听一遍", "Repeat")
HEADSET = T("耳机", "Headset")
SAY_TOUCH_TO_STAY = T("如需继续，请点一下屏幕。", "To continue, touch the screen.")
SAY_FORM_FIELDS = T("本页要填写：{names}。", "On this page: {names}.")
SAY_REVIEW = T("核对无误后，请勾选“{consent}”，再按“{submit}”。",
               "If it is right, tick “{consent}” and press “{submit}”.")
SAY_NUMBER = T("{label}：{digits}。", "{label}: {digits}.")
SAY_NEXT = T("接下来，各部门会分别办理。以下日期为预计，从部门收到申请算起。",
             "What happens next: each department handles its part. These dates are estimates, "
             "counted from when they receive it.")
SAY_DEADLINE = T("{department}：预计 {date}前办结。", "{department}: by about {date}.")
PENDING_SYNC = T("已保存在本机，网络恢复后自动上报各部门。", "Saved on this kiosk; it is sent to the departments automatically when the network is available.")
MATERIALS_TITLE = T("材料", "Documents")
MATERIALS_SUB = T("政府已有的材料您无需提供；其余请放在拍摄区，每份只拍一次，所有部门共用。",
                  "You need not bring what the government already holds. Place the others under the camera: "
                  "each is photographed once and shared by every department.")
# When the government's records hold none of them for this citizen (or could not be looked up).
MATERIALS_SUB_ALL = T("请把材料放在拍摄区，每份只拍一次，所有部门共用。",
                      "Place each document under the camera: each is photographed once and shared by every department.")
MATERIAL_HELD = T("✓ 政府已有，无需提供", "✓ Already held by the government: nothing to bring")
MATERIAL_TAKEN = T("✓ 已拍摄", "✓ Photographed")
MATERIAL_NEEDED = T("需要拍照提供", "Please photograph this")
MATERIAL_OPTIONAL = T("可选，有的话请拍照提供", "Optional: photograph it if you have it")
MATERIAL_CAPTURING = T("正在拍照，请保持材料不动…", "Taking the photo, please keep the document still…")
TAKE_PHOTO = T("拍照", "Take photo")
RETAKE = T("重拍", "Retake")
KEY_TITLE = T("请输入证件信息以读取芯片", "Enter your document details to read its chip")
KEY_CAN = T("证件上的6位数字码（CAN）", "The 6-digit number on your document (CAN)")
KEY_MRZ = T("或者：证件号码和日期", "Or: the document number and dates")
KEY_DOC_NUMBER = T("证件号码", "Document number")
KEY_BIRTH = T("出生日期（年月日6位，如 900821）", "Date of birth (YYMMDD, e.g. 900821)")
KEY_EXPIRY = T("有效期至（年月日6位，如 360815）", "Expiry date (YYMMDD, e.g. 360815)")
KEY_CLEAR = T("清除", "Clear")
KEY_SUBMIT = T("读取证件", "Read my card")
# 长辈版 / large mode, the six-step progress, touch scrolling, ending a session (issue 13).
LARGE_ON = T("长辈版 大字", "Large text")
LARGE_OFF = T("标准版", "Standard text")
ATTRACT_LARGE = T("长辈版：大字、慢一点", "Large text, more time (长辈版)")
JOURNEY_STEPS = (T("读卡", "Card"), T("核验", "Check"), T("选事项", "Choose"), T("填写", "Fill in"),
                 T("核对", "Review"), T("回执", "Receipt"))
STEP_MATERIALS = T("材料", "Documents")
FREQUENT = T("常用", "Frequently used")
PAGE_UP = T("↑\n上一屏", "↑\nUp")
PAGE_DOWN = T("↓\n下一屏", "↓\nDown")
END_CONFIRM_TITLE = T("结束办理吗？", "End this session?")
END_CONFIRM_BODY = T("结束后，您填写的内容将被清除，需要重新开始。", "If you end now, what you have entered is cleared and you start again.")
END_CONFIRM_YES = T("是，结束办理", "Yes, end it")
END_CONFIRM_NO = T("否，继续办理", "No, continue")
