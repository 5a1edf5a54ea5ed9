// A whole Stake 2.0 life with TronWeb 6 against tron-devnet, as a TronWeb user writes it.
//
//   node life.mjs <devnet url> <owner private key> <receiver address> <witness 1> <witness 2>
//
// Every transaction is built by TronWeb's own builders (or trx.sendTransaction for the
// transfer), which fetch the reference block themselves (wallet/getblock) and compute the
// txid locally; it is signed with trx.sign and sent with trx.sendRawTransaction. After each
// step the script mines one block through the devnet's admin endpoint and reads the state
// back through TronWeb's own getters. It checks, for every transaction, that TronWeb's txid
// and raw_data_hex equal the devnet's, and prints one JSON document on stdout:
//   {"steps": [{name, txids, infos, owner, receiver, delegation, reward_sun, head_number,
//               head_time_ms}],
//    "transactions": [{step, type, txid}]}
// tests/clients/test_tronweb_life.py checks every amount in it. Any failure exits with 1.
//
// TronWeb is loaded from the npm prefix named by TRONWEB_PREFIX (the folder that holds
// node_modules/tronweb; `make test` installs it into a cache folder), or else from beside
// this script.

import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TIME_TRAVEL_S = 14 * 86_400;
const MAINTENANCE_S = 6 * 3_600;
const TRX = 1_000_000;
const PLAN = {
    transfer: 100 * TRX,
    freezeBandwidth: 2_000 * TRX,
    freezeEnergy: 2_000 * TRX,
    votes: [3_000, 1_000],
    delegateBandwidth: 500 * TRX,
    delegateEnergy: 1_000 * TRX,
    lockPeriodBlocks: 100,
    undelegateBandwidth: 200 * TRX,
    unfreezeEnergy: 800 * TRX,
    unfreezeBandwidth: 100 * TRX,
    unfreezeAgainEnergy: 500 * TRX,
};

function loadTronWeb() {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const prefix = process.env.TRONWEB_PREFIX || here;
    const require = createRequire(path.join(prefix, 'package.json'));
    return require('tronweb').TronWeb;
}

function fail(message) {
    throw new Error(message);
}

class Life {
    constructor(TronWeb, url, ownerKey, receiver) {
        this.url = url.replace(/\/$/, '');
        this.ownerKey = ownerKey;
        this.tronWeb = new TronWeb({ fullHost: this.url, privateKey: ownerKey });
        this.owner = this.tronWeb.address.fromPrivateKey(ownerKey);
        this.receiver = receiver;
        this.steps = [];
        this.transactions = [];
    }

    async admin(pathName, body) {
        const response = await fetch(`${this.url}/${pathName}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
        });
        if (!response.ok) fail(`${pathName}: HTTP ${response.status}`);
        return response.json();
    }

    // Sign and broadcast a TronWeb-built transaction; TronWeb's txid must be the node's.
    async send(stepName, transaction) {
        const signed = await this.tronWeb.trx.sign(transaction, this.ownerKey);
        const result = await this.tronWeb.trx.sendRawTransaction(signed);
        return this.accepted(stepName, result, transaction);
    }

    accepted(stepName, result, transaction) {
        if (result.result !== true) fail(`${stepName}: broadcast refused: ${JSON.stringify(result)}`);
        if (result.txid !== transaction.txID) {
            fail(`${stepName}: TronWeb txid ${transaction.txID} but the node's is ${result.txid}`);
        }
        const type = transaction.raw_data.contract[0].type;
        this.transactions.push({ step: stepName, type, txid: transaction.txID, rawDataHex: transaction.raw_data_hex });
        return transaction.txID;
    }

    // The node's stored copy of every transaction of the step equals TronWeb's.
    async checkStored(stepName) {
        for (const sent of this.transactions.filter((entry) => entry.step === stepName)) {
            const stored = await this.tronWeb.trx.getTransaction(sent.txid);
            if (stored.txID !== sent.txid || stored.raw_data_hex !== sent.rawDataHex) {
                fail(`${stepName}: the node stored ${stored.txID}/${stored.raw_data_hex}, TronWeb built ${sent.txid}/${sent.rawDataHex}`);
            }
        }
    }

    async record(name, txids) {
        await this.checkStored(name);
        const trx = this.tronWeb.trx;
        const infos = [];
        for (const txid of txids) infos.push(await trx.getUnconfirmedTransactionInfo(txid));
        const head = await trx.getCurrentBlock();
        this.steps.push({
            name,
            txids,
            infos,
            owner: await trx.getUnconfirmedAccount(this.owner),
            receiver: await trx.getUnconfirmedAccount(this.receiver),
            delegation: await trx.getDelegatedResourceV2(this.owner, this.receiver, { confirmed: false }),
            reward_sun: await trx.getUnconfirmedReward(this.owner),
            head_number: head.block_header.raw_data.number,
            head_time_ms: head.block_header.raw_data.timestamp,
        });
    }

    // Build each transaction only when the previous one was accepted (builders read the head).
    async step(name, builders) {
        const txids = [];
        for (const build of builders) txids.push(await this.send(name, await build()));
        await this.admin('devnet/mine', { blocks: 1 });
        await this.record(name, txids);
    }

    async advance(name, seconds) {
        await this.admin('devnet/time/advance', { seconds });
        await this.admin('devnet/mine', { blocks: 1 });
        await this.record(name, []);
    }
}

async function live(life, witnesses) {
    const tb = life.tronWeb.transactionBuilder;
    const { owner, receiver } = life;

    const sent = await life.tronWeb.trx.sendTransaction(receiver, PLAN.transfer, { privateKey: life.ownerKey });
    const transferTxid = life.accepted('transfer', sent, sent.transaction);
    await life.admin('devnet/mine', { blocks: 1 });
    await life.record('transfer', [transferTxid]);

    await life.step('freeze', [
        () => tb.freezeBalanceV2(PLAN.freezeBandwidth, 'BANDWIDTH', owner),
        () => tb.freezeBalanceV2(PLAN.freezeEnergy, 'ENERGY', owner),
    ]);
    const votes = { [witnesses[0]]: PLAN.votes[0], [witnesses[1]]: PLAN.votes[1] };
    await life.step('vote', [() => tb.vote(votes, owner)]);
    await life.step('delegate', [
        () => tb.delegateResource(PLAN.delegateBandwidth, receiver, 'BANDWIDTH', owner),
        () => tb.delegateResource(PLAN.delegateEnergy, receiver, 'ENERGY', owner, true, PLAN.lockPeriodBlocks),
    ]);
    await life.step('undelegate', [() => tb.undelegateResource(PLAN.undelegateBandwidth, receiver, 'BANDWIDTH', owner)]);
    await life.step('unfreeze', [
        () => tb.unfreezeBalanceV2(PLAN.unfreezeEnergy, 'ENERGY', owner),
        () => tb.unfreezeBalanceV2(PLAN.unfreezeBandwidth, 'BANDWIDTH', owner),
    ]);
    await life.step('cancel_all_unfreeze', [() => tb.cancelUnfreezeBalanceV2(owner)]);
    await life.step('unfreeze_again', [() => tb.unfreezeBalanceV2(PLAN.unfreezeAgainEnergy, 'ENERGY', owner)]);
    await life.advance('time_travel', TIME_TRAVEL_S);
    await life.step('withdraw_expire', [() => tb.withdrawExpireUnfreeze(owner)]);
    await life.advance('maintenance', MAINTENANCE_S);
    await life.step('claim_rewards', [() => tb.withdrawBlockRewards(owner)]);
}

async function main(argv) {
    if (argv.length !== 5) {
        fail('usage: node life.mjs <devnet url> <owner private key> <receiver address> <witness 1> <witness 2>');
    }
    const [url, ownerKey, receiver, witness1, witness2] = argv;
    const life = new Life(loadTronWeb(), url, ownerKey, receiver);
    await live(life, [witness1, witness2]);
    const transactions = life.transactions.map(({ step, type, txid }) => ({ step, type, txid }));
    process.stdout.write(`${JSON.stringify({ steps: life.steps, transactions })}\n`);
}

main(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`life.mjs: ${error && error.stack ? error.stack : error}\n`);
    process.exit(1);
});
