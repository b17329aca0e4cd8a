"""Resident ID cards (and the cards that share their readers) read through a public-security SAM
reader: the frame codec (frames.py), the card's text block (content.py, nations.py) and the
pyserial backend (sam_reader.py)."""
