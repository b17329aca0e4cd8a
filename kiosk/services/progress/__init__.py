"""Progress by scanning the receipt (issue 14 part 3), the kiosk's services side:

  summaries.py  the public summary kept per application (table public_summaries), lookups by
                number or check code with the statuses as last synced
  qr.py         reading receipt QR codes from camera frames (zxing-cpp, QR only, bounded)
  online.py     asking the back office for the newest statuses (GET /v1/receipt-status, signed)

No Qt. Each function says which thread it runs on.
"""
