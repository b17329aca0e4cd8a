"""The keyboards' labels, in both languages."""
from kiosk.domain.text import Text as T

TAB_PINYIN = T("拼音", "Pinyin")
TAB_HANDWRITING = T("手写", "Write")
TAB_DIGITS = T("123", "123")
TAB_LETTERS = T("ABC", "ABC")
BACKSPACE = T("⌫ 删除", "⌫ Delete")
SPACE = T("空格", "Space")
CLEAR = T("清空", "Clear")
DONE = T("完成", "Done")
PREV = T("◀ 上页", "◀ Prev")
NEXT = T("下页 ▶", "Next ▶")
REWRITE = T("重写", "Rewrite")
SHIFT = T("大小写", "Shift")
PINYIN_HINT = T("按拼音字母，再点选要的字", "Tap the pinyin letters, then the characters you want")
WRITE_HINT = T("在方框里用手指写一个字", "Write one character in the box with your finger")
NOTHING_FOUND = T("没有找到，请重写或换拼音", "Nothing found: rewrite it, or use Pinyin")
UNAVAILABLE = T("输入法暂不可用，请换一种方式或请工作人员帮助", "This input method is not available now: try another, or ask staff")
YEAR = T("年", "Year")
MONTH = T("月", "Month")
DAY = T("日", "Day")
DATE_HINT = T("点 + 或 − 选择年、月、日，选好后点“完成”", "Tap + or − to set the year, month and day, then Done")
WEEKDAYS = {"zh": "一二三四五六日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")
