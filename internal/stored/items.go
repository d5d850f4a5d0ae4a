package stored

import (
	"sync"

	"github.com/graphprofile/graphprofile"
)

// Row is an item as a store writes it.
type Row struct {
	Item graphprofile.Item
	// CreatedAt is the created_at column, createdDateTime in Unix
	// nanoseconds: the list order.
	CreatedAt int64
	// Document is the document column: the item's stored JSON
	// (graphprofile.AppendStoredItem) as text, because both stores keep it
	// in a TEXT column (SQLite's STRICT table refuses a BLOB there).
	Document string
}

// NewRow returns the row of item it of collection c; an error when it has
// no createdDateTime an int64 of nanoseconds holds.
func (n Name) NewRow(c graphprofile.Collection, it graphprofile.Item) (Row, error) {
	created, err := it.CreatedUnixNano()
	if err != nil {
		return Row{}, n.Wrap(err)
	}
	bp := documentBuffers.Get().(*[]byte)
	buf := graphprofile.AppendStoredItem((*bp)[:0], c.Type, it)
	row := Row{Item: it, CreatedAt: created, Document: string(buf)}
	if cap(buf) <= maxPooledDocument {
		*bp = buf
		documentBuffers.Put(bp)
	}
	return row, nil
}

// documentBuffers are the buffers NewRow encodes into: the document column
// is a string of its exact size, copied out of one, instead of the buffer
// grown from nothing that encoding alone leaves for the collector.
var documentBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledDocument is the biggest buffer documentBuffers keeps.
const maxPooledDocument = 64 << 10

// DecodeItem reads back a document column of collection c. A failure is an
// internal error (a corrupt store), never a caller's BadRequest.
func (n Name) DecodeItem(c graphprofile.Collection, doc []byte) (graphprofile.Item, error) {
	it, err := graphprofile.DecodeStoredItem(c.Type, doc)
	if err != nil {
		return nil, n.Wrap(err)
	}
	return it, nil
}

// UpdatedItem calls update (a Store.UpdateItem caller's function) with cur,
// the stored item id of collection c, and returns the row of what it
// returns. An error from update is returned as is; an item whose id update
// changed, or that NewRow refuses, is an error of the store.
func (n Name) UpdatedItem(c graphprofile.Collection, id string, cur graphprofile.Item, update func(graphprofile.Item) (graphprofile.Item, error)) (Row, error) {
	it, err := update(cur)
	if err != nil {
		return Row{}, err
	}
	if it.ID() != id {
		return Row{}, n.Errorf("UpdateItem: update changed the id of %s item %q to %q", c.Name, id, it.ID())
	}
	return n.NewRow(c, it)
}
