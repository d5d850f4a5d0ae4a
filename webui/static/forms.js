// The forms that add and edit items of the signed-in user's profile. The
// fields of positions, skills and languages are chosen here; those of the
// other collections are made from the service's own description
// (GET /beta/$metadata): every property a client may set, one level of
// nested values deep. A Graph 400 is shown next to the field whose
// property its message names, or at the top of the form.
import { h, uid, words, formatDate, formatMonth, monthRange, joined } from './dom.js';
import * as session from './session.js';

// audiences are the values of allowedAudiences a form offers, as the API
// takes them; the first is a new item's default (Graph's too).
const audiences = [
	['organization', 'My organization'],
	['me', 'Only me'],
	['federatedOrganizations', 'Federated organizations'],
	['everyone', 'Everyone'],
	['family', 'Family'],
	['contacts', 'Contacts'],
	['groupMembers', 'Group members'],
];

// isCurrentPosition: a position is current when it says so, or says
// nothing and has no end (the card's badge, order and "Present", and the
// form's checkbox).
export function isCurrentPosition(p) {
	return p.isCurrent === true || (p.isCurrent !== false && !p.detail?.endMonthYear);
}

export function audienceLabel(value) {
	if (!value) return 'only you';
	return value.split(',').map((v) => (audiences.find(([a]) => a === v.trim())?.[1] ?? v).toLowerCase()).join(', ');
}

const audienceField = (owner) => ({ path: ['allowedAudiences'], owner, label: 'Who can see it', kind: 'audience' });

// The collections whose fields are chosen here. enumType names the
// $metadata enum whose members a select offers.
const curated = {
	positions: {
		label: 'Positions', singular: 'position', type: 'workPosition',
		fields: [
			{ path: ['detail', 'jobTitle'], owner: 'positionDetail', label: 'Job title', kind: 'text' },
			{ path: ['detail', 'company', 'displayName'], owner: 'companyDetail', label: 'Company', kind: 'text' },
			{ path: ['detail', 'company', 'department'], owner: 'companyDetail', label: 'Department', kind: 'text' },
			{ path: ['detail', 'startMonthYear'], owner: 'positionDetail', label: 'Start', kind: 'month', hint: 'Year and month: YYYY-MM, e.g. 2021-09.' },
			{ path: ['detail', 'endMonthYear'], owner: 'positionDetail', label: 'End', kind: 'month', hint: 'YYYY-MM; empty while it lasts.' },
			// Ticked as the card shows it (isCurrentPosition), so that
			// unticking a position the card calls current marks it not.
			{ path: ['isCurrent'], owner: 'workPosition', label: 'This is a current position', kind: 'bool', shown: isCurrentPosition },
			{ path: ['detail', 'description'], owner: 'positionDetail', label: 'Description', kind: 'textarea' },
			audienceField('workPosition'),
		],
	},
	skills: {
		label: 'Skills', singular: 'skill', type: 'skillProficiency',
		fields: [
			{ path: ['displayName'], owner: 'skillProficiency', label: 'Skill', kind: 'text' },
			{ path: ['proficiency'], owner: 'skillProficiency', label: 'Proficiency', kind: 'enum', enumType: 'skillProficiencyLevel' },
			audienceField('skillProficiency'),
		],
	},
	languages: {
		label: 'Languages', singular: 'language', type: 'languageProficiency',
		fields: [
			{ path: ['displayName'], owner: 'languageProficiency', label: 'Language', kind: 'text' },
			{ path: ['tag'], owner: 'languageProficiency', label: 'Language tag', kind: 'text', hint: 'e.g. fr-FR' },
			{ path: ['spoken'], owner: 'languageProficiency', label: 'Spoken', kind: 'enum', enumType: 'languageProficiencyLevel' },
			{ path: ['written'], owner: 'languageProficiency', label: 'Written', kind: 'enum', enumType: 'languageProficiencyLevel' },
			{ path: ['reading'], owner: 'languageProficiency', label: 'Reading', kind: 'enum', enumType: 'languageProficiencyLevel' },
			audienceField('languageProficiency'),
		],
	},
};

// describe returns how the card shows the items of collection name:
// its label, the noun of one item, an item's label and detail.
export function describe(name) {
	const c = curated[name];
	const label = c?.label ?? words(name);
	const singular = c?.singular ?? singularOf(name);
	return { name, label, singular, itemLabel: (it) => itemLabel(name, it), itemDetail: (it) => itemDetail(name, it) };
}

// aOrAn puts the article before a noun: "a skill", "an email".
export function aOrAn(noun) {
	return `${/^[aeio]/i.test(noun) ? 'an' : 'a'} ${noun}`;
}

function singularOf(name) {
	const w = words(name).toLowerCase();
	if (w.endsWith('ies')) return `${w.slice(0, -3)}y`;
	if (w.endsWith('sses') || w.endsWith('ches')) return w.slice(0, -2);
	return w.endsWith('s') ? w.slice(0, -1) : w;
}

function itemLabel(name, it) {
	if (name === 'positions') return it.detail?.jobTitle || 'position';
	// An anniversary is named by what it is ("Birthday"), its date is its detail.
	if (name === 'anniversaries') return it.displayName || (it.type ? words(it.type) : 'anniversary');
	const name2 = [it.first, it.last].filter(Boolean).join(' ');
	return it.displayName || it.address || it.number || name2 || it.program?.displayName || it.institution?.displayName
		|| it.service?.name || it.detail?.content || it.webUrl || it.userPrincipalName || it.date || 'item';
}

// itemDetail is what the card shows after an item's label: its values,
// each isolated (dom.js's joined), or none.
function itemDetail(name, it) {
	const level = (v) => (v ? words(v).toLowerCase() : '');
	switch (name) {
		case 'skills':
			return joined([level(it.proficiency)], '');
		case 'languages':
			return joined([it.tag, it.spoken && `spoken: ${level(it.spoken)}`, it.written && `written: ${level(it.written)}`], ', ');
		case 'emails':
		case 'phones':
			return joined([it.type ? level(it.type) : ''], '');
		case 'anniversaries':
			return joined([it.displayName && level(it.type), formatDate(it.date)], ', ');
		case 'educationalActivities':
			return joined([it.institution?.displayName && it.program?.displayName ? it.institution.displayName : '', educationDates(it)], ', ');
		case 'projects':
			return joined([monthRange(it.detail?.startMonthYear, it.detail?.endMonthYear), it.detail?.description], ' · ');
		default:
			return joined([itemDates(name, it), it.description], ' · ');
	}
}

// itemDates shows the dates of an item of collection name that has them,
// as a person reads them: when it was issued, published or valid.
function itemDates(name, it) {
	switch (name) {
		case 'awards':
		case 'patents':
			return it.issuedDate ? `Issued ${formatDate(it.issuedDate)}` : '';
		case 'certifications': {
			const from = it.startDate ? formatDate(it.startDate) : '';
			const to = it.endDate ? formatDate(it.endDate) : '';
			const valid = from && to ? `valid ${from} – ${to}` : from ? `valid from ${from}` : to ? `valid until ${to}` : '';
			return [it.issuedDate && `Issued ${formatDate(it.issuedDate)}`, valid].filter(Boolean).join(', ');
		}
		case 'publications':
			return it.publishedDate ? `Published ${formatDate(it.publishedDate)}` : '';
		default:
			return '';
	}
}

// educationDates: the span of an educational activity by month, and its
// completion when that is not its end.
function educationDates(it) {
	const completed = it.completionMonthYear && it.completionMonthYear !== it.endMonthYear ? `completed ${formatMonth(it.completionMonthYear)}` : '';
	return [monthRange(it.startMonthYear, it.endMonthYear), completed].filter(Boolean).join(', ');
}

// The service's description, read once when a form first needs it; a
// failed read is not kept, so the next form reads it again.
let metadata;
function loadMetadata() {
	metadata ??= session.metadata().then((text) => new DOMParser().parseFromString(text, 'application/xml'), (err) => {
		metadata = null;
		throw err;
	});
	return metadata;
}

const inherited = new Set(['id', 'allowedAudiences', 'inference', 'createdDateTime', 'createdBy', 'lastModifiedDateTime', 'lastModifiedBy', 'source', 'sources', 'isSearchable']);

// fieldsOf returns the form's fields of collection name, with the members
// of their enums.
export async function fieldsOf(name) {
	const doc = await loadMetadata();
	const types = new Map([...doc.querySelectorAll('EntityType, ComplexType, EnumType')].map((t) => [t.getAttribute('Name'), t]));
	const enumMembers = (typeName) => [...(types.get(typeName)?.querySelectorAll('Member') ?? [])].map((m) => m.getAttribute('Name')).filter((m) => m !== 'unknownFutureValue');
	if (curated[name]) {
		return curated[name].fields.map((f) => (f.enumType ? { ...f, options: enumMembers(f.enumType) } : f));
	}
	const profile = types.get('profile');
	const nav = [...profile.querySelectorAll('NavigationProperty')].find((n) => n.getAttribute('Name') === name);
	const typeName = /Collection\(microsoft\.graph\.(\w+)\)/.exec(nav?.getAttribute('Type') ?? '')?.[1];
	if (!typeName) throw new Error(`the service describes no collection '${name}'`);
	const fields = [];
	const walk = (typeEl, owner, path, depth) => {
		for (const p of typeEl.querySelectorAll(':scope > Property')) {
			const prop = p.getAttribute('Name');
			if (depth === 0 && inherited.has(prop)) continue;
			if (p.querySelector('Annotation[Term="Org.OData.Core.V1.Permissions"]')) continue; // read-only
			const type = p.getAttribute('Type');
			const at = [...path, prop];
			const label = [...path.map(words), words(prop)].join(': ');
			const graphType = /^microsoft\.graph\.(\w+)$/.exec(type)?.[1];
			if (type === 'Edm.String') fields.push({ path: at, owner, label, kind: /description|content|notes|summary/i.test(prop) ? 'textarea' : 'text' });
			else if (type === 'Edm.Date') fields.push({ path: at, owner, label, kind: 'text', hint: 'A date: YYYY-MM-DD.' });
			else if (type === 'Edm.Boolean') fields.push({ path: at, owner, label, kind: 'bool' });
			else if (type === 'Edm.Int32' || type === 'Edm.Double') fields.push({ path: at, owner, label, kind: 'number' });
			else if (type === 'Collection(Edm.String)') fields.push({ path: at, owner, label, kind: 'list', hint: 'Separate them with commas.' });
			else if (graphType && types.get(graphType)?.localName === 'EnumType') fields.push({ path: at, owner, label, kind: 'enum', options: enumMembers(graphType), required: p.getAttribute('Nullable') === 'false' });
			else if (graphType && types.get(graphType)?.localName === 'ComplexType' && depth < 1) walk(types.get(graphType), graphType, at, depth + 1);
		}
	};
	walk(types.get(typeName), typeName, [], 0);
	fields.push(audienceField(typeName));
	return fields;
}

// fieldValue is what a field holds, as the API takes it; null when empty.
function fieldValue(f, input) {
	if (f.kind === 'bool') return input.checked;
	const raw = input.value.trim();
	if (raw === '') return null;
	switch (f.kind) {
		case 'month':
			return /^\d{4}-\d{2}$/.test(raw) ? `${raw}-01` : raw;
		case 'number':
			return Number.isNaN(Number(raw)) ? raw : Number(raw);
		case 'list':
			return raw.split(',').map((s) => s.trim()).filter(Boolean);
		default:
			return raw;
	}
}

const getPath = (obj, path) => path.reduce((o, k) => (o == null ? undefined : o[k]), obj);

function setPath(obj, path, value) {
	let o = obj;
	for (const k of path.slice(0, -1)) o = o[k] ??= {};
	o[path.at(-1)] = value;
}

// facetForm makes the form that adds an item of collection name, or edits
// options.item. onSubmit(body) sends it and resolves to the API's answer;
// onSaved(answer) follows a success; onError(err) may take an error over
// (a 401 signs out) by returning true.
export function facetForm(name, fields, { item, submitLabel, onSubmit, onSaved, onCancel, onError }) {
	const editing = Boolean(item);
	const facet = describe(name);
	const headingId = uid('form-heading');
	const top = h('p', { role: 'alert', class: 'form-error', hidden: true });
	const form = h('form', { class: 'facet-form', novalidate: true, 'aria-labelledby': headingId },
		h('h3', { id: headingId }, editing ? `Edit ${facet.singular} ${facet.itemLabel(item)}` : `Add ${aOrAn(facet.singular)}`),
		top);
	const controls = fields.map((f) => {
		const id = uid(`field-${f.path.join('-')}`);
		const hintId = f.hint ? uid('hint') : null;
		const errorId = uid('error');
		const value = getPath(item, f.path);
		let input;
		switch (f.kind) {
			case 'textarea':
				input = h('textarea', { id, rows: '3' });
				input.value = value ?? '';
				break;
			case 'bool':
				// A box the card reads its own way (shown) is ticked as the
				// card would show the item: a new position, without an end,
				// is one the card calls current.
				input = h('input', { id, type: 'checkbox' });
				input.checked = f.shown ? f.shown(item ?? {}) : value === true;
				break;
			case 'enum':
				// A property $metadata declares never null (an email's or a
				// phone's type) cannot be unset: a new item may leave it out
				// (the service's default), an edited one only change it.
				input = h('select', { id }, f.required && editing ? [] : h('option', { value: '' }, 'Not set'), f.options.map((m) => h('option', { value: m }, words(m))));
				input.value = value ?? '';
				break;
			case 'audience': {
				// A combination of audiences ("organization,everyone") is
				// offered as it is.
				const current = editing ? (value ?? 'me') : audiences[0][0];
				input = h('select', { id }, audiences.map(([v, text]) => h('option', { value: v }, text)));
				if (!audiences.some(([v]) => v === current)) input.append(h('option', { value: current }, audienceLabel(current)));
				input.value = current;
				break;
			}
			case 'month':
				input = h('input', { id, type: 'text', inputmode: 'numeric', autocomplete: 'off', placeholder: 'YYYY-MM' });
				input.value = typeof value === 'string' && /^\d{4}-\d{2}-01$/.test(value) ? value.slice(0, 7) : (value ?? '');
				break;
			case 'list':
				input = h('input', { id, type: 'text' });
				input.value = Array.isArray(value) ? value.join(', ') : '';
				break;
			default:
				input = h('input', { id, type: 'text', inputmode: f.kind === 'number' ? 'decimal' : null });
				input.value = value ?? '';
		}
		input.name = f.path.join('.');
		// What the field shows before the user touches it: an edit sends
		// only what differs from it (a cleared audience shown as "Only me"
		// is not sent as "me" unless the user changed it).
		const shown = fieldValue(f, input);
		const describedBy = () => [hintId, input.getAttribute('aria-invalid') ? errorId : null].filter(Boolean).join(' ');
		if (hintId) input.setAttribute('aria-describedby', hintId);
		const error = h('p', { id: errorId, class: 'field-error', hidden: true });
		const hint = hintId ? h('p', { id: hintId, class: 'hint' }, f.hint) : null;
		const wrap = f.kind === 'bool'
			? h('div', { class: 'field check' }, input, h('label', { for: id }, f.label), hint, error)
			: h('div', { class: 'field' }, h('label', { for: id }, f.label), input, hint, error);
		return {
			field: f, input, wrap,
			showError(message) {
				error.textContent = message;
				error.hidden = false;
				input.setAttribute('aria-invalid', 'true');
				input.setAttribute('aria-describedby', describedBy());
			},
			clearError() {
				error.hidden = true;
				error.textContent = '';
				input.removeAttribute('aria-invalid');
				if (describedBy()) input.setAttribute('aria-describedby', describedBy());
				else input.removeAttribute('aria-describedby');
			},
			// value is the field's value for the body; undefined leaves it
			// out: an empty field of a new item, and, of an edited one, a
			// field the user did not change (the PATCH names only changes).
			// An unticked box of a new item is left out too, unless the card
			// reads its absence otherwise (shown): a position without
			// isCurrent and an end is current, so unticked sends false.
			value() {
				const v = fieldValue(f, input);
				if (!editing) return v === null || (v === false && !f.shown) ? undefined : v;
				return JSON.stringify(v) === JSON.stringify(shown) ? undefined : v;
			},
		};
	});
	// A new item's box that the card reads its own way (shown) follows the
	// other fields until the user ticks or unticks it: a position given an
	// end is no longer one the card calls current, and a past job added
	// with the box as it started was sent isCurrent: true.
	if (!editing) {
		for (const c of controls.filter((o) => o.field.kind === 'bool' && o.field.shown)) {
			let touched = false;
			c.input.addEventListener('change', () => { touched = true; });
			form.addEventListener('input', (e) => {
				if (touched || e.target === c.input) return;
				const sofar = {};
				for (const o of controls) {
					if (o === c) continue;
					const v = fieldValue(o.field, o.input);
					if (v !== null && v !== undefined) setPath(sofar, o.field.path, v);
				}
				c.input.checked = c.field.shown(sofar);
			});
		}
	}
	const grid = h('div', { class: 'fields' }, controls.map((c) => c.wrap));
	const submit = h('button', { type: 'submit', class: 'primary' }, submitLabel);
	form.append(grid, h('div', { class: 'actions' }, submit, h('button', { type: 'button', onclick: onCancel }, 'Cancel')));
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		top.hidden = true;
		for (const c of controls) c.clearError();
		const body = {};
		for (const c of controls) {
			const v = c.value();
			if (v !== undefined) setPath(body, c.field.path, v);
		}
		// While the API has the request the form says so, and takes no
		// second submit (Enter again would add the item twice).
		submit.disabled = true;
		submit.textContent = 'Saving…';
		form.setAttribute('aria-busy', 'true');
		try {
			const answer = await onSubmit(body);
			await onSaved(answer ?? body);
		} catch (err) {
			if (onError?.(err)) return;
			const c = err.status === 400 ? controlFor(controls, err.message) : null;
			if (c) {
				c.showError(err.message);
				c.input.focus();
			} else {
				top.textContent = err.status ? `${err.message} (${err.status} ${err.code})` : err.message;
				top.hidden = false;
				top.setAttribute('tabindex', '-1');
				top.focus();
			}
		} finally {
			submit.disabled = false;
			submit.textContent = submitLabel;
			form.removeAttribute('aria-busy');
		}
	});
	return form;
}

// controlFor finds the control of the property a Graph error names
// ("… for property 'startMonthYear' of type 'microsoft.graph.positionDetail'"):
// the one of that property of that type, else of that property.
function controlFor(controls, message) {
	const m = /property(?: named)? '([^']+)'(?: of type '([^']+)')?/.exec(message);
	if (!m) return null;
	const [, prop, type] = m;
	const owner = type?.split('.').pop();
	return controls.find((c) => c.field.path.at(-1) === prop && c.field.owner === owner)
		?? controls.find((c) => c.field.path.at(-1) === prop) ?? null;
}
