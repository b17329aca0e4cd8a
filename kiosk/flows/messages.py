"""Citizen-facing messages the flow decides on. Each says in plain words what to do next."""
from kiosk.domain.text import Text
from kiosk.i18n import tr

CARD_REMOVED = tr("证件已取出，本次办理已结束，信息已清除。如需继续，请重新放置证件。")
CARD_REMOVED_AFTER_SUBMIT = tr("证件已取出。您的申请已提交成功。")
TIMED_OUT = tr("长时间无操作，为保护您的隐私，本次办理已结束，信息已清除。")
ENDED = tr("本次办理已结束，您的信息已清除。")
EXPIRED = tr("您的证件已过有效期，无法在自助机办理。请到人工窗口办理证件换领。")
NOT_GENUINE = tr("证件信息无法验证，请到人工窗口办理，工作人员会协助您。")
KEY_FORMAT = tr("请输入证件上的6位数字码；或输入证件号码、出生日期和有效期（各6位数字，年月日）。")
KEY_ASK_STAFF = tr("多次输入不符，为保护您的证件，请联系工作人员协助。")
FACE_VERIFIED = tr("人脸核验通过。")
FACE_TRY_AGAIN = tr("人脸与证件照片不一致，请摘下帽子和眼镜，正对屏幕后重试。")
def face_verified(what: Text) -> Text:
    """"Face check passed", saying exactly what was checked (`what` as it reads inside a sentence:
    FaceCheckRecord.summary(in_sentence=True))."""
    return tr("人脸核验通过：{what}。").format(what=what)


FACE_LOCKED = tr("这张证件今天的人脸核验已多次未通过。请按“请工作人员核验”，工作人员会当面为您核验身份。")
FACE_ASK_STAFF = tr("多次核验未通过。请按“请工作人员核验”，工作人员会当面为您核验。")
MATERIALS_MISSING = tr("请先拍摄以下材料：{names}")
CONSENT_NEEDED = tr("请先勾选同意，才能提交。")
THANKS = tr("感谢您的评价！")
PRINT_PROBLEM = tr("回执打印失败，但您的申请已提交成功。请记下屏幕上的申请编号，或请工作人员补打回执。")
INTAKE_CLOSED = tr("本机暂时不能受理新申请，请到人工窗口办理。已提交的申请不受影响。")
HELP_ON_THE_WAY = tr("工作人员将前来协助，请稍候。您的办理进度会保留。")
PHOTO_UNREADABLE = tr("证件照片无法读取，无法进行人脸比对。请按“请工作人员核验”，工作人员会当面为您核验。")
IDENTITY_BY_STAFF = tr("工作人员已核验您的身份，请继续办理。")
SIGN_IN_CHECKING = tr("正在核对，请稍候…")
SUPERVISOR_NEEDED = tr("退出锁定需要值班长登录。")
NOTHING_TO_OVERRIDE = tr("当前没有需要人工核验的证件。")
OVERRIDE_NOT_RECORDED = tr("核验记录未能保存，请重试；如仍失败请联系技术支持。")
STAFF_IDLE = tr("工作人员模式因长时间无操作已退出。")
LOCKDOWN_NOT_RECORDED = tr("无法记录退出锁定，请重试。")

# --- scanning a receipt (kiosk/flows/scan.py): a refusal says plainly what to do next ---------------
RECEIPT_FORGED = tr("这张回执的二维码与内容不符，可能被改动或伪造，不能凭它办理。请到人工窗口或拨打 12345 核实。")
RECEIPT_UNKNOWN_KEY = tr("无法确认这张回执出自本系统的自助机。若回执来自新启用的自助机，请稍后再试，或输入回执上的核验码查询；"
                           "仍有疑问请到人工窗口核实。")
RECEIPT_REVOKED = tr("打印这张回执的自助机已停用其签名密钥，无法确认回执真伪。请到人工窗口核实。")
RECEIPT_UNREADABLE = tr("这不是办事回执的二维码。请把回执下方的二维码对准摄像头。")
TYPED_FORMAT = tr("请输入回执上的申请编号（31位数字）或核验码（9位，如 7K3M-QX9P-T）。")
PROGRESS_NOT_FOUND = tr("没有找到这个申请。请核对后重新输入；在其他自助机办理的申请，请输入核验码。")
PROGRESS_OFFLINE = tr("暂时无法连接后台，以下是本机最近一次同步的状态。")
PROGRESS_OFFLINE_NONE = tr("暂时无法连接后台，本机也没有这份申请的记录。请稍后再试，或拨打 12345 查询。")
PROGRESS_NOT_RECEIVED = tr("各部门尚未收到这份申请（等待同步）。收到后即可在此查到进度。")
