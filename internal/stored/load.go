package stored

import (
	"github.com/graphprofile/graphprofile"
)

// TenantLoad is what Store.LoadProfiles writes to one tenant: its users,
// and the rows of their items.
type TenantLoad struct {
	TenantID string
	Users    []graphprofile.User
	Items    []LoadedItem
}

// LoadedItem is one item of a TenantLoad: its owner, its collection and its
// row.
type LoadedItem struct {
	UserID string
	Kind   string
	Row
}

// PrepareLoad checks profiles, Store.LoadProfiles' argument, and groups
// them by tenant, in the order of their tenants' first users; size is the
// size of the items' documents. Errors: a *graphprofile.ConflictError for
// two users of one tenant with one id or principal name (CheckImport), an
// error of the store for an item without an id, a repeated id within a
// collection, or an item NewRow refuses.
func (n Name) PrepareLoad(profiles []graphprofile.UserProfile) (loads []TenantLoad, size int, err error) {
	index := map[string]int{}
	for _, up := range profiles {
		if err := n.CheckUserKey("LoadProfiles", up.User); err != nil {
			return nil, 0, err
		}
		i, ok := index[up.User.TenantID]
		if !ok {
			i = len(loads)
			index[up.User.TenantID] = i
			loads = append(loads, TenantLoad{TenantID: up.User.TenantID})
		}
		l := &loads[i]
		l.Users = append(l.Users, CopyUser(up.User))
		for _, pc := range up.Profile {
			ids := make(map[string]bool, len(pc.Items))
			for _, it := range pc.Items {
				id := it.ID()
				if id == "" {
					return nil, 0, n.Errorf("LoadProfiles: a %s item of user %q has no id", pc.Collection.Name, up.User.ID)
				}
				if ids[id] {
					return nil, 0, n.Errorf("LoadProfiles: user %q has two %s items %q", up.User.ID, pc.Collection.Name, id)
				}
				ids[id] = true
				row, err := n.NewRow(pc.Collection, it)
				if err != nil {
					return nil, 0, err
				}
				size += len(row.Document)
				l.Items = append(l.Items, LoadedItem{UserID: up.User.ID, Kind: pc.Collection.Name, Row: row})
			}
		}
	}
	for _, l := range loads {
		if err := n.CheckImport(l.TenantID, l.Users); err != nil {
			return nil, 0, err
		}
	}
	return loads, size, nil
}
