// Drives the official Microsoft Graph JavaScript client in a real browser
// (Debian's Chromium, through playwright-core) against a graphprofile server
// over HTTPS, from a page of another origin: the page creates, updates, gets
// and lists positions, reads Graph's headers (which only CORS exposes) and
// an error's body, and a page of an origin the server does not allow is
// refused by the browser.
//
//   GRAPH_BASE_URL   the server without the version, e.g. https://127.0.0.1:8443/
//   GRAPH_TOKEN      a delegated token with User.ReadWrite (`graphprofile token`)
//   GRAPH_CA_FILE    the CA the server's certificate is signed by (serve
//                    --tls-self-signed writes it)
//   PAGE_PORT        the port the page is served on: http://localhost:PAGE_PORT
//                    is the origin serve allows (--cors-origins), and
//                    http://127.0.0.1:PAGE_PORT one it does not
//   CHROMIUM         the browser (default /usr/bin/chromium)
//
// cmd/graphprofile's TestBrowser runs this; `make test` installs Chromium and
// the packages (npm ci). Exits non-zero with the failing step on stderr.

import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import { env, steps, launchChromium } from './harness.mjs';

const base = env('GRAPH_BASE_URL');
const token = env('GRAPH_TOKEN');
const caFile = env('GRAPH_CA_FILE');
const pagePort = Number(env('PAGE_PORT'));
const executablePath = env('CHROMIUM', '/usr/bin/chromium');
const allowedOrigin = `http://localhost:${pagePort}`;
const refusedOrigin = `http://127.0.0.1:${pagePort}`;

const seed = (name) => readFile(new URL(`../../testdata/seed/${name}`, import.meta.url), 'utf8').then(JSON.parse);
const sdkBundle = new URL('node_modules/@microsoft/microsoft-graph-client/lib/graph-js-sdk.js', import.meta.url);

// Chromium takes one certificate exception from its command line: the hash
// of a public key (SPKI) of the chain the server presents, which is the
// server's certificate alone. So Node checks that certificate against the
// development CA first, and Chromium is told to accept only its key.
const serverSPKI = await new Promise((resolve, reject) => {
	const url = new URL(base);
	readFile(caFile).then((ca) => {
		const conn = tlsConnect({ host: url.hostname, port: Number(url.port), ca, servername: url.hostname === '127.0.0.1' ? undefined : url.hostname }, () => {
			const cert = new X509Certificate(conn.getPeerX509Certificate().raw);
			conn.end();
			resolve(createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('base64'));
		});
		conn.once('error', reject);
	}, reject);
});

const { step, fail } = steps();

// The page's origin serves the client's browser bundle and an empty page.
const page = createServer(async (req, res) => {
	if (req.url === '/') {
		res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
		res.end('<!doctype html><title>graphprofile from another origin</title><script src="/graph-js-sdk.js"></script>');
	} else if (req.url === '/graph-js-sdk.js') {
		res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' });
		res.end(await readFile(sdkBundle));
	} else {
		res.writeHead(404).end();
	}
});
await new Promise((resolve, reject) => page.once('error', reject).listen(pagePort, '127.0.0.1', resolve));

let browser;
const problems = [];
try {
	browser = await step('Chromium starts', () => launchChromium(executablePath, { args: [`--ignore-certificate-errors-spki-list=${serverSPKI}`] }));
	const { context } = browser;
	// What the browser fetched from the server, to check the wire.
	const responses = [];
	context.on('response', (r) => {
		if (r.url().startsWith(base)) responses.push(r);
	});

	const tab = await context.newPage();
	tab.on('pageerror', (err) => problems.push(`page error: ${err}`));
	tab.on('console', (msg) => {
		if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
	});

	await step(`the page loads from ${allowedOrigin}, the client with it`, async () => {
		await tab.goto(`${allowedOrigin}/`);
		assert.equal(await tab.evaluate(() => typeof MicrosoftGraph?.Client?.init), 'function', 'MicrosoftGraph.Client.init');
		assert.equal(await tab.evaluate(() => location.origin), allowedOrigin);
	});

	const createBody = await seed('create-request.json');
	const updateBody = await seed('update-request.json');
	const got = await step('the page creates, updates, gets and lists positions through the client', () =>
		tab.evaluate(
			async ({ base, token, createBody, updateBody }) => {
				const client = MicrosoftGraph.Client.init({
					authProvider: (done) => done(null, token),
					baseUrl: base,
					defaultVersion: 'beta',
					customHosts: new Set([new URL(base).hostname]),
				});
				const raw = MicrosoftGraph.ResponseType.RAW;
				const headers = (r) => Object.fromEntries(['etag', 'request-id', 'client-request-id', 'preference-applied', 'content-type', 'location'].map((h) => [h, r.headers.get(h)]));
				const out = {};
				out.created = await client.api('/me/profile/positions').post(createBody);
				const id = out.created.id;
				out.updated = await client.api(`/me/profile/positions/${id}`).patch(updateBody);
				const one = await client.api(`/me/profile/positions/${id}`).responseType(raw).get();
				out.get = { status: one.status, headers: headers(one), body: await one.json() };
				out.list = await client.api('/me/profile/positions').get();
				await client.api('/me/profile/positions').post({ detail: { jobTitle: 'Second position' } });
				const paged = await client.api('/me/profile/positions').header('Prefer', 'odata.maxpagesize=1').responseType(raw).get();
				out.paged = { status: paged.status, headers: headers(paged), body: await paged.json() };
				try {
					await client.api('/me/profile/positions/no-such-position').get();
					out.error = 'none';
				} catch (err) {
					out.error = { graphError: err instanceof MicrosoftGraph.GraphError, statusCode: err.statusCode, code: err.code, message: err.message, requestId: err.requestId };
				}
				return out;
			},
			{ base, token, createBody, updateBody },
		),
	);

	await step('the values are the server\'s', async () => {
		const { created, updated, get, list, paged, error } = got;
		assert.match(created.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'created id');
		assert.equal(created.detail.jobTitle, createBody.detail.jobTitle, 'created detail.jobTitle');
		assert.equal(created.detail.company.displayName, createBody.detail.company.displayName, 'created company');
		assert.equal(created.isCurrent, true, 'created isCurrent');
		assert.equal(updated.id, created.id, 'updated id');
		assert.equal(updated.isCurrent, updateBody.isCurrent, 'updated isCurrent');
		assert.equal(updated.detail.jobTitle, createBody.detail.jobTitle, 'the update kept detail');
		assert.equal(get.status, 200, 'get status');
		assert.equal(get.body.isCurrent, updateBody.isCurrent, 'got isCurrent');
		// Readable only because the server exposes them to the page.
		assert.equal(get.headers.etag, get.body['@odata.etag'], 'ETag header, exposed');
		assert.equal(get.headers.etag, updated['@odata.etag'], 'ETag of the update');
		assert.match(get.headers['request-id'] ?? '', /^[0-9a-f-]{36}$/, 'request-id, exposed');
		assert.match(get.headers['client-request-id'] ?? '', /\S/, 'client-request-id, exposed');
		assert.match(get.headers['content-type'] ?? '', /^application\/json/, 'Content-Type');
		assert.deepEqual(list.value.map((p) => p.id), [created.id], 'the list holds the position');
		assert.equal(list.value[0].isCurrent, updateBody.isCurrent, 'listed isCurrent');
		assert.equal(paged.headers['preference-applied'], 'odata.maxpagesize=1', 'Preference-Applied, exposed');
		assert.equal(paged.body.value.length, 1, 'a page of one');
		assert.match(paged.body['@odata.nextLink'] ?? '', /\$skiptoken=/, 'nextLink');
		assert.equal(error.graphError, true, `the 404 is a GraphError: ${JSON.stringify(error)}`);
		assert.equal(error.statusCode, 404, 'error status: the page reads the error');
		assert.equal(error.code, 'itemNotFound', 'error code from the body');
		assert.match(error.requestId ?? '', /\S/, 'error requestId from the body');
	});

	await step('the browser got the list gzip-compressed', async () => {
		const list = responses.find((r) => r.request().method() === 'GET' && new URL(r.url()).pathname === '/beta/me/profile/positions' && !r.url().includes('?'));
		assert.ok(list, `the list response among ${responses.map((r) => r.url())}`);
		const h = await list.allHeaders();
		assert.equal(h['content-encoding'], 'gzip', `Content-Encoding of the list (${JSON.stringify(h)})`);
		assert.equal(h['access-control-allow-origin'], allowedOrigin, 'the allowed origin is echoed');
	});

	await step(`a page from ${refusedOrigin} is refused by the browser`, async () => {
		await tab.goto(`${refusedOrigin}/`);
		const refused = await tab.evaluate(async ({ base, token }) => {
			try {
				const r = await fetch(`${base}beta/me/profile/positions`, { headers: { Authorization: `Bearer ${token}` } });
				return `read ${r.status}`;
			} catch (err) {
				return `${err.name}: ${err.message}`;
			}
		}, { base, token });
		assert.match(refused, /^TypeError/, `fetch from a refused origin: ${refused}`);
		// The browser's reason: CORS, not the certificate or the network.
		assert.ok(problems.some((p) => p.includes(`from origin '${refusedOrigin}' has been blocked by CORS policy`)), `no CORS refusal in the console:\n${problems.join('\n')}`);
	});

	const unexpected = problems.filter((p) => !p.includes('CORS policy') && !p.includes('net::ERR_FAILED') && !p.includes('status of 404'));
	assert.deepEqual(unexpected, [], 'the page logged no other errors');
} catch (err) {
	fail(err, problems);
} finally {
	await browser?.close();
	page.close();
}
