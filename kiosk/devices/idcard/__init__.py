"""Resident ID card readers (GB 16776 cards read through a reader's SAM) and their photo."""
