"""Node-wide reads: node info, chain parameters, witnesses, peers, maintenance time, prices.

Shapes follow java-tron's servlets (``GetNodeInfoServlet``, ``GetChainParametersServlet``,
``ListWitnessesServlet``, ``ListNodesServlet``, ``GetNextMaintenanceTimeServlet``,
``GetBandwidthPricesServlet``, ``GetEnergyPricesServlet``).
"""

from __future__ import annotations

from typing import Any, Final

from tron_devnet.api.call import Call, Node
from tron_devnet.engine import views
from tron_devnet.render import render

CODE_VERSION: Final = "4.8.0"


def _block_string(number: int, block_id: bytes) -> str:
    return f"Num:{number},ID:{block_id.hex()}"


async def get_node_info(node: Node, call: Call) -> Any:
    """``wallet/getnodeinfo``: java-tron's ``NodeInfo`` of a node without peers."""
    head = node.chain.now_block(lag_blocks=call.lag_blocks)
    solid = node.chain.now_block(solid=True)
    return {
        "activeConnectCount": 0,
        "beginSyncNum": head.number,
        "block": _block_string(head.number, head.block_id),
        "cheatWitnessInfoMap": {},
        "configNodeInfo": {
            "activeNodeSize": 0,
            "allowAdaptiveEnergy": 0,
            "allowCreationOfContracts": 0,
            "backupListenPort": 0,
            "backupMemberSize": 0,
            "backupPriority": 0,
            "codeVersion": CODE_VERSION,
            "dbVersion": 2,
            "discoverEnable": False,
            "listenPort": node.listen_port,
            "maxConnectCount": 30,
            "maxTimeRatio": 5.0,
            "minParticipationRate": 0,
            "minTimeRatio": 0.0,
            "p2pVersion": "devnet",
            "passiveNodeSize": 0,
            "sameIpMaxConnectCount": 2,
            "sendNodeSize": 0,
            "supportConstant": False,
            "versionNum": "tron-devnet",
        },
        "currentConnectCount": 0,
        "machineInfo": {
            "cpuCount": 1,
            "javaVersion": "none",
            "osName": "tron-devnet",
            "threadCount": 1,
        },
        "passiveConnectCount": 0,
        "peerList": [],
        "solidityBlock": _block_string(solid.number, solid.block_id),
        "totalFlow": 0,
    }


async def get_chain_parameters(node: Node, call: Call) -> Any:
    return render(node.chain.chain_parameters_json(), visible=call.query_visible)


async def list_witnesses(node: Node, call: Call) -> Any:
    result = node.chain.witnesses_json(solid=call.solid, lag_blocks=call.lag_blocks)
    return render(result, visible=call.query_visible)


async def list_nodes(node: Node, call: Call) -> Any:
    """``wallet/listnodes``: the devnet has no peers, and an empty ``NodeList`` prints ``{}``."""
    return {}


async def get_next_maintenance_time(node: Node, call: Call) -> Any:
    """``wallet/getnextmaintenancetime``: ``NumberMessage`` of the next maintenance (ms)."""
    return {"num": node.chain.next_maintenance_time_ms(lag_blocks=call.lag_blocks)}


async def get_bandwidth_prices(node: Node, call: Call) -> Any:
    """``wallet/getbandwidthprices``: the bandwidth price history (sun per byte)."""
    return views.prices_json(node.chain.params["getTransactionFee"])


async def get_energy_prices(node: Node, call: Call) -> Any:
    """``wallet/getenergyprices``: the energy price history (sun per unit)."""
    return views.prices_json(node.chain.params["getEnergyFee"])
