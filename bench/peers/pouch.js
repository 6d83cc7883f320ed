'use strict';
// pouch.js - the PouchDB side of bench/peers.sh: one run of a laptop's PouchDB (leveldb, in a directory of its
// own) replicating with pouchdb-server through bench/linkproxy.c, phase by phase, as PouchDB users do.
//
//   node pouch.js CSV DIR REMOTE_URL PROXY_PID COUNT_FILE PHASES
//
// CSV      the records (bench/gen.awk): one document a record, the row's columns as members (empty answers left
//          out, as Sondeo makes no op for them), put with bulkDocs into DIR/laptop before anything is timed
// REMOTE   the database on pouchdb-server through the proxy; created (untimed) before the first sync
// PHASES   "all": first, one, noop, pull; "slow": first, pull (the slow link's)
//
// Each phase prints "PHASE MS UP DOWN CONNECTIONS": its wall time inside this process (the laptop's application is already
// running, as a PouchDB user's is) and the bytes the proxy counted each way, read before and after it by
// SIGUSR1 to PROXY_PID (linkproxy writes "UP DOWN CONNECTIONS" to COUNT_FILE), and the connections opened. Then "docs N EDITED" for the new
// laptop: its document count, and 1 when it holds the changed field's new value. Exit 1 on any failure, with the
// reason on standard error.
//   first  local.replicate.to(remote), then local.replicate.from(remote) (sync below)
//   one    one field of one document changed (a put, untimed), then the same
//   noop   the same again with nothing new
//   pull   a new laptop's PouchDB in DIR/new, remote.replicate.to it (new.replicate.from(remote))
const fs = require('fs');
const path = require('path');
const PouchDB = require('pouchdb');

const [csvPath, dir, remoteUrl, proxyPid, countFile, phases] = process.argv.slice(2);
if (!phases || !['all', 'slow'].includes(phases)) {
	console.error('usage: node pouch.js CSV DIR REMOTE_URL PROXY_PID COUNT_FILE all|slow');
	process.exit(2);
}

// RFC 4180, as bench/gen.awk writes it: quoted fields may hold commas, doubled quotes and line breaks.
function parseCsv(text) {
	const rows = [];
	let row = [], field = '', quoted = false, i = 0;
	while (i < text.length) {
		const ch = text[i];
		if (quoted) {
			if (ch === '"' && text[i + 1] === '"') {
				field += '"';
				i += 2;
				continue;
			}
			if (ch === '"')
				quoted = false;
			else
				field += ch;
			i++;
			continue;
		}
		if (ch === '"') {
			quoted = true;
		} else if (ch === ',') {
			row.push(field);
			field = '';
		} else if (ch === '\n' || ch === '\r') {
			if (ch === '\r' && text[i + 1] === '\n')
				i++;
			row.push(field);
			rows.push(row);
			row = [];
			field = '';
		} else {
			field += ch;
		}
		i++;
	}
	if (field !== '' || row.length) {
		row.push(field);
		rows.push(row);
	}
	return rows;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The proxy's counts now: [up, down, connections].
async function counts() {
	try {
		fs.unlinkSync(countFile);
	} catch (e) {
		if (e.code !== 'ENOENT')
			throw e;
	}
	process.kill(Number(proxyPid), 'SIGUSR1');
	for (let i = 0; i < 1000; i++) {
		if (fs.existsSync(countFile)) {
			const f = fs.readFileSync(countFile, 'utf8').trim().split(/\s+/).map(Number);
			return [f[0], f[1], f[2]];
		}
		await sleep(5);
	}
	throw new Error('linkproxy wrote no counts to ' + countFile);
}

async function phase(name, fn) {
	const before = await counts();
	const t0 = process.hrtime.bigint();
	await fn();
	const ms = Number(process.hrtime.bigint() - t0) / 1e6;
	const after = await counts();
	console.log(`${name} ${ms.toFixed(1)} ${after[0] - before[0]} ${after[1] - before[1]} ${after[2] - before[2]}`);
}

// A one-shot sync: push, then pull, as Sondeo's sync does. Not local.sync(remote), which runs both at once: its
// pull then reads the changes its own push is making, and the next sync reads them again (about 60 bytes a
// document down for a one-field change), which would charge PouchDB for a way of calling it. A replication that
// ends with errors (a refused document) is a failure.
async function replicate(r, what) {
	const res = await r;
	if (res.errors && res.errors.length)
		throw new Error(`${what}: ${res.errors.length} errors, the first: ${res.errors[0]}`);
}
async function sync(local, remote) {
	await replicate(local.replicate.to(remote), 'push');
	await replicate(local.replicate.from(remote), 'pull');
}

async function main() {
	const rows = parseCsv(fs.readFileSync(csvPath, 'utf8'));
	const header = rows.shift();
	const docs = rows.map((r) => {
		const d = {};
		header.forEach((h, i) => {
			if (r[i] !== undefined && r[i] !== '')
				d[h] = r[i];
		});
		return d;
	});
	const local = new PouchDB(path.join(dir, 'laptop'));
	const res = await local.bulkDocs(docs);
	const bad = res.filter((x) => !x.ok);
	if (bad.length)
		throw new Error(`bulkDocs refused ${bad.length} documents`);
	const remote = new PouchDB(remoteUrl);
	await remote.info();

	await phase('first', () => sync(local, remote));
	const edited = res[0].id;
	const value = 'changed by bench/peers.sh at ' + new Date().toISOString();
	if (phases === 'all') {
		const doc = await local.get(edited);
		doc.notes = value;
		await local.put(doc);
		await phase('one', () => sync(local, remote));
		await phase('noop', () => sync(local, remote));
	}
	const fresh = new PouchDB(path.join(dir, 'new'));
	await phase('pull', () => replicate(fresh.replicate.from(remote), 'pull'));
	const info = await fresh.info();
	const got = await fresh.get(edited);
	console.log(`docs ${info.doc_count} ${phases === 'slow' || got.notes === value ? 1 : 0}`);
	await local.close();
	await fresh.close();
}

main().catch((e) => {
	console.error('pouch.js: ' + (e && e.stack ? e.stack : e));
	process.exit(1);
});
