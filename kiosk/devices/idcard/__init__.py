"""Resident ID cards (GB 16776, and the cards that share their readers) and their photo: read
through a public-security SAM reader, either over its frame protocol (frames.py, content.py,
nations.py, sam_reader.py) or through a vendor's termb-style library (vendor_sdk.py); the WLT
photo through a PhotoDecoder (photo.py)."""
