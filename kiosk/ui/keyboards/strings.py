"""The keyboards' labels, in both languages."""
from kiosk.i18n import tr

TAB_PINYIN = tr("拼音")
TAB_HANDWRITING = tr("手写")
TAB_DIGITS = tr("123")
TAB_LETTERS = tr("ABC")
BACKSPACE = tr("⌫ 删除")
SPACE = tr("空格")
CLEAR = tr("清空")
DONE = tr("完成")
PREV = tr("◀ 上页")
NEXT = tr("下页 ▶")
REWRITE = tr("重写")
SHIFT = tr("大小写")
PINYIN_HINT = tr("按拼音字母，再点选要的字")
WRITE_HINT = tr("在方框里用手指写一个字")
NOTHING_FOUND = tr("没有找到，请重写或换拼音")
UNAVAILABLE = tr("输入法暂不可用，请换一种方式或请工作人员帮助")
YEAR = tr("年")
MONTH = tr("月")
DAY = tr("日")
DATE_HINT = tr("点 + 或 − 选择年、月、日，选好后点“完成”")
WEEKDAYS = {"zh": "一二三四五六日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")
