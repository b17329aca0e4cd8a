"""Sync with the back office: every application the citizen got a receipt for reaches the back
office exactly once, and the citizen never waits for it. No Qt here.

One module per concern (import from the module; this package re-exports nothing, so that the
back office can import `protocol` without the kiosk's HTTP client and store):

  protocol        the wire protocol shared with the back office: signed requests and answers,
                  sealed applications, signed catalogues and exports
  settings        SyncSettings: the back office's URL and pinned keys (the data folder's
                  sync.toml, written by `kiosk sync enrol`), batch size, back-off, freeze limits
  client          SyncClient (signed HTTP with a timeout on every call), its errors, back-off
  upload          Syncer: the outbox emptied a batch at a time, exactly once; runs the pulls
  status_pull     status changes from the back office
  catalogue_pull  the newest signed catalogue, handed to its owner (kiosk/services/catalogue_store.py)
  export          hand-carry export of pending applications to a folder (USB stick)
  freeze          the freeze rule: too long or too many without reaching the back office
  worker          the "sync" thread (SyncWorker) and make_worker for the composition root
  status_report   what `kiosk sync status` and the staff line show
"""
