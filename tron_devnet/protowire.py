"""The devnet's one protobuf wire writer: varints and length-delimited fields (proto3 rules).

Used by ``codec`` (transactions and contracts), ``engine.blocks`` (block headers) and
``actuators`` (the size estimate of a ``DelegateResourceContract``). Fields are written only when
they differ from the proto3 default, unless ``always`` asks otherwise (repeated and message
fields that are present even when empty).
"""

from __future__ import annotations

from typing import Final

WIRE_VARINT: Final = 0
WIRE_FIXED64: Final = 1
WIRE_LEN: Final = 2
WIRE_FIXED32: Final = 5
_UINT64: Final = 1 << 64


def varint(value: int) -> bytes:
    """The base-128 varint of ``value``; negative numbers as their 64-bit two's complement
    (ten bytes), as protobuf writes ``int64``/``int32``."""
    if value < 0:
        value += _UINT64
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def field_key(field_number: int, wire_type: int) -> bytes:
    return varint((field_number << 3) | wire_type)


def put_varint(out: bytearray, field_number: int, value: int) -> None:
    """Append a varint field (skipped when ``value`` is 0, the proto3 default)."""
    if value:
        out += field_key(field_number, WIRE_VARINT)
        out += varint(value)


def put_bytes(out: bytearray, field_number: int, value: bytes, *, always: bool = False) -> None:
    """Append a length-delimited field (skipped when empty unless ``always``)."""
    if value or always:
        out += field_key(field_number, WIRE_LEN)
        out += varint(len(value))
        out += value
