"""A virtual eMRTD (ICAO 9303 chip) for tests, benchmarks and demos: the card itself (`card`), the
documents it carries (`document`), a test PKI (`pki`), an in-process transport (`transport`) and a
client for the vsmartcard vpcd virtual reader (`vpcd`), so tests go pyscard -> pcscd -> vpcd -> card.

TEST ONLY: every key it uses (testkit/pki/test-card) is a published test key. Nothing imports Qt.
"""
