"""ICAO 9303 eMRTD reading (passports and ID cards with a contactless chip) behind the CardReader port.

Pure parts (no I/O): `tlv`, `mrz`, `lds` (data-group parsing), `sod` (passive authentication),
`aa` (active authentication check), `crypto` (BAC, PACE, secure messaging).
Protocol over an abstract APDU transport: `reader`. The PC/SC backend: `pcsc`.
Everything here runs on the card thread (the one thread that owns the reader); nothing imports Qt.
"""
