// What the compatibility scripts share: their settings from the
// environment, their steps (each named, so a failure says which), and
// Debian's Chromium started through playwright-core.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { chromium } from 'playwright-core';

const script = basename(process.argv[1] ?? 'this script');

// env returns the environment variable name, or fallback; with neither the
// script stops, naming the variable.
export function env(name, fallback) {
	const v = process.env[name] ?? fallback;
	if (!v) {
		console.error(`${script}: set ${name} (see the comment at the top of this file)`);
		process.exit(2);
	}
	return v;
}

// steps runs a script's steps: step(name, fn) runs fn and prints "ok
// name"; fail(err, problems) reports the step that failed (and what the
// page logged, if anything) and makes the script exit non-zero.
export function steps() {
	let current = 'setup';
	return {
		async step(name, fn) {
			current = name;
			const result = await fn();
			console.log(`ok   ${name}`);
			return result;
		},
		fail(err, problems = []) {
			console.error(`FAIL ${current}:`);
			console.error(err);
			if (problems.length) console.error(`the page said:\n${problems.join('\n')}`);
			process.exitCode = 1;
		},
	};
}

// launchChromium starts headless Chromium (executablePath) with a profile
// of its own in a temporary directory, quiet (no first-run, no background
// network), plus args; options go to launchPersistentContext. close()
// stops it and removes the profile.
export async function launchChromium(executablePath, { args = [], ...options } = {}) {
	const profile = await mkdtemp(join(tmpdir(), 'graphprofile-chromium-'));
	try {
		const context = await chromium.launchPersistentContext(profile, {
			executablePath,
			headless: true,
			args: [
				'--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
				'--disable-background-networking', '--disable-component-update', '--disable-sync',
				...args,
			],
			...options,
		});
		return {
			context,
			async close() {
				await context.close();
				await rm(profile, { recursive: true, force: true });
			},
		};
	} catch (err) {
		await rm(profile, { recursive: true, force: true });
		throw err;
	}
}
