// The page's entry: reads the server's configuration, finishes a sign-in
// with the organization when the address holds one, and shows the view the
// address names (#/people, #/people/{id}, #/me, #/inspector).
import { h, isolated, isolatedText } from './dom.js';
import * as session from './session.js';
import { completeSignIn } from './oauth.js';
import { renderSignIn } from './signin.js';
import { renderDirectory, renderCard, nameOf } from './people.js';
import { renderInspector, stopInspector } from './inspector.js';

const main = document.getElementById('main');
const sessionArea = document.getElementById('session');

// app is what the views share: the configuration, who is signed in, and
// how to move on.
const app = {
	config: { devSignIn: false, admin: false, oauth: null },
	me: null, // GET /me of the signed-in user, once known
	search: '', // the directory's last search
	signInMessage: '',
	// whoami reads who is signed in, once per sign-in; the views ask for
	// it at the same time as their own data.
	whoami() {
		// A failed read is not kept: the next view asks again.
		whoami ??= session.graph('GET', 'me?$select=id,displayName,userPrincipalName').then((me) => (app.me = me), (err) => {
			whoami = null;
			throw err;
		});
		return whoami;
	},
	signedIn(t) {
		session.storeToken(t);
		app.me = null;
		whoami = null;
		app.signInMessage = '';
		if (!location.hash.startsWith('#/') || location.hash === '#/signin') location.hash = '#/people';
		else route();
	},
	signOut(message = '') {
		session.signOut();
		app.me = null;
		whoami = null;
		app.signInMessage = message;
		route();
	},
	// failed handles an error of the Graph API common to every view: a
	// refused or expired token signs the user out (once, however many
	// calls were refused). It reports whether it did.
	failed(err) {
		if (err?.status !== 401) return false;
		// A token the page let expire was not sent: the 401 says so.
		if (session.token()) app.signOut(`Your sign-in was refused or has expired (${err.message}). Sign in again.`);
		else if (session.held()) app.signOut(expiredMessage);
		return true;
	},
};

let whoami = null;

const expiredMessage = 'Your sign-in has expired. Sign in again.';

let firstRoute = true;

// viewGeneration counts the views shown: a view renders into the target
// route gives it, which drops what it is given once another view has
// begun. A view still reading when the user moved on (or signed out)
// replaced what came after it: the signed-out page by the card of the
// user who had just left, one person's card by another's.
let viewGeneration = 0;

function viewTarget() {
	const generation = ++viewGeneration;
	const current = () => generation === viewGeneration;
	return {
		current,
		replaceChildren: (...nodes) => {
			if (current()) main.replaceChildren(...nodes);
		},
		append: (...nodes) => {
			if (current()) main.append(...nodes);
		},
	};
}

// busyAfter is how long a view may take to come before the page says it
// is coming: the view before it stays until then, and a slow answer left
// it standing under the new address with no sign that anything was
// happening. Quicker views show no flicker.
const busyAfter = 150;

async function route() {
	const hash = location.hash || '#/people';
	// The skip link's #main, or any other fragment, is no view.
	if (!hash.startsWith('#/')) {
		if (!firstRoute) return;
	}
	const focus = !firstRoute;
	firstRoute = false;
	stopInspector();
	const target = viewTarget();
	const busy = setTimeout(() => {
		if (target.current()) main.setAttribute('aria-busy', 'true');
	}, busyAfter);
	try {
		await show(target, hash, focus);
	} finally {
		clearTimeout(busy);
		if (target.current()) main.removeAttribute('aria-busy');
	}
}

// show renders the view hash names into target.
async function show(target, hash, focus) {
	const view = hash.startsWith('#/') ? hash.slice(2) : 'people';
	if (view === 'inspector' || !session.token()) await configLoaded;
	if (!target.current()) return;
	if (view === 'inspector' && !app.config.admin) {
		// Not the directory under the inspector's address: the user
		// followed a link or a bookmark to a view this server does not
		// offer, and is told why.
		showSession();
		target.replaceChildren(h('h1', { tabindex: '-1' }, 'Inspector'),
			h('p', { class: 'notice', role: 'alert' }, 'This server has no inspector: it offers one when it is started with --admin-token.'));
		return finish(focus);
	}
	if (view === 'inspector') {
		showSession();
		// The inspector reads no Graph data, but its header names who is
		// signed in as every view's does: once known (a reload on the
		// inspector has not read it yet).
		if (session.token()) app.whoami().then(showSession, () => {});
		await renderInspector(target, app);
		return target.current() && finish(focus);
	}
	if (!session.token()) {
		// A sign-in that expired while the page was open ends here, saying so.
		if (session.held()) {
			session.signOut();
			app.me = null;
			whoami = null;
			app.signInMessage = expiredMessage;
		}
		showSession();
		await renderSignIn(target, app);
		return target.current() && finish(focus);
	}
	// Who is signed in, and the view's own data, read at once.
	const who = app.whoami();
	who.then(showSession, () => {});
	let rendering;
	if (view === 'me') {
		rendering = renderCard(target, app, 'me');
	} else if (view.startsWith('people/')) {
		let id;
		try {
			id = decodeURIComponent(view.slice('people/'.length));
		} catch {
			id = null; // an address no link makes: no such person
		}
		// Nor is '' an id ('.' and '..' may be: the card names them in
		// parentheses, users('..'), which no URL resolution removes).
		if (id === '') id = null;
		rendering = id === null ? Promise.resolve(target.replaceChildren(h('h1', { tabindex: '-1' }, 'No such person'))) : renderCard(target, app, id);
	} else {
		rendering = renderDirectory(target, app);
	}
	const [signedIn] = await Promise.allSettled([who, rendering]);
	if (!target.current()) return;
	if (signedIn.status === 'rejected') {
		if (!app.failed(signedIn.reason)) {
			// Signed in, though who it is could not be read (the server
			// busy, or a token of an application, which has no /me): the
			// page still offers to sign out.
			showSession();
			target.replaceChildren(h('h1', { tabindex: '-1' }, 'Something went wrong'), h('p', { role: 'alert' }, `Reading who you are failed: ${signedIn.reason.message}`));
			nameView();
		}
		return;
	}
	finish(focus);
}

// finish moves the focus to the new view's heading after a navigation, so
// a screen reader announces it and Tab continues from there, unless the
// user has put it in the view already: the view shows its form before its
// data has come, and a search typed meanwhile would lose its next keys to
// the heading once the data came.
function finish(focus) {
	nameView();
	const at = document.activeElement;
	if (!focus || (at && at !== main && main.contains(at))) return;
	main.querySelector('h1')?.focus({ preventScroll: false });
}

// nameView names the view shown in the page's title, by its heading, so a
// tab, the history and a screen reader say which view it is.
function nameView() {
	const heading = main.querySelector('h1')?.textContent.trim();
	document.title = heading ? `${isolatedText(heading)} – graphprofile` : 'graphprofile';
}

function showSession() {
	const signOut = h('button', { type: 'button', class: 'link-button', onclick: () => app.signOut() }, 'Sign out');
	let shown = '';
	if (session.token() && app.me) {
		shown = h('p', { class: 'session-user' }, 'Signed in as ', h('a', { href: '#/me' }, isolated(nameOf(app.me))), ' ', signOut);
	} else if (session.token()) {
		shown = h('p', { class: 'session-user' }, 'Signed in ', signOut);
	}
	sessionArea.replaceChildren(shown);
	for (const a of document.querySelectorAll('.nav-list a')) {
		const current = location.hash === a.getAttribute('href') || (a.getAttribute('href') === '#/people' && /^#\/people\/|^$|^#$/.test(location.hash));
		if (current) a.setAttribute('aria-current', 'page');
		else a.removeAttribute('aria-current');
	}
}

document.querySelector('.skip-link').addEventListener('click', (e) => {
	e.preventDefault();
	main.focus();
});

// configLoaded is the server's configuration (GET /ui/api/config), read
// once; without it the page offers a pasted token only.
const configLoaded = (async () => {
	try {
		const res = await fetch('api/config', { headers: { Accept: 'application/json' } });
		if (res.ok) app.config = await res.json();
	} catch {
		// the defaults
	}
	document.getElementById('nav-inspector').hidden = !app.config.admin;
})();

async function start() {
	window.addEventListener('hashchange', route);
	// A returning user's view needs no configuration: its data is read at
	// once. An address with the issuer's answer (?code=…, ?error=…) is a
	// sign-in to finish first.
	const query = new URLSearchParams(location.search);
	const signInReturn = ['code', 'error', 'state'].some((k) => query.has(k));
	if (session.token() && !signInReturn) {
		app.whoami().catch(() => {});
		return route();
	}
	await configLoaded;
	if (app.config.oauth) {
		try {
			const t = await completeSignIn(app.config.oauth);
			if (t) session.storeToken(t);
		} catch (err) {
			app.signInMessage = `Signing in with your organization failed: ${err.message}`;
		}
	}
	await route();
}

start();
