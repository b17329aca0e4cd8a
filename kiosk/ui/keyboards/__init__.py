"""On-screen input for a touch screen without a physical keyboard (issue 13, part 3).

  keyboard.py         OnScreenKeyboard: docked below the form; opens for the tapped field
  digit_pad.py        DigitPad (also the access-key screen's pad)
  date_picker.py      DatePicker: year/month/day steppers within the field's range
  letters.py          LettersPad: qwerty for pinyin and for English/ABC
  handwriting_pad.py  DrawingPad: strokes from the finger
  candidates.py       CandidateBar: a page of candidates with ◀ ▶
  engines.py          the Pinyin helper process (async) and the handwriting recogniser
  dock.py             keep_visible: the field stays above the keyboard
  typist.py           Typist: the autopilot types through these keys by clicks
  keys.py             key buttons and the style sheet, sized in mm from kiosk/ui/theme.py

GUI thread only. docs/input.md describes the engines and their licences.
"""
