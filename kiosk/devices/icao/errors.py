"""Errors of the ICAO layer. Parsers raise only `ParseError` subclasses, whatever the input.

Pure; any thread.
"""
from __future__ import annotations


class IcaoError(Exception):
    """Base of every error raised by kiosk.devices.icao."""


class ParseError(IcaoError, ValueError):
    """Malformed data from a chip, a file or the user (never another exception type)."""


class TlvError(ParseError):
    pass


class MrzError(ParseError):
    pass


class SodError(ParseError):
    pass


class LdsError(ParseError):
    """A data group whose content is not what ICAO 9303 says it should be."""


class ImageError(ParseError):
    """An image whose header is malformed, or declares more pixels than this kiosk decodes."""


class TrustStoreError(IcaoError):
    """A trust store (or a file offered to it) that must not be used; the message says which file and why."""


class CardStatusError(IcaoError):
    """The chip answered with a status word other than success."""

    def __init__(self, what: str, sw: int) -> None:
        self.sw = sw
        super().__init__(f"{what}: status {sw:04X}")


class AccessDenied(IcaoError):
    """BAC or PACE failed: the access key (MRZ or CAN) does not match the document."""


class SecureMessagingError(IcaoError):
    """A protected response was missing its MAC, had a wrong MAC or an unexpected counter."""


class TransportError(IcaoError):
    """The APDU could not be exchanged (reader problem)."""


class CardRemoved(TransportError):
    """The card left the reader."""


class ReadTimeout(IcaoError, TimeoutError):
    """The read's deadline passed between two APDUs."""
