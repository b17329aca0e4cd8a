"""Test and demo tooling, kept out of the product: tests, bench/, scripts/ and the demo
composition (kiosk/demo.py, the only product module allowed to import it) use it; kiosk/ and
backoffice/ never do (import-linter contracts in pyproject.toml). Not shipped in a wheel.

  vcard/            a virtual ICAO 9303 chip and its TEST PKI code (TEST-ONLY keys in pki/test-card/)
  chip_reader       the demo's card reader: the demo citizens' cards as virtual chips, read in-process
  attacks           photo presentation attacks as frame sequences (liveness tests, bench)
  sync_drills       the back office as a process, a fault-injecting proxy, drill kiosks, applications
  demo_backoffice   a back office inside the kiosk process, for `kiosk run --simulate --with-backoffice`
  realtime_player   aplay's stand-in that plays at a sound card's pace (speech tests, no sound card)

It may read tests/fixtures (it is test tooling); the product never does.
"""
