"""The kiosk's audit trail: who did what at the counter (staff sign-ins, overrides, proxies,
help calls), append-only, hash-chained, signed with the kiosk key, sealed in the store and synced
to the back office, which verifies it again (docs/security.md "The audit trail").

  chain   entries, their hash chain and signatures, `verify_chain` (shared with the back office)
  log     AuditLog: record / read / verify / mark synced, on a Storage connection

No Qt here. Import from the modules.
"""
