// The people directory (GET /users with $filter, $orderby and paging) and
// a person's profile card (GET /users/{id} and /users/{id}/profile), each
// read with the signed-in user's token: the card shows what the API shows
// that user, no more.
import { h, isolated, isolatedText, joined, monthRange, words } from './dom.js';
import { graph, GraphError, withAllItems } from './session.js';
import { facetForm, describe, fieldsOf, audienceLabel, aOrAn, isCurrentPosition as isCurrent } from './forms.js';

const pageSize = 25;

// markFirstRender records, once, when the first people or card appeared:
// the browser test reports it as the page's first render.
let rendered = false;
function markFirstRender() {
	if (rendered) return;
	rendered = true;
	performance.mark('graphprofile:first-render');
}

export async function renderDirectory(main, app) {
	const input = h('input', { type: 'search', id: 'people-search', name: 'q', autocomplete: 'off', spellcheck: 'false', value: app.search });
	const status = h('p', { role: 'status', class: 'muted', id: 'people-status' });
	const list = h('ul', { class: 'people-list', id: 'people-list', 'aria-labelledby': 'people-heading' });
	const more = h('button', { type: 'button', id: 'people-more', hidden: true }, 'More people');
	let next = null;
	let total = null;
	let generation = 0;

	const show = (page, append) => {
		if (!append) list.replaceChildren();
		for (const u of page.value) list.append(personItem(u));
		next = page['@odata.nextLink'] ?? null;
		more.hidden = !next;
		// @odata.count comes with the first page only (as Graph sends it):
		// the next pages keep the total the first one gave.
		if (!append) total = page['@odata.count'] ?? null;
		const count = page['@odata.count'] ?? total;
		const shown = list.children.length;
		status.textContent = count == null ? `${shown} shown` : `${count} ${count === 1 ? 'person' : 'people'}${app.search ? ` named “${app.search}…”` : ''}${shown < count ? `, ${shown} shown` : ''}`;
		markFirstRender();
	};
	const load = async () => {
		const mine = ++generation;
		const q = new URLSearchParams({ $select: 'id,displayName,userPrincipalName,jobTitle', $orderby: 'displayName', $count: 'true', $top: String(pageSize) });
		if (app.search) {
			const s = app.search.replaceAll("'", "''");
			q.set('$filter', `startswith(displayName,'${s}') or startswith(userPrincipalName,'${s}')`);
		}
		try {
			// An advanced query (ConsistencyLevel: eventual), as Graph wants
			// for $count and for $filter with $orderby.
			const page = await graph('GET', `users?${q}`, { headers: { ConsistencyLevel: 'eventual' } });
			if (mine === generation) show(page, false);
		} catch (err) {
			if (mine !== generation || app.failed(err)) return;
			list.replaceChildren();
			more.hidden = true;
			status.textContent = err.status === 403
				? `You may not list the directory: ${err.message} (a token with User.ReadBasic.All may).`
				: `Listing people failed: ${err.message}`;
		}
	};
	more.addEventListener('click', async () => {
		if (!next) return;
		// The button pressed by the keyboard holds the focus: once the last
		// page hides it, the focus goes to the first person that page added
		// (the next Tab goes on from there), not to the page's body.
		const focused = document.activeElement === more;
		const before = list.children.length;
		more.disabled = true;
		// A search made while the page loads replaces the list: the late
		// page belongs to the list before it.
		const mine = generation;
		try {
			const page = await graph('GET', next, { headers: { ConsistencyLevel: 'eventual' } });
			if (mine === generation) show(page, true);
		} catch (err) {
			if (mine === generation && !app.failed(err)) status.textContent = `Listing more people failed: ${err.message}`;
		} finally {
			more.disabled = false;
			// Unless the user has put it elsewhere meanwhile (the search box).
			const at = document.activeElement;
			if (focused && at !== more && (!at || at === document.body)) {
				(more.hidden ? list.children[before]?.querySelector('a') : more)?.focus();
			}
		}
	});
	let timer;
	input.addEventListener('input', () => {
		clearTimeout(timer);
		timer = setTimeout(() => {
			app.search = input.value.trim();
			load();
		}, 250);
	});
	const form = h('form', {
		role: 'search', class: 'search', 'aria-label': 'People',
		onsubmit: (e) => {
			e.preventDefault();
			clearTimeout(timer);
			app.search = input.value.trim();
			load();
		},
	},
	h('label', { for: 'people-search' }, 'Search by name'),
	h('div', { class: 'search-row' }, input, h('button', { type: 'submit' }, 'Search')));

	main.replaceChildren(h('h1', { id: 'people-heading', tabindex: '-1' }, 'People'), form, status, list, more);
	await load();
}

function personItem(u) {
	return h('li', {},
		h('a', { href: `#/people/${encodeURIComponent(u.id)}`, class: 'person-link' },
			avatar(u.displayName || u.userPrincipalName),
			h('span', { class: 'person-text' },
				h('span', { class: 'person-name' }, isolated(nameOf(u))),
				h('span', { class: 'muted' }, joined([u.jobTitle, u.userPrincipalName], ' · ')))));
}

// nameOf is what names a user: the display name, else the principal name,
// else (a token named neither) the id.
export function nameOf(u) {
	return u.displayName || u.userPrincipalName || u.id;
}

function avatar(name) {
	// A word's punctuation and math signs are not its initial ("<script>"
	// is an S), nor are invisible format characters (a right-to-left mark
	// before a word would be the whole of its "initial"); emoji are
	// symbols of another class and stay.
	const words = (name || '').split(/[\s@.]+/).map((w) => w.replace(/^[\p{P}\p{Sm}\p{Sc}\p{Sk}\p{Cf}]+/u, '')).filter(Boolean);
	const initials = words.slice(0, 2).map((w) => firstCharacter(w).toUpperCase()).join('') || '?';
	return h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials);
}

// firstCharacter is the first character of w as a person sees it: a whole
// grapheme (an emoji of several code points, a letter and its accent),
// never w[0], which of "😀" is half a surrogate pair and shows broken.
const graphemes = typeof Intl.Segmenter === 'function' ? new Intl.Segmenter(undefined, { granularity: 'grapheme' }) : null;
function firstCharacter(w) {
	if (graphemes) return graphemes.segment(w)[Symbol.iterator]().next().value?.segment ?? '';
	return [...w][0] ?? ''; // a code point at least
}

// sortPositions orders positions current first, then by start, latest
// first; those without a start last.
export function sortPositions(positions) {
	return [...positions].sort((a, b) => {
		const c = Number(isCurrent(b)) - Number(isCurrent(a));
		if (c !== 0) return c;
		return (b.detail?.startMonthYear ?? '').localeCompare(a.detail?.startMonthYear ?? '');
	});
}

// keyed is the path of the entity of key in the collection at path. A key
// that starts with "$" is named in parentheses (users('$ref')), as the
// server's own Location headers name it: bare, the server reads it as an
// OData segment ($ref, $count, $value) and not as a key. So is a key that
// is a dot segment: bare, resolving the URL removes it (positions/.. is
// the profile, and a delete of it the whole profile's).
function keyed(path, key) {
	if (key.startsWith('$') || key === '.' || key === '..') return `${path}('${encodeURIComponent(key.replaceAll("'", "''"))}')`;
	return `${path}/${encodeURIComponent(key)}`;
}

// renderCard shows the card of key ("me" or a user's id).
export async function renderCard(main, app, key, { status: statusText = '' } = {}) {
	const base = key === 'me' ? 'me' : keyed('users', key);
	const back = h('p', { class: 'back' }, h('a', { href: '#/people' }, '← People'));
	let user;
	let profile;
	let profileError;
	try {
		[user, profile] = await Promise.all([
			graph('GET', `${base}?$select=id,displayName,userPrincipalName,jobTitle,mail,department,officeLocation`),
			graph('GET', `${base}/profile`).then(withAllItems).catch((err) => {
				profileError = err;
				return null;
			}),
			app.whoami(),
		]);
	} catch (err) {
		if (app.failed(err)) return;
		const message = err.status === 404
			? 'Nobody in your organization has this id.'
			: err.status === 403
				? `You may not see this person: ${err.message}`
				: `Reading this person failed: ${err.message}`;
		main.replaceChildren(back, h('h1', { tabindex: '-1' }, err.status === 404 ? 'No such person' : 'Not available'), h('p', { class: 'notice', role: 'alert' }, message));
		return;
	}
	if (profileError && app.failed(profileError)) return;
	// An answer that is no user (an id the server's path read as something
	// else) is no person either, not a card that breaks half made.
	if (typeof user?.id !== 'string') {
		main.replaceChildren(back, h('h1', { tabindex: '-1' }, 'No such person'), h('p', { class: 'notice', role: 'alert' }, 'Nobody in your organization has this id.'));
		return;
	}
	const owner = key === 'me' || user.id.toLowerCase() === app.me?.id?.toLowerCase();
	// actions are what the card's forms and buttons share: done(text) shows
	// the card anew with text as its message; starting() clears the last
	// action's message when another begins, so an "Added …" never stands
	// beside the next action's error as if that one had worked too.
	const actions = {
		done: (text) => renderCard(main, app, key, { status: text }),
		starting: () => {
			status.textContent = '';
		},
	};
	const positions = sortPositions(profile?.positions ?? []);
	const current = positions.find(isCurrent);
	const title = user.jobTitle || current?.detail?.jobTitle;
	const company = current?.detail?.company?.displayName;
	// After a save or a delete the card is made anew: the message is
	// focused (the focus was on a button that is gone), so a screen reader
	// reads it and Tab goes on from the card's top.
	const status = h('p', { role: 'status', class: 'status', id: 'card-status', tabindex: statusText ? '-1' : null }, statusText);

	const card = h('article', { class: 'card', 'aria-labelledby': 'card-name', id: 'profile-card' },
		h('header', { class: 'card-header' },
			avatar(user.displayName || user.userPrincipalName),
			h('div', { class: 'card-title' },
				h('h1', { id: 'card-name', tabindex: '-1' }, isolated(nameOf(user))),
				title || company ? h('p', { class: 'card-role' }, joined([title, company], ' at ')) : null,
				h('p', { class: 'muted card-contact' }, joined([user.userPrincipalName, user.mail && user.mail !== user.userPrincipalName ? user.mail : null, user.department, user.officeLocation], ' · ')),
				owner ? h('p', { class: 'badge' }, 'This is you') : null)),
		status);
	main.replaceChildren(back, card);
	if (statusText && main.current()) status.focus();
	if (!profile) {
		card.append(h('p', { class: 'notice' }, profileError.status === 403
			? `You may not see this profile: ${profileError.message}`
			: `Reading the profile failed: ${profileError.message}`));
		markFirstRender();
		return;
	}
	card.append(positionsSection(app, base, positions, owner, actions));
	for (const name of ['skills', 'languages']) {
		card.append(facetSection(app, base, name, profile[name] ?? [], owner, actions));
	}
	const others = Object.keys(profile).filter((k) => Array.isArray(profile[k]) && !['positions', 'skills', 'languages'].includes(k));
	const filled = others.filter((k) => profile[k].length > 0);
	for (const name of filled) card.append(facetSection(app, base, name, profile[name], owner, actions));
	if (owner) card.append(addOtherSection(app, base, others.filter((k) => profile[k].length === 0), actions));
	markFirstRender();
}

function positionsSection(app, base, positions, owner, actions) {
	const section = h('section', { class: 'facet', 'aria-labelledby': 'facet-positions' },
		h('h2', { id: 'facet-positions' }, 'Positions'));
	const list = h('ol', { class: 'positions' });
	for (const p of positions) {
		const d = p.detail ?? {};
		const label = positionLabel(p);
		const item = h('li', { class: 'position', dataset: { id: p.id } },
			h('h3', {}, isolated(d.jobTitle) ?? 'Untitled position', isCurrent(p) ? h('span', { class: 'badge current' }, 'Current') : null),
			d.company?.displayName ? h('p', { class: 'company' }, joined([d.company.displayName, d.company.department], ' · ')) : null,
			h('p', { class: 'dates muted' }, dateRange(d.startMonthYear, d.endMonthYear, isCurrent(p))),
			d.description ? h('p', {}, isolated(d.description)) : null,
			owner ? h('p', { class: 'audience muted' }, `Visible to: ${audienceLabel(p.allowedAudiences)}`) : null);
		if (owner) item.append(itemActions(app, base, 'positions', p, label, positionLabel, item, actions));
		list.append(item);
	}
	if (positions.length === 0) section.append(h('p', { class: 'muted' }, 'No positions to show.'));
	else section.append(list);
	if (owner) section.append(addButton(app, base, 'positions', 'Add a position', section, actions));
	return section;
}

function dateRange(start, end, current) {
	return monthRange(start, end, current) || 'Dates not given';
}

// positionLabel names a position: "Engineer at Contoso", each value set
// apart (isolatedText) for the sentences it goes into.
function positionLabel(p) {
	const d = p.detail ?? {};
	return [d.jobTitle, d.company?.displayName].filter(Boolean).map(isolatedText).join(' at ') || 'position';
}

// opening holds the buttons whose form is being made: the first form waits
// for $metadata, and a second click meanwhile (a double click) would make
// a second form beside it.
const opening = new WeakSet();

// openFacetForm shows collection's form in container in place of opener
// (the button that opened it: hidden meanwhile, focused again on cancel),
// to edit options.item or, without one, to add an item. Sending it is one
// of the card's actions.
async function openFacetForm(app, actions, opener, container, collection, { item, submitLabel, onSubmit, onSaved }) {
	// One form per button.
	if (opening.has(opener) || opener.hidden) return;
	opening.add(opener);
	let fields;
	// One alert at a time: a form that failed before is tried again.
	container.querySelector(':scope > p.form-error.form-unmade')?.remove();
	try {
		fields = await fieldsOf(collection);
	} catch (err) {
		container.append(h('p', { role: 'alert', class: 'form-error form-unmade' }, `The form cannot be made: ${err.message}`));
		return;
	} finally {
		opening.delete(opener);
	}
	const expands = opener.hasAttribute('aria-expanded');
	const form = facetForm(collection, fields, {
		item,
		submitLabel,
		onCancel: () => {
			form.remove();
			opener.hidden = false;
			if (expands) opener.setAttribute('aria-expanded', 'false');
			opener.focus();
		},
		onSubmit: (body) => {
			actions.starting();
			return onSubmit(body);
		},
		onSaved,
		onError: (err) => app.failed(err),
	});
	opener.hidden = true;
	if (expands) opener.setAttribute('aria-expanded', 'true');
	container.append(form);
	form.querySelector('input, select, textarea')?.focus();
}

// itemActions are the owner's Edit and Delete buttons of an item, label
// naming it; labelOf names it as saved, for the message after an edit.
// Both name what a person wrote through isolatedText: the labels go into
// sentences (a dialog, the status line) that no element holds apart.
function itemActions(app, base, collection, item, label, labelOf, container, actions) {
	const edit = h('button', { type: 'button', 'aria-label': `Edit ${label}` }, 'Edit');
	const del = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${label}` }, 'Delete');
	// The item's ETag as the card read it: an edit or a delete applies only
	// to that version, so a change made elsewhere since (another tab, an
	// app) is never silently saved over or deleted.
	const headers = item['@odata.etag'] ? { 'If-Match': item['@odata.etag'] } : {};
	edit.addEventListener('click', () => openFacetForm(app, actions, edit, container, collection, {
		item,
		submitLabel: 'Save',
		onSubmit: (body) => graph('PATCH', keyed(`${base}/profile/${collection}`, item.id), { body, headers }).catch(changedElsewhere),
		onSaved: (saved) => actions.done(`Saved ${labelOf(saved)}.`),
	}));
	del.addEventListener('click', async () => {
		if (!confirm(`Delete ${label}?`)) return;
		actions.starting();
		// One alert at a time: a delete refused again replaces the last
		// refusal (a new alert is announced anew), never stacks beside it.
		container.querySelector(':scope > p.delete-error')?.remove();
		try {
			await graph('DELETE', keyed(`${base}/profile/${collection}`, item.id), { headers }).catch(changedElsewhere);
			actions.done(`Deleted ${label}.`);
		} catch (err) {
			if (!app.failed(err)) container.append(h('p', { role: 'alert', class: 'form-error delete-error' }, `Deleting failed: ${err.message}`));
		}
	});
	return h('div', { class: 'actions' }, edit, del);
}

// changedElsewhere says in plain words what a 412 (the If-Match of an edit
// or a delete no longer matches) means to the person using the card.
function changedElsewhere(err) {
	if (err?.status === 412) {
		throw new GraphError(412, err.code, 'This item was changed since the card was shown (in another tab or app). Reload the card to see the change, then try again.');
	}
	throw err;
}

// addButton opens the form that creates an item of collection.
function addButton(app, base, collection, text, container, actions) {
	const button = h('button', { type: 'button', class: 'add', 'aria-expanded': 'false' }, text);
	const facet = describe(collection);
	button.addEventListener('click', () => openFacetForm(app, actions, button, container, collection, {
		submitLabel: 'Add',
		onSubmit: (body) => graph('POST', `${base}/profile/${collection}`, { body }),
		onSaved: (created) => actions.done(`Added ${isolatedText(facet.itemLabel(created))}.`),
	}));
	return button;
}

function facetSection(app, base, name, items, owner, actions) {
	const facet = describe(name);
	const headingId = `facet-${name}`;
	const section = h('section', { class: 'facet', 'aria-labelledby': headingId }, h('h2', { id: headingId }, facet.label));
	if (items.length === 0) {
		section.append(h('p', { class: 'muted' }, `No ${facet.label.toLowerCase()} to show.`));
	} else {
		const list = h('ul', { class: name === 'skills' ? 'chips' : 'items' });
		for (const it of items) {
			const label = facet.itemLabel(it);
			const detail = facet.itemDetail(it);
			const li = h('li', { dataset: { id: it.id } },
				h('span', { class: 'item-label' }, isolated(label)),
				detail.length > 0 ? h('span', { class: 'muted' }, ' ', detail) : null,
				owner ? h('span', { class: 'muted audience' }, ` (${audienceLabel(it.allowedAudiences)})`) : null);
			if (owner) li.append(itemActions(app, base, name, it, `${facet.singular} ${isolatedText(label)}`, (saved) => `${facet.singular} ${isolatedText(facet.itemLabel(saved))}`, li, actions));
			list.append(li);
		}
		section.append(list);
	}
	if (owner) section.append(addButton(app, base, name, `Add ${aOrAn(facet.singular)}`, section, actions));
	return section;
}

// addOtherSection lets the owner add to the collections the card does not
// show (empty ones), each with a form made from the service's $metadata.
function addOtherSection(app, base, names, actions) {
	const section = h('section', { class: 'facet', 'aria-labelledby': 'facet-more' }, h('h2', { id: 'facet-more' }, 'Add to your profile'));
	if (names.length === 0) return section;
	const select = h('select', { id: 'facet-more-select' }, names.map((n) => h('option', { value: n }, words(n))));
	const slot = h('div');
	const open = h('button', { type: 'button' }, 'Open the form');
	open.addEventListener('click', async () => {
		const name = select.value;
		const facet = describe(name);
		// Fetched and failed as openFacetForm does, but the alert replaces
		// what the slot showed instead of being added to a container.
		let fields;
		try {
			fields = await fieldsOf(name);
		} catch (err) {
			slot.replaceChildren(h('p', { role: 'alert', class: 'form-error' }, `The form cannot be made: ${err.message}`));
			return;
		}
		slot.replaceChildren(facetForm(name, fields, {
			submitLabel: `Add to ${facet.label.toLowerCase()}`,
			onCancel: () => {
				slot.replaceChildren();
				open.focus();
			},
			onSubmit: (body) => {
				actions.starting();
				return graph('POST', `${base}/profile/${name}`, { body });
			},
			onSaved: (created) => actions.done(`Added ${isolatedText(facet.itemLabel(created))}.`),
			onError: (err) => app.failed(err),
		}));
		slot.querySelector('input, select, textarea')?.focus();
	});
	section.append(h('div', { class: 'search-row' }, h('label', { for: 'facet-more-select', class: 'inline-label' }, 'Collection'), select, open), slot);
	return section;
}

