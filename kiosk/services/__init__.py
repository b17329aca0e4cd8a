"""Storage, receipts, sync and background jobs. Never imports Qt."""
