package graphapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/odata"
)

// getProfile answers GET …/profile: the profile's id and its collections,
// each exactly as listing it shows it to the caller, as far as the bound of
// what it shows (writeProfile) lets it: each collection is read only that
// far, and one item more, whatever the profile's size. A read that goes
// past profileReadFreeBytes of what it shows stops, drops what it read, and
// reads again from the start in an evaluation slot, as a big page is read:
// reads of big profiles take turns, and one waiting for its turn holds
// nothing it read.
func (s *Server) getProfile(ctx context.Context, ex *exchange, c call) error {
	shown := shownCollections(c.query)
	collections := make([]graphprofile.Collection, len(shown))
	for i, e := range shown {
		collections[i], _ = graphprofile.FindCollection(e.Property)
	}
	read := func(free bool) (graphprofile.Profile, error) {
		used := 0 // the estimated bytes of what is shown so far (odata.EntitySize)
		return s.Service.GetProfile(ctx, c.access, collections, func(i int, item graphprofile.Object) (bool, error) {
			size := odata.EntitySize(collections[i].Type, item, shown[i].Select)
			if free && used+size > profileReadFreeBytes {
				return false, errProfileNotFree
			}
			if used+size > odata.MaxPageBytes {
				return false, nil
			}
			used += size
			return true, nil
		})
	}
	p, err := read(true)
	if errors.Is(err, errProfileNotFree) {
		var release func()
		if release, err = s.takeEvaluationSlot(ctx); err != nil {
			return err
		}
		p, err = read(false)
		release()
	}
	if err != nil {
		return err
	}
	ex.writeProfile(c.access.Owner(), c.query, shown, p)
	return nil
}

// profileReadFreeBytes is how much of what it shows (by odata.EntitySize) a
// profile read may read without an evaluation slot: far more than a real
// profile's whole (the load generator's profile of 190 items, 10 in each
// collection, is well under it), and a quarter of a page.
const profileReadFreeBytes = 1 << 20

// errProfileNotFree stops a profile read that goes past what it may read
// without an evaluation slot.
var errProfileNotFree = errors.New("the profile is read in an evaluation slot")

// deleteProfile answers DELETE …/profile: 204 once every collection of the
// profile is empty.
func (s *Server) deleteProfile(ctx context.Context, ex *exchange, c call) error {
	if err := s.Service.DeleteProfile(ctx, c.access, HeaderList(ex.r.Header, "If-Match")); err != nil {
		return err
	}
	ex.w.WriteHeader(http.StatusNoContent)
	return nil
}

// shownCollections are the collections (navigation properties of
// ProfileType) a GET of the profile returns inline, in schema order, each
// with its nested $select: those $expand names; else, with $select, those
// it names; else every one, as Graph's profile service does.
func shownCollections(q odata.Query) []odata.Expansion {
	var shown []odata.Expansion
	for _, p := range graphprofile.ProfileType.Properties {
		if !p.Navigation {
			continue
		}
		switch {
		case q.Expand != nil:
			if i := slices.IndexFunc(q.Expand, func(e odata.Expansion) bool { return e.Property == p.Name }); i >= 0 {
				shown = append(shown, q.Expand[i])
			}
		case q.Select == nil || slices.Contains(q.Select, p.Name):
			shown = append(shown, odata.Expansion{Property: p.Name})
		}
	}
	return shown
}

// profileContext is the @odata.context of owner's profile, without its
// selection; Graph roots it at the user's object id even for /me or a UPN.
func (ex *exchange) profileContext(owner graphprofile.User) string {
	return ex.baseURL() + "/beta/$metadata#users('" + odataQuoted(owner.ID) + "')/profile"
}

// odataQuoted is s as the inside of an OData string literal: each ' doubled
// (s itself, with no copy, when it has none, as a GUID never has).
func odataQuoted(s string) string { return strings.ReplaceAll(s, "'", "''") }

// profileSelection is the select list of the profile's context URL, as
// OData 4.0 writes it: the $select list (Query.Select), and each expanded
// collection with a nested $select followed by that list in parentheses
// (OData 4.0 leaves expansions without one out).
func profileSelection(q odata.Query) string {
	items := slices.Clone(q.Select)
	for _, e := range q.Expand {
		if e.Select == nil {
			continue
		}
		nested := e.Property + selection(e.Select)
		if i := slices.Index(items, e.Property); i >= 0 {
			items[i] = nested
		} else {
			items = append(items, nested)
		}
	}
	if len(items) == 0 {
		return ""
	}
	return selection(items)
}

// writeProfile writes the profile: its id, then each shown collection, its
// items with their @odata.etag as in a list. What it shows of the
// collections together is bounded as a list's page is (odata.MaxPageBytes
// of items, by odata.EntitySize, the estimated bytes of what is shown of
// them; getProfile reads no further): a collection that does not fit whole (p.Cut)
// shows its first items (or none) and "<collection>@odata.nextLink", its
// list from the next item on, as OData pages an expanded collection.
// Without the bound a profile of more than the answers' budget (32 MiB)
// could never be answered.
func (ex *exchange) writeProfile(owner graphprofile.User, q odata.Query, shown []odata.Expansion, p graphprofile.Profile) {
	ex.writeJSON(http.StatusOK, func(buf []byte) []byte {
		buf = append(buf, `{"@odata.context":`...)
		buf = graphprofile.AppendJSONString(buf, ex.profileContext(owner)+profileSelection(q)+"/$entity")
		buf = append(buf, `,"id":`...)
		buf = graphprofile.AppendJSONString(buf, graphprofile.ProfileID)
		for _, e := range shown {
			itemType := graphprofile.ProfileType.Property(e.Property).Type
			items := p.Collections[e.Property]
			buf = append(buf, ',')
			buf = graphprofile.AppendJSONString(buf, e.Property)
			buf = append(buf, ":["...)
			var ok bool
			buf, ok = appendEach(ex, buf, items, func(buf []byte, item graphprofile.Object) []byte {
				return appendItem(buf, itemType, graphprofile.Item(item), graphprofile.Item(item).ETag(), "", e.Select)
			})
			if !ok {
				return buf
			}
			buf = append(buf, ']')
			if p.Cut[e.Property] {
				buf = append(buf, ',')
				buf = graphprofile.AppendJSONString(buf, e.Property+"@odata.nextLink")
				buf = append(buf, ':')
				buf = graphprofile.AppendJSONString(buf, ex.collectionLink(owner, e, items))
			}
		}
		return append(buf, '}')
	})
}

// collectionLink is the absolute URL of the list of the collection e names
// of this profile (the request's own path, /me or /users/{key}, and the
// expansion's $select), from the item after shown's last (the start when
// shown is empty).
func (ex *exchange) collectionLink(owner graphprofile.User, e odata.Expansion, shown []graphprofile.Object) string {
	coll, _ := graphprofile.FindCollection(e.Property)
	link := ex.baseURL() + strings.TrimSuffix(ex.r.URL.EscapedPath(), "/") + "/" + e.Property
	var options []string
	if e.Select != nil {
		options = append(options, "$select="+url.QueryEscape(strings.Join(e.Select, ",")))
	}
	if len(shown) > 0 {
		list, err := odata.Parse("", coll.Type, odata.OptOrderBy)
		if err == nil {
			options = append(options, "$skiptoken="+list.SkipTokenAfter(ex.server.listBinding(owner, coll), shown[len(shown)-1]))
		}
	}
	if len(options) > 0 {
		link += "?" + strings.Join(options, "&")
	}
	return link
}
