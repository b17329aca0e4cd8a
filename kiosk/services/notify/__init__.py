"""Text messages (SMS) to citizens when a department's status of their application changes.

  port         the Notifier port, TextMessage, its errors and the simulated backend
  sms_gateway  the HTTP SMS-gateway backend
  outbox       which status changes become messages (with consent) and their outbox: kept in
               the kiosk's store, sent by the sync thread with retries and back-off
  settings     the [notify] configuration and the backend it chooses
"""
