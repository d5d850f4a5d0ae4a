// Building the page's elements. Text always goes in as text (never as
// HTML), so nothing a profile holds can run as script.

// h makes an element: h('a', {href: '#/people', class: 'x'}, 'text', child…).
// Attributes whose value is null, undefined or false are left out; true
// sets an empty attribute; on* attributes given a function add listeners.
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	for (const [name, value] of Object.entries(attrs ?? {})) {
		if (value == null || value === false) continue;
		if (name.startsWith('on') && typeof value === 'function') {
			el.addEventListener(name.slice(2), value);
		} else if (name === 'dataset') {
			Object.assign(el.dataset, value);
		} else {
			el.setAttribute(name, value === true ? '' : String(value));
		}
	}
	append(el, children);
	return el;
}

// isolated is text a person wrote, set apart for the direction of
// writing: a value that turns right to left, or overrides the direction of
// what follows it (an unclosed U+202E), stays within its own <bdi> and
// does not reorder the page's words and buttons beside it.
export function isolated(text) {
	return text == null || text === '' ? null : h('bdi', {}, text);
}

// isolatedText is text a person wrote, for where no element can hold it
// (the page's title, an <option>, a confirm(), a sentence of the page's
// own): set apart by U+2068 … U+2069 (FIRST STRONG ISOLATE … POP
// DIRECTIONAL ISOLATE) when it holds a control that changes the direction
// of what follows it, which then ends with it. Other text is left as it
// is: a name written right to left does not reorder what follows it.
export function isolatedText(text) {
	return /[\u202a-\u202e\u2066-\u2069]/.test(text) ? `\u2068${text}\u2069` : text;
}

// joined is values (those given) each isolated, with sep between them: "a · b".
export function joined(values, sep) {
	return values.filter(Boolean).flatMap((v, i) => (i === 0 ? [isolated(v)] : [sep, isolated(v)]));
}

function append(el, children) {
	for (const child of children) {
		if (child == null || child === false) continue;
		if (Array.isArray(child)) append(el, child);
		else el.append(child instanceof Node ? child : String(child));
	}
}

// ids makes element ids unique on the page, for labels and descriptions.
let next = 0;
export function uid(prefix) {
	next += 1;
	return `${prefix}-${next}`;
}

const monthYear = new Intl.DateTimeFormat('en', { month: 'short', year: 'numeric', timeZone: 'UTC' });
const dayMonthYear = new Intl.DateTimeFormat('en', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

// formatMonth shows an Edm.Date ("2020-01-01") as "Jan 2020".
export function formatMonth(date) {
	const d = parseDate(date);
	return d ? monthYear.format(d) : (date ?? '');
}

// formatDate shows an Edm.Date as "Jan 1, 2020".
export function formatDate(date) {
	const d = parseDate(date);
	return d ? dayMonthYear.format(d) : (date ?? '');
}

// monthRange shows a span of Edm.Dates by month: "Sep 1996 – Jun 2000",
// "Apr 2023 – Present" (current, without an end), "Since Apr 2023",
// "Until Jun 2000"; empty when neither end is given.
export function monthRange(start, end, current = false) {
	const from = start ? formatMonth(start) : '';
	const to = end ? formatMonth(end) : current ? 'Present' : '';
	if (!from && !to) return '';
	if (!to) return `Since ${from}`;
	if (!from && !end) return to; // current, no dates given: "Present", not "Until Present"
	return from ? `${from} – ${to}` : `Until ${to}`;
}

function parseDate(date) {
	if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date)) return null;
	const d = new Date(`${date}T00:00:00Z`);
	return Number.isNaN(d.getTime()) ? null : d;
}

// words turns a camelCase name into words: "educationalActivities" →
// "Educational activities".
export function words(name) {
	const s = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
	return s.charAt(0).toUpperCase() + s.slice(1);
}
