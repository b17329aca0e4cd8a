"""ICAO 9303 eMRTD reading (passports and ID cards with a contactless chip) behind the CardReader port.

Pure parts (no I/O): `tlv`, `mrz`, `lds` (data-group parsing), `image` (image size from its header,
before any decoding), `sod` (passive authentication), `countries` (MRZ state codes to certificate
countries), `masterlist` (CSCA master lists), `aa` (active authentication check), `crypto` (BAC,
PACE, secure messaging). The trust store folder: `trust` (loading, TEST and empty-store checks),
`trust_import` (verified imports).
Protocol over an abstract APDU transport: `reader`. The PC/SC backend: `pcsc`.
Everything here runs on the card thread (the one thread that owns the reader); nothing imports Qt.
"""
