package stored

import (
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/graphprofile/graphprofile"
)

// A scan (Store.ScanItems, Store.ScanUsers) reads a collection in pages in
// its order, each page a query that starts after the last row of the one
// before (keyset), so a page costs its own rows whatever the collection's
// size, and no connection or read transaction is held while the caller
// visits what was read. Pages grow: a list that stops early (a $top of 10)
// reads a small first page, one that reads on reads ever fewer queries.
const (
	// FirstPageRows is the most rows the first page of a scan holds.
	FirstPageRows = 16
	// MaxPageRows is the most rows any page holds.
	MaxPageRows = 256
	// PageBytes bounds the documents a page holds (a page ends early past
	// it), so that big items cannot make a page big.
	PageBytes = 4 << 20
)

// nextPageRows returns the most rows the page after one of at most rows
// rows holds.
func nextPageRows(rows int) int { return min(4*rows, MaxPageRows) }

// PageFull reports whether a page of at most limit rows that holds rows rows
// of bytes bytes of documents is full: the scan reads no more rows into it,
// and another page may follow.
func PageFull(rows, limit, bytes int) bool { return rows >= limit || bytes >= PageBytes }

// RawItem is a row of a page of items: where the item stands in the list
// order and its document, not decoded yet (a scan decodes only what it
// visits).
type RawItem struct {
	Position graphprofile.ItemPosition
	Document []byte
}

// RawUser is a row of a page of users: its id and document.
type RawUser struct {
	ID       string
	Document []byte
}

// Rows is the result of a store's page query: database/sql's *sql.Rows
// and pgx's Rows both are one.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ReadPage reads the rows of a page query that asked for at most limit
// rows, each with scan, which returns the row and the size of its
// document; the page ends early once PageFull says it is full. more says
// whether the page is full (another may follow). An error of rows or scan
// is returned as is, for the store to wrap as its own; rows are the
// caller's to close.
func ReadPage[T any](rows Rows, limit int, scan func(Rows) (T, int, error)) (page []T, more bool, err error) {
	bytes := 0
	for rows.Next() {
		if PageFull(len(page), limit, bytes) {
			return page, true, nil
		}
		row, size, err := scan(rows)
		if err != nil {
			return nil, false, err
		}
		bytes += size
		page = append(page, row)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	return page, PageFull(len(page), limit, bytes), nil
}

// ScanRawItem reads a row of created_at, id and document, the columns of
// a page of items.
func ScanRawItem(rows Rows) (RawItem, int, error) {
	var row RawItem
	err := rows.Scan(&row.Position.Created, &row.Position.ID, &row.Document)
	return row, len(row.Document), err
}

// ScanRawUser reads a row of id and document, the columns of a page of
// users.
func ScanRawUser(rows Rows) (RawUser, int, error) {
	var row RawUser
	err := rows.Scan(&row.ID, &row.Document)
	return row, len(row.Document), err
}

// ScanItems runs a scan of collection c after `after` (nil: from the first
// item): read(after, limit) reads the page of at most limit rows after a
// position (nil: the first) and says whether it is full; visit gets each
// item, decoded, with its row, until it returns false or an error
// (returned as is) or a page is not full. empty says that the first page
// had no row: the store then tells whether the owner exists.
func (n Name) ScanItems(c graphprofile.Collection, after *graphprofile.ItemPosition,
	read func(after *graphprofile.ItemPosition, limit int) ([]RawItem, bool, error),
	visit func(graphprofile.Item, RawItem) (bool, error)) (empty bool, err error) {
	for limit := FirstPageRows; ; limit = nextPageRows(limit) {
		page, more, err := read(after, limit)
		if err != nil {
			return false, err
		}
		if len(page) == 0 {
			return limit == FirstPageRows, nil
		}
		for _, row := range page {
			it, err := n.DecodeItem(c, row.Document)
			if err != nil {
				return false, err
			}
			if goOn, err := visit(it, row); err != nil || !goOn {
				return false, err
			}
		}
		if !more {
			return false, nil
		}
		after = &page[len(page)-1].Position
	}
}

// ScanUsers is ScanItems for users of tenantID ordered by id, after the id
// afterID ("": from the first).
func (n Name) ScanUsers(tenantID, afterID string,
	read func(afterID string, limit int) ([]RawUser, bool, error),
	visit func(graphprofile.User) (bool, error)) error {
	return scanUserPages(n, tenantID, afterID, read, func(row RawUser) (string, []byte, string) {
		return row.ID, row.Document, row.ID
	}, visit)
}

// scanUserPages reads the users of tenantID after `after` page by page
// (FirstPageRows, then nextPageRows), decodes each row and visits its
// user, until visit stops or read has no more; row gives a row's user id,
// its document and the position the scan goes on after.
func scanUserPages[P, R any](n Name, tenantID string, after P,
	read func(after P, limit int) ([]R, bool, error),
	row func(R) (id string, document []byte, next P),
	visit func(graphprofile.User) (bool, error)) error {
	for limit := FirstPageRows; ; limit = nextPageRows(limit) {
		page, more, err := read(after, limit)
		if err != nil {
			return err
		}
		for _, r := range page {
			id, document, _ := row(r)
			u, err := n.DecodeUser(tenantID, id, document)
			if err != nil {
				return err
			}
			if goOn, err := visit(u); err != nil || !goOn {
				return err
			}
		}
		if !more || len(page) == 0 {
			return nil
		}
		_, _, after = row(page[len(page)-1])
	}
}

// RawNamedUser is a row of a page of users in the order of their display
// names (Store.ScanUsersByName): its place in that order and its document.
type RawNamedUser struct {
	Position graphprofile.NamePosition
	Document []byte
}

// ScanRawNamedUser reads a row of name_key, id and document, the columns of
// a page of users in the order of their names.
func ScanRawNamedUser(rows Rows) (RawNamedUser, int, error) {
	var row RawNamedUser
	err := rows.Scan(&row.Position.Name, &row.Position.ID, &row.Document)
	return row, len(row.Document), err
}

// ScanUsersByName is ScanUsers for users of tenantID in the order of their
// display names' keys, then ids, after `after` (nil: from the first).
func (n Name) ScanUsersByName(tenantID string, after *graphprofile.NamePosition,
	read func(after *graphprofile.NamePosition, limit int) ([]RawNamedUser, bool, error),
	visit func(graphprofile.User) (bool, error)) error {
	return scanUserPages(n, tenantID, after, read, func(row RawNamedUser) (string, []byte, *graphprofile.NamePosition) {
		return row.Position.ID, row.Document, &row.Position
	}, visit)
}

// ScanUsersByPrincipalName is ScanUsersByName in the order of the users'
// principal names' keys (upn_key), in which the users without one (whose
// key is NULL, and "" in a position) come first, by id, then those with
// one, by key (unique in a tenant, so the key alone orders them);
// descending, those with a key in its reverse order, then those without,
// by id. The two are ranges of their own, each read in pages:
// readKeys reads the page of at most limit users with a key after `after`
// in the key's order (descending: reversed; nil: from the first),
// readNone the page of at most limit users without one after the id
// afterID ("": from the first). A page holds users of one range; the scan
// goes on to the other once its range is read.
func (n Name) ScanUsersByPrincipalName(tenantID string, descending bool, after *graphprofile.NamePosition,
	readKeys func(after *graphprofile.NamePosition, limit int) ([]RawNamedUser, bool, error),
	readNone func(afterID string, limit int) ([]RawNamedUser, bool, error),
	visit func(graphprofile.User) (bool, error)) error {
	// After a range's last page the scan asks once more from its last
	// user, and the range's read finds none: the other range then
	// follows, from its first user.
	then := func(page []RawNamedUser, err error, next func() ([]RawNamedUser, bool, error)) ([]RawNamedUser, bool, error) {
		switch {
		case err != nil:
			return nil, false, err
		case len(page) > 0:
			return page, true, nil
		}
		return next()
	}
	read := func(after *graphprofile.NamePosition, limit int) ([]RawNamedUser, bool, error) {
		switch {
		case !descending && (after == nil || after.Name == ""):
			afterID := ""
			if after != nil {
				afterID = after.ID
			}
			page, _, err := readNone(afterID, limit)
			return then(page, err, func() ([]RawNamedUser, bool, error) { return readKeys(nil, limit) })
		case !descending:
			return readKeys(after, limit)
		case after == nil || after.Name != "":
			page, _, err := readKeys(after, limit)
			return then(page, err, func() ([]RawNamedUser, bool, error) { return readNone("", limit) })
		}
		return readNone(after.ID, limit)
	}
	return scanUserPages(n, tenantID, after, read, func(row RawNamedUser) (string, []byte, *graphprofile.NamePosition) {
		return row.Position.ID, row.Document, &row.Position
	}, visit)
}

// UserKeyColumns are the columns of a user's keys that
// Store.ScanUsersByPrefix ranges over, by the name they key
// (graphprofile.IsUserNameProperty, graphprofile.UserNameKey), each the
// second column of an index (tenant, key, …).
var UserKeyColumns = map[string]string{"displayName": "name_key", "userPrincipalName": "upn_key"}

// ScanUsersByPrefix is Store.ScanUsersByPrefix over read, which reads the
// page of at most limit users of the range of column (UserKeyColumns)
// whose key starts with prefix (PrefixRange), in the order of the key,
// then id, strictly after `after`. It returns an error naming the store for
// a property no column keys.
func (n Name) ScanUsersByPrefix(tenantID, property, prefix string,
	read func(column string, after graphprofile.NamePosition, limit int) ([]RawNamedUser, bool, error),
	visit func(graphprofile.User) (bool, error)) error {
	column, ok := UserKeyColumns[property]
	if !ok {
		return n.NoNameIndex(property)
	}
	if !utf8.ValidString(prefix) || strings.IndexByte(prefix, 0) >= 0 {
		return nil // no key holds it: keys are text, without NUL
	}
	// Every key that starts with prefix is at or after (prefix, ""): no
	// user has an empty id.
	return scanUserPages(n, tenantID, graphprofile.NamePosition{Name: prefix}, func(after graphprofile.NamePosition, limit int) ([]RawNamedUser, bool, error) {
		return read(column, after, limit)
	}, func(row RawNamedUser) (string, []byte, graphprofile.NamePosition) {
		return row.Position.ID, row.Document, row.Position
	}, visit)
}

// NoNameIndex is the error of a scan of users by a property that is not
// one of their names (graphprofile.IsUserNameProperty): the store keeps no
// index of its key.
func (n Name) NoNameIndex(property string) error {
	return fmt.Errorf("%s: no index of the users' %q", n, property)
}

// PrefixEnd returns the least string that follows, in byte order, every
// string that starts with prefix, for a range [prefix, end) of an index;
// ok is false when none does (prefix is empty or all U+10FFFF) or prefix
// is not UTF-8 (which no key is), and the range is then [prefix, …). It is
// valid UTF-8 when prefix is, as a
// PostgreSQL text must be: prefix with its last rune that has a successor
// replaced by that successor (UTF-8's byte order is that of the code
// points; the surrogates, which UTF-8 cannot hold, are skipped).
func PrefixEnd(prefix string) (end string, ok bool) {
	for prefix != "" {
		r, size := utf8.DecodeLastRuneInString(prefix)
		prefix = prefix[:len(prefix)-size]
		switch {
		case r == utf8.RuneError && size == 1:
			return "", false // not UTF-8: no key of a store holds it
		case r < unicode.MaxRune:
			next := r + 1
			if next == 0xD800 {
				next = 0xE000
			}
			return prefix + string(next), true
		}
	}
	return "", false
}

// CollectionFull is CreateItem's refusal of an item that collection c of
// owner's profile has no room for: it holds maxItems items. It wraps
// graphprofile.ErrCollectionFull and nothing of the database.
func (n Name) CollectionFull(owner graphprofile.UserKey, c graphprofile.Collection, maxItems int) error {
	return fmt.Errorf("%s: %s of user %q of tenant %q already holds %d items: %w",
		n, c.Name, owner.UserID, owner.TenantID, maxItems, graphprofile.ErrCollectionFull)
}

// PageFrom is the position a page of items in order starts after: after
// itself, or for the first page (after nil) a position every item is after
// in that order, (MinInt64, "") oldest first and (MaxInt64, "") newest
// first, so that a store's one page query serves the first page too.
func PageFrom(order graphprofile.ItemOrder, after *graphprofile.ItemPosition) graphprofile.ItemPosition {
	switch {
	case after != nil:
		return *after
	case order == graphprofile.NewestFirst:
		return graphprofile.ItemPosition{Created: math.MaxInt64}
	}
	return graphprofile.ItemPosition{Created: math.MinInt64}
}
