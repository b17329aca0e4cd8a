"""eMRTD access control and secure messaging (ICAO 9303 part 11): BAC, PACE-GM, SM with 3DES or AES.

Pure computation on the card thread (no I/O, no blocking), except the protocol functions in `bac`
and `pace`, which exchange APDUs through a channel the caller gives them.
"""
