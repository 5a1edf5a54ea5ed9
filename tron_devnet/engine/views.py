"""JSON views of the state, shaped like java-tron's ``JsonFormat`` output (reference §1.3, §6).

Every function returns a dict whose keys follow the protobuf field order, with default values
(0, false, empty) omitted, enums as names and maps as ``[{"key", "value"}]`` lists. Protobuf
``bytes`` fields stay Python ``bytes``: the HTTP layer prints them as base58 or hex according
to ``visible`` and java-tron's list of address fields. Called by ``engine.chain.Chain``'s
query methods with a state view and its "now".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any

from tron_devnet import params, resources, rewards
from tron_devnet.actuators import Context, Receipt, available_for_delegation
from tron_devnet.state import Account, DelegatedResource, Store, Witness
from tron_devnet.types import Block, ContractValue, ResourceCode

ACCOUNT_TYPE_NAMES = {1: "AssetIssue", 2: "Contract"}
RESOURCE_NAMES = {int(code): code.name for code in ResourceCode}
Json = dict[str, Any]


def _put(out: Json, key: str, value: Any) -> None:
    if value:
        out[key] = value


def owner_permission_json(address: bytes) -> Json:
    return {
        "permission_name": "owner",
        "threshold": 1,
        "keys": [{"address": address, "weight": 1}],
    }


def active_permission_json(address: bytes) -> Json:
    return {
        "type": "Active",
        "id": 2,
        "permission_name": "active",
        "threshold": 1,
        "operations": params.ACTIVE_DEFAULT_OPERATIONS,
        "keys": [{"address": address, "weight": 1}],
    }


def _freeze_entry(resource: int, amount: int) -> Json:
    entry: Json = {}
    if resource:
        entry["type"] = RESOURCE_NAMES[resource]
    _put(entry, "amount", amount)
    return entry


def account_json(cfg: Mapping[str, int], account: Account, now_ms: int) -> Json:
    """``wallet/getaccount``: usage decayed to ``now_ms``, ``frozenV2`` as three entries."""
    acc = resources.decayed_for_query(cfg, account, resources.slot_of(now_ms))
    slot_ms = params.BLOCK_INTERVAL_MS
    out: Json = {}
    if acc.type in ACCOUNT_TYPE_NAMES:
        out["type"] = ACCOUNT_TYPE_NAMES[acc.type]
    out["address"] = acc.address
    _put(out, "balance", acc.balance)
    if acc.votes:
        out["votes"] = [{"vote_address": a, "vote_count": c} for a, c in acc.votes]
    _put(out, "net_usage", acc.net_usage)
    _put(out, "create_time", acc.create_time)
    _put(out, "latest_opration_time", acc.latest_operation_time)
    _put(out, "allowance", acc.allowance)
    _put(out, "latest_withdraw_time", acc.latest_withdraw_time)
    _put(out, "is_witness", acc.is_witness)
    _put(out, "free_net_usage", acc.free_net_usage)
    _put(out, "latest_consume_time", acc.latest_consume_time * slot_ms)
    _put(out, "latest_consume_free_time", acc.latest_consume_free_time * slot_ms)
    _put(out, "net_window_size", acc.net_window_size)
    _put(out, "net_window_optimized", acc.net_window_optimized)
    resource: Json = {}
    _put(resource, "energy_usage", acc.energy_usage)
    _put(resource, "latest_consume_time_for_energy", acc.latest_consume_time_for_energy * slot_ms)
    _put(resource, "energy_window_size", acc.energy_window_size)
    _put(resource, "delegated_frozenV2_balance_for_energy", acc.delegated_energy)
    _put(resource, "acquired_delegated_frozenV2_balance_for_energy", acc.acquired_energy)
    _put(resource, "energy_window_optimized", acc.energy_window_optimized)
    _put(out, "account_resource", resource)
    out["owner_permission"] = owner_permission_json(acc.address)
    out["active_permission"] = [active_permission_json(acc.address)]
    out["frozenV2"] = [
        _freeze_entry(ResourceCode.BANDWIDTH, acc.frozen_bandwidth),
        _freeze_entry(ResourceCode.ENERGY, acc.frozen_energy),
        _freeze_entry(ResourceCode.TRON_POWER, acc.frozen_tron_power),
    ]
    if acc.unfrozen:
        entries = []
        for unfreeze in acc.unfrozen:
            entry: Json = {}
            if unfreeze.resource:
                entry["type"] = RESOURCE_NAMES.get(unfreeze.resource, unfreeze.resource)
            _put(entry, "unfreeze_amount", unfreeze.amount)
            _put(entry, "unfreeze_expire_time", unfreeze.expire_time_ms)
            entries.append(entry)
        out["unfrozenV2"] = entries
    _put(out, "delegated_frozenV2_balance_for_bandwidth", acc.delegated_bandwidth)
    _put(out, "acquired_delegated_frozenV2_balance_for_bandwidth", acc.acquired_bandwidth)
    out["asset_optimized"] = True
    return out


def account_net_json(cfg: Mapping[str, int], store: Store, account: Account, now_ms: int) -> Json:
    """``wallet/getaccountnet`` (``AccountNetMessage``)."""
    acc = resources.decayed_for_query(cfg, account, resources.slot_of(now_ms))
    out: Json = {}
    _put(out, "freeNetUsed", acc.free_net_usage)
    _put(out, "freeNetLimit", cfg["getFreeNetLimit"])
    _put(out, "NetUsed", acc.net_usage)
    _put(out, "NetLimit", resources.net_limit(cfg, store, acc))
    _put(out, "TotalNetLimit", cfg["getTotalNetLimit"])
    _put(out, "TotalNetWeight", store.dyn("total_net_weight"))
    return out


def account_resource_json(
    cfg: Mapping[str, int], store: Store, account: Account, now_ms: int
) -> Json:
    """``wallet/getaccountresource`` (``AccountResourceMessage``)."""
    acc = resources.decayed_for_query(cfg, account, resources.slot_of(now_ms))
    out = account_net_json(cfg, store, account, now_ms)
    _put(out, "TotalTronPowerWeight", store.dyn("total_tron_power_weight"))
    _put(out, "tronPowerUsed", acc.vote_total())
    _put(out, "tronPowerLimit", acc.all_tron_power(True) // params.TRX_PRECISION)
    _put(out, "EnergyUsed", acc.energy_usage)
    _put(out, "EnergyLimit", resources.energy_limit(cfg, store, acc))
    _put(out, "TotalEnergyLimit", cfg["getTotalEnergyCurrentLimit"])
    _put(out, "TotalEnergyWeight", store.dyn("total_energy_weight"))
    return out


def _delegated_resource_entry(record: DelegatedResource) -> Json:
    out: Json = {"from": record.from_address, "to": record.to_address}
    _put(out, "frozen_balance_for_bandwidth", record.frozen_bandwidth)
    _put(out, "frozen_balance_for_energy", record.frozen_energy)
    _put(out, "expire_time_for_bandwidth", record.expire_bandwidth)
    _put(out, "expire_time_for_energy", record.expire_energy)
    return out


def delegated_resource_json(store: Store, owner: bytes, receiver: bytes) -> Json:
    """``wallet/getdelegatedresourcev2``: the unlocked then the locked record, if not empty."""
    entries = []
    for locked in (False, True):
        record = store.delegated_resource(owner, receiver, locked)
        if record is not None and (
            not record.is_empty() or record.expire_bandwidth or record.expire_energy
        ):
            entries.append(_delegated_resource_entry(record))
    return {"delegatedResource": entries} if entries else {}


def _ordered_counterparts(entries: Mapping[bytes, int] | None) -> list[bytes]:
    if not entries:
        return []
    return [address for address, _ in sorted(entries.items(), key=lambda kv: (kv[1], kv[0]))]


def delegated_index_json(store: Store, address: bytes) -> Json:
    """``wallet/getdelegatedresourceaccountindexv2``: ``{"account"}`` even when never used."""
    if len(address) != 21:
        return {}
    out: Json = {"account": address}
    _put(out, "fromAccounts", _ordered_counterparts(store.get("dr_from", address)))
    _put(out, "toAccounts", _ordered_counterparts(store.get("dr_to", address)))
    return out


def can_delegated_max_size_json(ctx: Context, account: Account | None, resource: int) -> Json:
    """``wallet/getcandelegatedmaxsize``; below 1 TRX (or unknown account) prints ``{}``."""
    if account is None or resource not in (ResourceCode.BANDWIDTH, ResourceCode.ENERGY):
        return {}
    size = max(0, available_for_delegation(ctx, account, resource))
    return {"max_size": size} if size >= params.TRX_PRECISION else {}


def available_unfreeze_count_json(account: Account | None, now_ms: int) -> Json:
    if account is None:
        return {}
    count = params.UNFREEZE_MAX_TIMES - account.unfreezing_count(now_ms)
    return {"count": count} if count else {}


def can_withdraw_unfreeze_amount_json(
    account: Account | None, timestamp_ms: int, now_ms: int
) -> Json:
    if timestamp_ms < 0 or account is None:
        return {}
    limit = timestamp_ms or now_ms
    amount = sum(e.amount for e in account.unfrozen if e.expire_time_ms <= limit)
    return {"amount": amount} if amount else {}


def witness_json(witness: Witness) -> Json:
    out: Json = {"address": witness.address}
    _put(out, "voteCount", witness.vote_count)
    _put(out, "url", witness.url)
    _put(out, "totalProduced", witness.total_produced)
    _put(out, "totalMissed", witness.total_missed)
    _put(out, "latestBlockNum", witness.latest_block_num)
    _put(out, "latestSlotNum", witness.latest_slot_num)
    _put(out, "isJobs", witness.is_jobs)
    return out


def witnesses_json(store: Store) -> Json:
    witnesses = sorted(rewards.all_witnesses(store), key=lambda w: w.address)
    return {"witnesses": [witness_json(w) for w in witnesses]} if witnesses else {}


def chain_parameters_json(cfg: Mapping[str, int]) -> Json:
    entries = []
    for key in params.CHAIN_PARAMETER_KEYS:
        entry: Json = {"key": key}
        _put(entry, "value", cfg[key])
        entries.append(entry)
    return {"chainParameter": entries}


def transaction_info_json(txid: bytes, receipt: Receipt, block_num: int, block_ms: int) -> Json:
    """``wallet/gettransactioninfobyid`` of a packed system-contract transaction."""
    out: Json = {"id": txid}
    _put(out, "fee", receipt.total_fee)
    _put(out, "blockNumber", block_num)
    _put(out, "blockTimeStamp", block_ms)
    out["contractResult"] = [b""]
    bill: Json = {}
    _put(bill, "net_usage", receipt.net_usage)
    _put(bill, "net_fee", receipt.net_fee)
    out["receipt"] = bill
    _put(out, "withdraw_amount", receipt.withdraw_amount)
    _put(out, "withdraw_expire_amount", receipt.withdraw_expire_amount)
    if receipt.cancel_unfreeze is not None:
        bandwidth, energy, tron_power = receipt.cancel_unfreeze
        out["cancel_unfreezeV2_amount"] = [
            {"key": "ENERGY", "value": energy},
            {"key": "TRON_POWER", "value": tron_power},
            {"key": "BANDWIDTH", "value": bandwidth},
        ]
    return out


def contract_values(value: ContractValue) -> Json:
    """A contract's fields by name (``GET /devnet/transactions``): addresses as bytes,
    ``resource`` as its name, votes as ``{vote_address, vote_count}`` objects."""
    out: Json = {}
    for spec in fields(value):
        item = getattr(value, spec.name)
        if spec.name == "resource":
            item = ResourceCode(item).name if item in RESOURCE_NAMES else item
        elif spec.name == "votes":
            item = [{"vote_address": v.vote_address, "vote_count": v.vote_count} for v in item]
        out[spec.name] = item
    return out


def block_summary(block: Block) -> Json:
    return {"number": block.number, "block_id": block.block_id, "timestamp": block.timestamp}


def prices_json(fee: int) -> Json:
    """``wallet/getbandwidthprices`` / ``getenergyprices``: java-tron's price history string
    (``"<since ms>:<sun>"``, comma separated); the devnet's fee never changed since genesis."""
    return {"prices": f"0:{fee}"}


def packed_transactions(blocks: Sequence[Block], owner: bytes | None) -> list[Json]:
    """``GET /devnet/transactions``: the transactions of ``blocks`` (of ``owner`` if given)."""
    out: list[Json] = []
    for block in blocks:
        for tx in block.transactions:
            contract = tx.raw.contracts[0]
            value = contract.value
            if value is None or (owner is not None and value.owner_address != owner):
                continue
            out.append(
                {
                    "type": contract.type_name,
                    "owner": value.owner_address,
                    "contract": contract_values(value),
                    "txid": tx.txid.hex(),
                    "block": block.number,
                }
            )
    return out


def state_json(store: Store, head: Block, solid: Block, chain_time_ms: int, pending: int) -> Json:
    """``GET /devnet/state`` of the pending state ``store``."""
    accounts = sorted(store.items("accounts"))
    return {
        "head": block_summary(head),
        "solid": block_summary(solid),
        "chain_time_ms": chain_time_ms,
        "pending": pending,
        "cycle": rewards.current_cycle(store),
        "next_maintenance_time_ms": store.dyn("next_maintenance_time"),
        "accounts": [
            {"address": address, "balance": account.balance} for address, account in accounts
        ],
        "witnesses": [
            {
                "address": witness.address,
                "url": witness.url,
                "vote_count": witness.vote_count,
                "is_jobs": witness.is_jobs,
            }
            for witness in rewards.sorted_witnesses(rewards.all_witnesses(store))
        ],
    }
