package stored

import "github.com/graphprofile/graphprofile"

// Row is a position as a store writes it.
type Row struct {
	Position graphprofile.WorkPosition
	// CreatedAt is the created_at column, createdDateTime in Unix
	// nanoseconds: the list order.
	CreatedAt int64
	// Document is the document column: the position's stored JSON
	// (graphprofile.EncodeStoredPosition) as text, because both stores keep
	// it in a TEXT column (SQLite's STRICT table refuses a BLOB there).
	Document string
}

// NewRow returns the row of p; an error when p has no createdDateTime an
// int64 of nanoseconds holds.
func (n Name) NewRow(p graphprofile.WorkPosition) (Row, error) {
	created, err := p.CreatedUnixNano()
	if err != nil {
		return Row{}, n.Wrap(err)
	}
	return Row{Position: p, CreatedAt: created, Document: string(graphprofile.EncodeStoredPosition(p))}, nil
}

// DecodePosition reads back a document column. A failure is an internal
// error (a corrupt store), never a caller's BadRequest.
func (n Name) DecodePosition(doc []byte) (graphprofile.WorkPosition, error) {
	p, err := graphprofile.DecodeStoredPosition(doc)
	if err != nil {
		return nil, n.Wrap(err)
	}
	return p, nil
}

// UpdatedPosition calls update (a Store.UpdatePosition caller's function)
// with cur, the stored position id, and returns the row of what it returns.
// An error from update is returned as is; a position whose id update
// changed, or that NewRow refuses, is an error of the store.
func (n Name) UpdatedPosition(id string, cur graphprofile.WorkPosition, update func(graphprofile.WorkPosition) (graphprofile.WorkPosition, error)) (Row, error) {
	p, err := update(cur)
	if err != nil {
		return Row{}, err
	}
	if p.ID() != id {
		return Row{}, n.Errorf("UpdatePosition: update changed the id of position %q to %q", id, p.ID())
	}
	return n.NewRow(p)
}
