"""Labels of the help button and the staff screens. Flow-decided messages are in kiosk.flows.messages."""
from kiosk.domain.text import Text

T = Text
# Both languages at once: the citizen who needs help may not have found the language button.
HELP_BUTTON = "请工作人员协助\nAsk staff"
HELP_CALLED = "已呼叫 {n} · 请稍候\nStaff called: {n}"
HELP_TITLE = T("您的呼叫号：{n}", "Your call number: {n}")
HELP_NEXT = T("请留在本机旁。工作人员会带着这个号码前来；您填写的内容不会丢失。",
              "Please stay at this kiosk. A member of staff will come with this number; nothing you entered is lost.")
HELP_CLOSE = T("关闭（继续等待）", "Close (keep waiting)")
STAFF_HERE = T("工作人员登录", "Staff sign-in")
STAFF_ENTRY = T("工作人员", "Staff")
SIGN_IN_TITLE = T("工作人员登录", "Staff sign-in")
SIGN_IN_FOR = {
    "override": T("用于：人工核验身份", "For: confirming identity in person"),
    "console": T("用于：工作人员控制台", "For: the staff console"),
    "help": T("用于：应答呼叫", "For: answering a help call"),
    "exit": T("用于：退出锁定（仅值班长）", "For: leaving kiosk mode (supervisors only)"),
}
STAFF_NUMBER = T("工号", "Staff No.")
PIN = T("密码", "PIN")
SIGN_IN = T("登录", "Sign in")
CANCEL = T("取消", "Cancel")
CLEAR = T("清除", "Clear")
CALL_LINE = T("呼叫号 {n}", "Call {n}")
OVERRIDE_TITLE = T("工作人员核验身份", "Staff identity check")
OVERRIDE_HOW = T("请当面核对：眼前的人与证件照片、证件上的信息是否一致。核验结果将以您的工号记入申请和审计记录。",
                 "Compare the person in front of you with the document's photo and details. "
                 "The application and the audit trail will record your staff number for this decision.")
OVERRIDE_FAILED = T("自动人脸核验未通过 {n} 次", "Automated face check failed {n} times")
OVERRIDE_NO_PHOTO = T("证件照片无法读取", "The card's photo cannot be read")
OVERRIDE_REASON = T("核验依据（必选）", "Reason (required)")
OVERRIDE_NOTE = T("本机无屏幕键盘：仅记录所选原因。", "No on-screen keyboard here: only the reason is recorded.")
OVERRIDE_CONFIRM = T("确认是本人，继续办理", "Confirm identity and continue")
OVERRIDE_REFUSE = T("不是本人：结束办理", "Not the same person: end the session")
DOC_FIELDS = (T("姓名", "Name"), T("性别", "Sex"), T("出生日期", "Date of birth"), T("证件号码", "Document No."),
              T("身份证号", "ID number"), T("有效期至", "Valid until"))
CONSOLE_TITLE = T("工作人员控制台 · 工号 {n}（{role}）", "Staff console · No. {n} ({role})")
ROLES = {"clerk": T("办事员", "clerk"), "supervisor": T("值班长", "supervisor")}
CALLS = T("待处理的呼叫", "Open help calls")
NO_CALLS = T("没有待处理的呼叫。", "No open help calls.")
CALL_ITEM = T("{n} · {t} 呼叫", "{n} · called at {t}")
CALL_DONE = T("已处理", "Done")
OVERRIDES = T("今日人工核验（按工作人员）", "Overrides today, per clerk")
NO_OVERRIDES = T("今日没有人工核验。", "No overrides today.")
OVERRIDE_ITEM = T("工号 {n}：{c} 次", "No. {n}: {c}")
FLAGGED = T("  ⚠ 超过每日上限，已提示值班长", "  ⚠ above the daily limit: flagged to the supervisor")
HEALTH = T("设备与系统状态", "Devices and system")
LOADING = T("正在检查…", "Checking…")
BACK_TO_CITIZEN = T("返回", "Back")
SIGN_OUT = T("退出登录", "Sign out")
LEAVE_LOCKDOWN = T("退出锁定（值班长）", "Leave kiosk mode (supervisor)")
