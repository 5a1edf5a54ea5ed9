"""The devnet's endpoint table: path -> handler, methods, solidity flag, admin flag.

Every read java-tron also serves under ``/walletsolidity`` is registered twice; the solidity
twin answers from the solid block. Paths are case-sensitive (``wallet/getReward``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tron_devnet.api import accounts, admin, blocks, node, transactions
from tron_devnet.api.call import Handler


@dataclass(frozen=True, slots=True)
class Endpoint:
    handler: Handler
    methods: frozenset[str]
    solid: bool = False
    admin: bool = False


GET_POST: Final = frozenset({"GET", "POST"})
POST: Final = frozenset({"POST"})
GET: Final = frozenset({"GET"})

# Reads served by both /wallet and /walletsolidity (java-tron's SolidityNodeHttpApiService).
_READS_WITH_SOLIDITY: Final[dict[str, Handler]] = {
    "getaccount": accounts.get_account,
    "getdelegatedresourcev2": accounts.get_delegated_resource_v2,
    "getdelegatedresourceaccountindexv2": accounts.get_delegated_index_v2,
    "getcandelegatedmaxsize": accounts.get_can_delegated_max_size,
    "getavailableunfreezecount": accounts.get_available_unfreeze_count,
    "getcanwithdrawunfreezeamount": accounts.get_can_withdraw_unfreeze_amount,
    "getReward": accounts.get_reward,
    "getBrokerage": accounts.get_brokerage,
    "getnodeinfo": node.get_node_info,
    "listwitnesses": node.list_witnesses,
    "getbandwidthprices": node.get_bandwidth_prices,
    "getenergyprices": node.get_energy_prices,
    "getnowblock": blocks.get_now_block,
    "getblock": blocks.get_block,
    "getblockbynum": blocks.get_block_by_num,
    "getblockbyid": blocks.get_block_by_id,
    "getblockbylatestnum": blocks.get_block_by_latest_num,
    "getblockbylimitnext": blocks.get_block_by_limit_next,
    "gettransactionbyid": blocks.get_transaction_by_id,
    "gettransactioninfobyid": blocks.get_transaction_info_by_id,
    "gettransactioninfobyblocknum": blocks.get_transaction_info_by_block_num,
}
# Reads java-tron serves on the full node only.
_FULL_NODE_READS: Final[dict[str, Handler]] = {
    "getaccountresource": accounts.get_account_resource,
    "getaccountnet": accounts.get_account_net,
    "getchainparameters": node.get_chain_parameters,
    "getnextmaintenancetime": node.get_next_maintenance_time,
    "listnodes": node.list_nodes,
    "getsignweight": transactions.get_sign_weight,
}
_ADMIN: Final[dict[str, tuple[Handler, frozenset[str]]]] = {
    "devnet/mine": (admin.admin_mine, POST),
    "devnet/time/advance": (admin.admin_advance_time, POST),
    "devnet/fund": (admin.admin_fund, POST),
    "devnet/faults": (admin.admin_faults, GET_POST),
    "devnet/reorg": (admin.admin_reorg, POST),
    "devnet/transactions": (admin.admin_transactions, GET),
    "devnet/state": (admin.admin_state, GET),
}
# Servlets whose POST handler calls doGet: ``visible`` comes from the query string only.
QUERY_VISIBLE_ONLY: Final = frozenset(
    {
        "getnowblock",
        "listwitnesses",
        "getnodeinfo",
        "getchainparameters",
        "getReward",
        "getBrokerage",
        "getnextmaintenancetime",
        "listnodes",
    }
)


def endpoints() -> dict[str, Endpoint]:
    """A new table of every endpoint by path (without the leading ``/``)."""
    table: dict[str, Endpoint] = {}
    for name, handler in _READS_WITH_SOLIDITY.items():
        table[f"wallet/{name}"] = Endpoint(handler, GET_POST)
        table[f"walletsolidity/{name}"] = Endpoint(handler, GET_POST, solid=True)
    for name, handler in _FULL_NODE_READS.items():
        table[f"wallet/{name}"] = Endpoint(handler, GET_POST)
    table["wallet/broadcasttransaction"] = Endpoint(transactions.broadcast_transaction, POST)
    table["wallet/broadcasthex"] = Endpoint(transactions.broadcast_hex, POST)
    table["wallet/getapprovedlist"] = Endpoint(transactions.get_approved_list, POST)
    for path, cls in transactions.BUILDERS.items():
        table[path] = Endpoint(transactions.builder(cls), POST)
    for path, (handler, methods) in _ADMIN.items():
        table[path] = Endpoint(handler, methods, admin=True)
    return table
