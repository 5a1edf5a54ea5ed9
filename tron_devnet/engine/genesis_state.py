"""The state of block 0: the genesis accounts, witnesses, their votes and brokerage, the active
witnesses and the first maintenance time. Called once by ``engine.chain.Chain``."""

from __future__ import annotations

from tron_devnet import rewards, state
from tron_devnet.genesis import Genesis
from tron_devnet.state import Account, Store, Tables, Witness


def genesis_state(genesis: Genesis) -> Tables:
    tables = state.new_tables()
    store = Store(tables)
    for entry in genesis.accounts:
        store.put_account(Account(address=entry.address, balance=entry.balance_sun))
    for witness in genesis.witnesses:
        account = store.account(witness.address)
        if account is None:
            account = Account(address=witness.address, type=1)
            store.put_account(account)
        account.is_witness = True
        record = Witness(witness.address, witness.url, witness.vote_count)
        store.put("witnesses", witness.address, record)
        store.put("deleg", ("brokerage", -1, witness.address), witness.brokerage)
        store.put("deleg", ("brokerage", 0, witness.address), witness.brokerage)
        store.put("deleg", ("witness_vote", 0, witness.address), witness.vote_count)
    for address in rewards.rank_active(store):
        active = store.witness(address)
        if active is not None:
            active.is_jobs = True
    store.set_dyn("next_maintenance_time", genesis.genesis_time_ms)
    store.set_dyn("cycle", 0)
    return tables
