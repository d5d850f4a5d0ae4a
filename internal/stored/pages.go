package stored

import (
	"fmt"

	"github.com/graphprofile/graphprofile"
)

// A scan (Store.ScanItems, Store.ScanUsers) reads a collection in pages in
// its order, each page a query that starts after the last row of the one
// before (keyset), so a page costs its own rows whatever the collection's
// size, and no connection or read transaction is held while the caller
// visits what was read.
const (
	// PageRows is the most rows a page holds: enough that a collection of
	// the cached size (200 items) is read whole by one query, few enough
	// that a list that stops early (a $top) wastes little.
	PageRows = 256
	// PageBytes bounds the documents a page holds (a page ends early past
	// it), so that big items cannot make a page big.
	PageBytes = 4 << 20
)

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

// PageFull reports whether a page that holds rows rows of bytes bytes of
// documents is full: the scan reads no more rows into it, and another page
// may follow.
func PageFull(rows, bytes int) bool { return rows >= PageRows || bytes >= PageBytes }

// VisitItems visits the items of page (decoded as items of collection c),
// and of the pages after it, which next reads (next(p) is the page after
// position p), until visit returns false or an error (returned as is) or
// a page is not full (more is false: the collection ends there).
func (n Name) VisitItems(c graphprofile.Collection, page []RawItem, more bool,
	next func(after graphprofile.ItemPosition) ([]RawItem, bool, error),
	visit func(graphprofile.Item) (bool, error)) error {
	for {
		for _, row := range page {
			it, err := n.DecodeItem(c, row.Document)
			if err != nil {
				return err
			}
			if goOn, err := visit(it); err != nil || !goOn {
				return err
			}
		}
		if !more || len(page) == 0 {
			return nil
		}
		var err error
		if page, more, err = next(page[len(page)-1].Position); err != nil {
			return err
		}
	}
}

// VisitUsers is VisitItems for users of tenantID: next(id) is the page
// after the user id.
func (n Name) VisitUsers(tenantID string, page []RawUser, more bool,
	next func(afterID string) ([]RawUser, bool, error),
	visit func(graphprofile.User) (bool, error)) error {
	for {
		for _, row := range page {
			u, err := n.DecodeUser(tenantID, row.ID, row.Document)
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
		var err error
		if page, more, err = next(page[len(page)-1].ID); err != nil {
			return err
		}
	}
}

// CollectionFull is CreateItem's refusal of an item that collection c of
// owner's profile has no room for: it holds maxItems items. It wraps
// graphprofile.ErrCollectionFull and nothing of the database.
func (n Name) CollectionFull(owner graphprofile.UserKey, c graphprofile.Collection, maxItems int) error {
	return fmt.Errorf("%s: %s of user %q of tenant %q already holds %d items: %w",
		n, c.Name, owner.UserID, owner.TenantID, maxItems, graphprofile.ErrCollectionFull)
}
