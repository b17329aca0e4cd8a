"""ASN.1 types of ICAO 9303 (part 10 and 11) declared with asn1crypto: SecurityInfos (EF.CardAccess,
DG14) and the LDS security object inside EF.SOD.

Declarations only; parsing happens where they are used. Pure; any thread.
"""
from __future__ import annotations

from typing import Any, ClassVar

from asn1crypto import algos, cms, core

LDS_SECURITY_OBJECT_OID = "2.23.136.1.1.1"
ACTIVE_AUTHENTICATION_OID = "2.23.136.1.1.5"


class SecurityInfo(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("protocol", core.ObjectIdentifier),
        ("required_data", core.Any),
        ("optional_data", core.Any, {"optional": True}),
    ]


class SecurityInfos(core.SetOf):
    _child_spec = SecurityInfo


class DataGroupHash(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("data_group_number", core.Integer),
        ("data_group_hash_value", core.OctetString),
    ]


class DataGroupHashValues(core.SequenceOf):
    _child_spec = DataGroupHash


class LdsVersionInfo(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("lds_version", core.PrintableString),
        ("unicode_version", core.PrintableString),
    ]


class LdsSecurityObject(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", DataGroupHashValues),
        ("lds_version_info", LdsVersionInfo, {"optional": True}),
    ]


# Let asn1crypto parse the eContent of an EF.SOD SignedData as an LdsSecurityObject.
cms.ContentType._map[LDS_SECURITY_OBJECT_OID] = "lds_security_object"
cms.EncapsulatedContentInfo._oid_specs["lds_security_object"] = LdsSecurityObject


def security_infos(data: bytes) -> list[tuple[str, object, object]]:
    """(protocol OID, required data, optional data) for each SecurityInfo; values are asn1crypto
    natives (ints for INTEGER, dotted strings for OIDs). Raises ValueError/TypeError on bad input."""
    infos = SecurityInfos.load(bytes(data), strict=True)
    rows = []
    for info in infos:
        rows.append((info["protocol"].dotted, _native(info["required_data"]), _native(info["optional_data"])))
    return rows


def _native(value: core.Asn1Value) -> object:
    if isinstance(value, core.Void) or value is None:
        return None
    parsed = core.load(value.dump(), strict=True)
    if isinstance(parsed, core.ObjectIdentifier):
        return parsed.dotted
    if isinstance(parsed, core.Integer):
        return parsed.native
    return parsed.dump()
