"""Labels of the help button and the staff screens. Flow-decided messages are in kiosk.flows.messages."""
from kiosk.i18n import tr

# Both languages at once: the citizen who needs help may not have found the language button.
HELP_BUTTON = "请工作人员协助\nAsk staff"
HELP_CALLED = "已呼叫 {n} · 请稍候\nStaff called: {n}"
HELP_TITLE = tr("您的呼叫号：{n}")
HELP_NEXT = tr("请留在本机旁。工作人员会带着这个号码前来；您填写的内容不会丢失。")
HELP_CLOSE = tr("关闭（继续等待）")
STAFF_HERE = tr("工作人员登录")
STAFF_ENTRY = tr("工作人员")
SIGN_IN_TITLE = tr("工作人员登录")
SIGN_IN_FOR = {
    "override": tr("用于：人工核验身份"),
    "console": tr("用于：工作人员控制台"),
    "help": tr("用于：应答呼叫"),
    "exit": tr("用于：退出锁定（仅值班长）"),
}
STAFF_NUMBER = tr("工号")
PIN = tr("密码")
SIGN_IN = tr("登录")
CANCEL = tr("取消")
CLEAR = tr("清除")
CALL_LINE = tr("呼叫号 {n}")
OVERRIDE_TITLE = tr("工作人员核验身份")
OVERRIDE_HOW = tr("请当面核对：眼前的人与证件照片、证件上的信息是否一致。核验结果将以您的工号记入申请和审计记录。")
OVERRIDE_FAILED = tr("自动人脸核验未通过 {n} 次")
OVERRIDE_NO_PHOTO = tr("证件照片无法读取")
OVERRIDE_REASON = tr("核验依据（必选）")
OVERRIDE_NOTE = tr("本机无屏幕键盘：仅记录所选原因。")
OVERRIDE_CONFIRM = tr("确认是本人，继续办理")
OVERRIDE_REFUSE = tr("不是本人：结束办理")
DOC_FIELDS = (tr("姓名"), tr("性别"), tr("出生日期"), tr("证件号码"),
              tr("身份证号"), tr("有效期至"))
CONSOLE_TITLE = tr("工作人员控制台 · 工号 {n}（{role}）")
ROLES = {"clerk": tr("办事员"), "supervisor": tr("值班长")}
CALLS = tr("待处理的呼叫")
NO_CALLS = tr("没有待处理的呼叫。")
CALL_ITEM = tr("{n} · {t} 呼叫")
CALL_DONE = tr("已处理")
OVERRIDES = tr("今日人工核验（按工作人员）")
NO_OVERRIDES = tr("今日没有人工核验。")
OVERRIDE_ITEM = tr("工号 {n}：{c} 次")
FLAGGED = tr("  ⚠ 超过每日上限，已提示值班长")
HEALTH = tr("设备与系统状态")
LOADING = tr("正在检查…")
BACK_TO_CITIZEN = tr("返回")
SIGN_OUT = tr("退出登录")
LEAVE_LOCKDOWN = tr("退出锁定（值班长）")
