"""OneVisit Kiosk: one visit, one form, one submission for a citizen's life event."""
