"""The client's transaction codec against the protobuf library, field by field.

``txcodec`` writes ``raw_data`` bytes from one table of field numbers; a wrong number, a
varint slip or a default written out would agree with itself and change every txid we sign.
The reference here is a schema written apart from the codec (tests/devnet/proto/
tron_transaction.proto), compiled at test time with grpcio-tools' ``protoc`` and serialized by
the protobuf runtime. For every contract type the service sends, hypothesis fills every field
the schema has (zero and non-zero values, varint boundaries, negative int64s, a key left out
or written with its default) and the codec's bytes must equal the library's.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from tests.support.proto import compile_schema
from tron_staking.chain import txcodec

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
VARINT_EDGES = sorted(
    {
        v
        for k in range(7, 64, 7)
        for v in ((1 << k) - 1, 1 << k, -(1 << k))
        if INT64_MIN <= v <= INT64_MAX
    }
    | {0, 1, -1, INT64_MAX, INT64_MIN}
)
INT64S = st.one_of(st.sampled_from(VARINT_EDGES), st.integers(INT64_MIN, INT64_MAX))
INT32S = st.one_of(st.sampled_from([0, 1, -1, 127, 128]), st.integers(-(1 << 31), (1 << 31) - 1))
BYTES = st.one_of(st.binary(max_size=3), st.binary(min_size=21, max_size=21))
RESOURCE_NAMES = ("BANDWIDTH", "ENERGY", "TRON_POWER")
CONTRACT_TYPES = (
    "TransferContract",
    "VoteWitnessContract",
    "WithdrawBalanceContract",
    "FreezeBalanceV2Contract",
    "UnfreezeBalanceV2Contract",
    "WithdrawExpireUnfreezeContract",
    "DelegateResourceContract",
    "UnDelegateResourceContract",
    "CancelAllUnfreezeV2Contract",
)
# The raw fields the node's JSON may carry (``contract`` is drawn separately).
RAW_FIELDS = ("ref_block_bytes", "ref_block_num", "ref_block_hash", "expiration", "data")
RAW_FIELDS_AFTER = ("timestamp", "fee_limit")


@pytest.fixture(scope="module")
def pb(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return compile_schema(tmp_path_factory.mktemp("txcodec_pb"), "txcodec_check_pb2")


class Filler:
    """Sets one protobuf message's fields and writes the node's JSON for the same values."""

    def __init__(self, data: st.DataObject, message: Any) -> None:
        self.data = data
        self.message = message
        self.json: dict[str, Any] = {}

    def _keep(self, value: object, default: object) -> bool:
        """Whether the key goes into the JSON: always when set, sometimes when default."""
        return value != default or self.data.draw(st.booleans())

    def field(self, field: Any) -> None:
        """Fill ``field`` (a protobuf ``FieldDescriptor``) with a drawn value."""
        name = field.name
        if field.type == field.TYPE_BYTES:
            raw = self.data.draw(BYTES)
            setattr(self.message, name, raw)
            if self._keep(raw, b""):
                self.json[name] = raw.hex()
        elif field.type in (field.TYPE_INT64, field.TYPE_INT32):
            is_64 = field.type == field.TYPE_INT64
            value = self.data.draw(INT64S if is_64 else INT32S)
            setattr(self.message, name, value)
            if self._keep(value, 0):
                self.json[name] = value
        elif field.type == field.TYPE_BOOL:
            flag = self.data.draw(st.booleans())
            setattr(self.message, name, flag)
            if self._keep(flag, False):
                self.json[name] = flag
        elif field.type == field.TYPE_ENUM:
            code = self.data.draw(st.integers(0, 2))
            setattr(self.message, name, code)
            if self._keep(code, 0):
                by_name = self.data.draw(st.booleans())
                self.json[name] = RESOURCE_NAMES[code] if by_name else code
        else:  # the repeated votes of VoteWitnessContract
            votes = []
            for _ in range(self.data.draw(st.integers(0, 3))):
                vote = Filler(self.data, getattr(self.message, name).add())
                for vote_field in vote.message.DESCRIPTOR.fields:
                    vote.field(vote_field)
                votes.append(vote.json)
            if self._keep(votes, []):
                self.json[name] = votes


def _contract(data: st.DataObject, pb: ModuleType, raw: Any) -> dict[str, Any]:
    type_name = data.draw(st.sampled_from(CONTRACT_TYPES))
    value = Filler(data, getattr(pb, type_name)())
    for field in value.message.DESCRIPTOR.fields:
        value.field(field)
    contract = raw.contract.add(type=getattr(pb.Transaction.Contract, type_name))
    contract.parameter.type_url = f"type.googleapis.com/protocol.{type_name}"
    contract.parameter.value = value.message.SerializeToString()
    permission = data.draw(st.one_of(st.just(0), INT32S))
    contract.Permission_id = permission
    entry: dict[str, Any] = {
        "parameter": {"value": value.json, "type_url": contract.parameter.type_url},
        "type": type_name,
    }
    if permission or data.draw(st.booleans()):
        entry["Permission_id"] = permission
    return entry


# Derandomised, and without shrinking: a codec that is wrong fails at once with the example it
# drew (mutation testing runs this property against hundreds of broken codecs).
@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(data=st.data())
def test_codec_bytes_equal_the_protobuf_library(pb: ModuleType, data: st.DataObject) -> None:
    raw = Filler(data, pb.Transaction.raw())
    descriptor = raw.message.DESCRIPTOR.fields_by_name
    for name in RAW_FIELDS:
        raw.field(descriptor[name])
    raw.json["contract"] = [
        _contract(data, pb, raw.message) for _ in range(data.draw(st.integers(1, 2)))
    ]
    for name in RAW_FIELDS_AFTER:
        raw.field(descriptor[name])
    expected = raw.message.SerializeToString()
    assert txcodec.encode_raw(raw.json).hex() == expected.hex()


def test_every_contract_type_and_number(pb: ModuleType) -> None:
    """The codec's table names each contract the schema's way, with every schema field."""
    assert set(txcodec.CONTRACTS) == set(CONTRACT_TYPES)
    for name, (number, fields) in txcodec.CONTRACTS.items():
        assert number == getattr(pb.Transaction.Contract, name)
        schema = getattr(pb, name).DESCRIPTOR.fields
        assert [(key, field_number) for key, field_number, _ in fields] == [
            (field.name, field.number) for field in schema
        ]
