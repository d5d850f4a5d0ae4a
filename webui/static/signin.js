// The sign-in view: as the server allows, the development issuer's user
// picker, the organization's sign-in (oauth.js), and always a pasted token.
import { h, uid, isolatedText } from './dom.js';
import { nameOf } from './people.js';
import { beginSignIn } from './oauth.js';

export async function renderSignIn(main, app) {
	const { config } = app;
	const alert = h('p', { role: 'alert', class: 'form-error' }, app.signInMessage || '');
	alert.hidden = !app.signInMessage;
	const showError = (message) => {
		alert.textContent = message;
		alert.hidden = false;
	};
	main.replaceChildren(
		h('h1', { tabindex: '-1' }, 'Sign in'),
		h('p', { class: 'lead' }, 'Sign in to see the people of your organization and edit your own profile. Your access token stays in this tab only.'),
		alert,
	);
	const ways = h('div', { class: 'sign-in-ways' });
	main.append(ways);
	if (config.oauth) ways.append(organizationSection(config, showError));
	if (config.devSignIn) ways.append(await developmentSection(app, showError));
	ways.append(pasteSection(app, showError));
}

function organizationSection(config, showError) {
	return h('section', { class: 'panel', 'aria-labelledby': 'signin-org' },
		h('h2', { id: 'signin-org' }, 'Your organization'),
		h('p', {}, 'Sign in with your work or school account.'),
		h('button', {
			type: 'button', class: 'primary', id: 'signin-org-button',
			onclick: async () => {
				try {
					await beginSignIn(config.oauth);
				} catch (err) {
					showError(`Signing in with your organization failed: ${err.message}`);
				}
			},
		}, 'Sign in with your organization'),
	);
}

// developmentSection offers the development tenant's users, and a new
// user by name, each signed in with a token the server mints.
async function developmentSection(app, showError) {
	const section = h('section', { class: 'panel', 'aria-labelledby': 'signin-dev' },
		h('h2', { id: 'signin-dev' }, 'Development users'),
		h('p', {}, 'The server trusts its development issuer: pick a user of the development tenant, or name a new one.'),
	);
	let users;
	let more = false;
	try {
		const res = await fetch('api/dev/users', { headers: { Accept: 'application/json' } });
		const body = await res.json();
		if (!res.ok) throw new Error(body?.error?.message ?? `${res.status}`);
		users = body.value;
		more = body.more === true;
	} catch (err) {
		section.append(h('p', { class: 'notice' }, err.message));
		return section;
	}
	const mint = async (request) => {
		const res = await fetch('api/dev/token', {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
			body: JSON.stringify(request),
		});
		const body = await res.json().catch(() => null);
		if (!res.ok) throw new Error(body?.error?.message ?? `${res.status} ${res.statusText}`);
		app.signedIn(body);
	};
	if (users.length > 0) {
		const selectId = uid('dev-user');
		const select = h('select', { id: selectId, name: 'user' },
			users.map((u) => h('option', { value: u.id }, pickerLabel(u))));
		section.append(h('form', {
			class: 'stack', id: 'dev-signin-form',
			onsubmit: async (e) => {
				e.preventDefault();
				try {
					await mint({ userId: select.value });
				} catch (err) {
					showError(err.message);
				}
			},
		},
		h('label', { for: selectId }, 'User'), select,
		// The server lists the first users by name; a bigger tenant's
		// others are reached by name below, which the user must be told.
		more ? h('p', { class: 'hint', id: 'dev-users-more' }, `The first ${users.length} users by name are listed: name anyone else below.`) : '',
		h('div', {}, h('button', { type: 'submit', class: 'primary' }, 'Sign in'))));
	} else {
		section.append(h('p', {}, 'The development tenant has no users yet: name one below.'));
	}
	const nameId = uid('dev-name');
	const upnId = uid('dev-upn');
	const name = h('input', { id: nameId, name: 'displayName', autocomplete: 'name' });
	const upn = h('input', { id: upnId, name: 'userPrincipalName', autocomplete: 'username', spellcheck: 'false', placeholder: 'ada@contoso.com' });
	section.append(h('form', {
		class: 'stack new-user',
		onsubmit: async (e) => {
			e.preventDefault();
			try {
				await mint({ userPrincipalName: upn.value, displayName: name.value });
			} catch (err) {
				showError(err.message);
			}
		},
	},
	h('h3', {}, 'A new user'),
	h('label', { for: nameId }, 'Display name'), name,
	h('label', { for: upnId }, 'User principal name'), upn,
	h('div', {}, h('button', { type: 'submit' }, 'Sign in as this user'))));
	return section;
}

// pasteSection takes a token from anywhere: graphprofile token, an
// issuer's tools.
function pasteSection(app, showError) {
	const id = uid('paste-token');
	const hintId = uid('paste-hint');
	const area = h('textarea', { id, name: 'token', rows: '3', spellcheck: 'false', autocomplete: 'off', 'aria-describedby': hintId });
	return h('section', { class: 'panel', 'aria-labelledby': 'signin-paste' },
		h('h2', { id: 'signin-paste' }, 'Paste a token'),
		h('form', {
			class: 'stack',
			onsubmit: (e) => {
				e.preventDefault();
				const accessToken = area.value.trim().replace(/^Bearer\s+/i, '');
				if (!accessToken) {
					showError('Paste an access token first.');
					area.focus();
					return;
				}
				app.signedIn({ accessToken, expiresIn: secondsLeft(accessToken) });
			},
		},
		h('label', { for: id }, 'Access token'), area,
		h('p', { id: hintId, class: 'hint' }, 'For example what ', h('code', {}, "graphprofile token --scopes 'User.ReadWrite User.ReadBasic.All'"), ' prints. The directory needs User.ReadBasic.All.'),
		h('div', {}, h('button', { type: 'submit' }, 'Use this token'))),
	);
}

// secondsLeft reads a JWT's exp, without checking it (the server does):
// the page forgets the token when it expires.
function secondsLeft(jwt) {
	try {
		const payload = JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
		const left = Math.floor(payload.exp - Date.now() / 1000);
		return left > 0 ? left : 3600;
	} catch {
		return 3600;
	}
}

// pickerLabel names a user in the picker: the name and, to tell people of
// one name apart, the principal name (else the id); a user named by
// neither is the id alone.
function pickerLabel(u) {
	const name = isolatedText(nameOf(u));
	const which = isolatedText(u.userPrincipalName || u.id);
	return name === which ? name : `${name} (${which})`;
}
