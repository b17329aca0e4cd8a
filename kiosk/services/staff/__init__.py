"""Staff at the kiosk: the back office's signed staff list kept for offline use, PIN sign-in
with lockout, and staff mode's idle clock. No Qt here (docs/architecture.md "Staff and audit").

  credentials    the signed staff list (shared with the back office), PIN and ID-card keys (argon2id)
  store          the kept list and the lockouts in the kiosk's SQLite store
  authenticator  StaffAuthenticator: sign_in, sign_in_with_id_card, end_staff_mode (audited)
  mode           StaffMode: pure idle-timeout logic with an injected clock

Import from the modules.
"""
