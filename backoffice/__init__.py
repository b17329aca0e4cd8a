"""The OneVisit back office: enrols kiosks, receives their applications exactly once, serves
status changes and the signed catalogue, and lists what each department received.

Start it with `python -m backoffice --db URL --host 127.0.0.1 --port 8750` (README, "Sync and the back office").
"""
