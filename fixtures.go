package graphprofile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Fixtures are the users of one or more tenants and their profiles, as a
// fixtures file holds them (docs/fixtures.md): what serve --fixtures and
// the admin API load (Service.LoadFixtures) and graphprofile export writes
// (ExportFixtures, AppendFixturesJSON). ParseFixtures makes them from a
// file.
type Fixtures struct {
	Tenants []TenantFixtures
	// source is the file ParseFixtures read, to tell where in it a user
	// is that the store refuses (nil for Fixtures made otherwise).
	source *fixturesParser
}

// TenantFixtures are the users of one tenant.
type TenantFixtures struct {
	// ID is the tenant id (a token's tid).
	ID string
	// Issuer is the --issuer URL of serve whose tenant this is, as serve is
	// given it, less one trailing slash, which serve ignores too; empty for
	// the development issuer's (Principal.Realm).
	Issuer string
	// Users are the tenant's users and their profiles; each User's
	// TenantID is the tenant's key (Key).
	Users []UserProfile
}

// Key is the key of the tenant in a Store (Principal.TenantKey).
func (t TenantFixtures) Key() string {
	return Principal{TenantID: t.ID, Realm: t.Issuer}.TenantKey()
}

// UserProfile is a user and the items of its profile: what
// Store.LoadProfiles stores for one user.
type UserProfile struct {
	User User
	// idMade: the fixtures gave the user no id, and User.ID was made up;
	// LoadFixtures takes the id of the tenant's user of its principal
	// name instead, when there is one (fixturesIDs).
	idMade bool
	// Profile holds the items of the collections of the profile that have
	// any; a collection it leaves out is empty.
	Profile []ProfileCollection
}

// ProfileCollection is the items of one collection of a profile.
type ProfileCollection struct {
	Collection Collection
	Items      []Item
}

// FixturesError is a fixtures file's first problem: where it is (the line
// and column of the offending value or property name; columns count
// characters from 1), the path to it in the document
// ("tenants[0].users[3].profile.positions[2].detail.startMonthYear"), and
// what is wrong, in Graph's words where Graph validates the same thing. It
// wraps an *Error with CodeBadRequest whose message is the whole of
// Error(), so the admin API answers 400 with it.
type FixturesError struct {
	File         string
	Line, Column int
	Path         string
	Message      string
}

func (e *FixturesError) Error() string {
	where := fmt.Sprintf("%s:%d:%d: ", e.File, e.Line, e.Column)
	if e.Path != "" {
		where += e.Path + ": "
	}
	return where + e.Message
}

func (e *FixturesError) Unwrap() error { return &Error{Code: CodeBadRequest, Message: e.Error()} }

// The fixtures document as types of the schema, so that one decoder checks
// it all in one pass: a user is microsoft.graph.user with its profile
// beside its properties, and the profile's collections are those of
// ProfileType, without the bound on a collection's length that a request's
// values have.
var (
	fixtureProfileType = &Type{Name: ProfileType.Name, Kind: KindComplex, Properties: unbounded(ProfileType.Properties)}
	fixtureUserType    = &Type{Name: UserType.Name, Kind: KindComplex, IgnoreCase: true, Properties: append(slices.Clone(UserType.Properties),
		Property{Name: "profile", Type: fixtureProfileType})}
	fixtureTenantType = &Type{Name: "graphprofile.fixturesTenant", Kind: KindComplex, Properties: []Property{
		{Name: "id", Type: StringType},
		{Name: "issuer", Type: StringType, MaxLength: URLMaxLength},
		{Name: "users", Type: fixtureUserType, Collection: true, MaxItems: math.MaxInt},
	}}
	fixturesType = &Type{Name: "graphprofile.fixtures", Kind: KindComplex, Properties: []Property{
		{Name: "tenants", Type: fixtureTenantType, Collection: true, MaxItems: math.MaxInt},
	}}
)

// unbounded returns properties with no bound on the length of the
// collections.
func unbounded(properties []Property) []Property {
	out := slices.Clone(properties)
	for i := range out {
		if out[i].Collection {
			out[i].MaxItems = math.MaxInt
		}
	}
	return out
}

// ParseFixtures parses and validates a fixtures file, data, named name in
// its errors. Every user is validated as POST /users validates its body
// (NewUser) and every item as a create of its collection validates its
// body (DecodeBody), except that an item's id, createdDateTime,
// lastModifiedDateTime, createdBy and lastModifiedBy are kept when given.
// The first problem is returned as a *FixturesError.
func ParseFixtures(name string, data []byte) (Fixtures, error) {
	// An editor hides a byte order mark, so lines and columns count from
	// after it.
	data = SkipByteOrderMark(data)
	p := fixturesParser{name: name, data: data}
	d := decoder{data: data, managed: true}
	doc, err := d.document(fixturesType)
	if err != nil {
		msg := ErrorMessage(err)
		if d.syntax != "" {
			msg = "not valid JSON: " + d.syntax + "."
		}
		return Fixtures{}, p.errorAt(d.mark, msg)
	}
	f, err := p.fixtures(doc)
	if err != nil {
		return Fixtures{}, err
	}
	f.source = &p
	return f, nil
}

// fixturesParser turns a decoded fixtures document into Fixtures, finding
// the place of what it refuses in the file.
type fixturesParser struct {
	name string
	data []byte
}

func (p *fixturesParser) fixtures(doc Object) (Fixtures, error) {
	var f Fixtures
	seen := map[string]int{}
	for i, v := range list(doc["tenants"]) {
		at := fmt.Sprintf("tenants[%d]", i)
		o := v.(Object)
		t := TenantFixtures{}
		t.ID, _ = o["id"].(string)
		t.Issuer, _ = o["issuer"].(string)
		// serve ignores one trailing slash of an --issuer URL (its tenants
		// are keyed by the URL without it), and so does users import: the
		// file's issuer "as serve is given it" is the same tenant.
		if trimmed := strings.TrimSuffix(t.Issuer, "/"); trimmed != "" {
			t.Issuer = trimmed
		}
		if !ValidTenantID(t.ID) {
			return Fixtures{}, p.errorIn(at, "id", "A tenant needs an id: letters, digits and hyphens, as a token's tid.")
		}
		if room := userIDRoom(t.Key(), 0); room < guidBytes {
			return Fixtures{}, p.errorIn(at, "issuer", fmt.Sprintf("The tenant's key, its id and the issuer's URL, takes %d bytes of UTF-8: the keys of its users' items would take more than the %d bytes every store indexes.", len(t.Key()), MaxKeyBytes))
		}
		if earlier, ok := seen[t.Key()]; ok {
			return Fixtures{}, p.errorIn(at, "id", fmt.Sprintf("The tenant %s of this issuer is also tenants[%d]; give each tenant once.", t.ID, earlier))
		}
		seen[t.Key()] = i
		users := list(o["users"])
		for j, v := range users {
			up, err := p.userProfile(fmt.Sprintf("%s.users[%d]", at, j), t.Key(), v.(Object))
			if err != nil {
				return Fixtures{}, err
			}
			t.Users = append(t.Users, up)
		}
		all := make([]User, len(t.Users))
		for j, up := range t.Users {
			all[j] = up.User
		}
		if conflicts := ImportConflicts(all); len(conflicts) > 0 {
			c := conflicts[0]
			return Fixtures{}, p.errorIn(fmt.Sprintf("%s.users[%d]", at, c.Index), c.Conflict.Property,
				fmt.Sprintf("Another user of the tenant, users[%d], has the same %s.", c.Earlier, c.Conflict.Property))
		}
		f.Tenants = append(f.Tenants, t)
	}
	return f, nil
}

func (p *fixturesParser) userProfile(at, tenantKey string, o Object) (UserProfile, error) {
	profile, _ := o["profile"].(Object)
	delete(o, "profile")
	idMade := o["id"] == nil
	u, err := FixturesUser(tenantKey, o)
	if err != nil {
		return UserProfile{}, p.errorIn(at, "", ErrorMessage(err))
	}
	// The keys the stores index, with the tenant's (MaxKeyBytes).
	if room := userIDRoom(tenantKey, 0); len(u.ID) > room {
		return UserProfile{}, p.errorIn(at, "id", fmt.Sprintf("The id takes %d bytes of UTF-8, more than the %d a user's id may take in this tenant, whose key and the keys of the user's items take the rest of the %d bytes every store indexes.", len(u.ID), room, MaxKeyBytes))
	}
	if problem := displayNameProblem(u); problem != "" {
		return UserProfile{}, p.errorIn(at, "displayName", "The displayName "+problem)
	}
	if problem := principalNameProblem(u); problem != "" {
		return UserProfile{}, p.errorIn(at, "userPrincipalName", "The userPrincipalName "+problem)
	}
	up := UserProfile{User: u, idMade: idMade}
	for _, c := range profileCollections {
		values := list(profile[c.Name])
		if len(values) == 0 {
			continue
		}
		pc := ProfileCollection{Collection: c, Items: make([]Item, 0, len(values))}
		ids := make(map[string]int, len(values))
		for k, v := range values {
			itemAt := fmt.Sprintf("%s.profile.%s[%d]", at, c.Name, k)
			body := v.(Object)
			if err := CheckNotNull(c.Type, body); err != nil {
				return UserProfile{}, p.errorIn(itemAt, "", ErrorMessage(err))
			}
			it := Item(withoutNulls(body).(Object))
			if v, ok := body["allowedAudiences"]; ok && v == nil {
				// Cleared, as a PATCH with null clears it and an export
				// writes it: the item is its owner's alone, and stays so
				// (LoadFixtures gives the default only when it is absent).
				it["allowedAudiences"] = nil
			}
			if id, ok := it["id"].(string); ok {
				if id == "" {
					return UserProfile{}, p.errorIn(itemAt, "id", "An item's id, when given, must not be empty.")
				}
				// Kept as written, GUID or not: an item's id is matched
				// exactly (NormalizeID).
				if room := itemIDRoom(tenantKey, u.ID); len(id) > room {
					return UserProfile{}, p.errorIn(itemAt, "id", fmt.Sprintf("The id takes %d bytes of UTF-8, more than the %d an item's id of this user may take: the keys of its tenant, its user and its collection take the rest of the %d bytes every store indexes.", len(id), room, MaxKeyBytes))
				}
				if earlier, ok := ids[id]; ok {
					return UserProfile{}, p.errorIn(itemAt, "id", fmt.Sprintf("%s[%d] has the same id; ids are unique within a collection.", c.Name, earlier))
				}
				ids[id] = k
				it["id"] = id
			}
			for _, name := range []string{"createdDateTime", "lastModifiedDateTime"} {
				if t, ok := it[name].(time.Time); ok {
					// Kept to the 100 ns first: the earliest instant an
					// int64 holds is not a multiple of it.
					t = t.Truncate(100 * time.Nanosecond)
					if t.Before(firstKeptInstant) || t.After(lastKeptInstant) {
						return UserProfile{}, p.errorIn(itemAt, name, fmt.Sprintf("The %s must be from %s to %s, the instants the server keeps.", name,
							firstKeptInstant.Format(dateTimeOffsetLayout), lastKeptInstant.Format(dateTimeOffsetLayout)))
					}
					it[name] = t
				}
			}
			// Both given are kept, in whichever order: an export of a
			// store an earlier build loaded with them so must load again,
			// with the same ETags (made of lastModifiedDateTime).
			pc.Items = append(pc.Items, it)
		}
		up.Profile = append(up.Profile, pc)
	}
	return up, nil
}

// list returns a decoded collection's values (none for an absent or null one).
func list(v any) []any { l, _ := v.([]any); return l }

// ValidTenantID reports whether id can be a token's tid: letters, digits
// and hyphens, as the token layer requires.
func ValidTenantID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range []byte(id) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// errorIn is the error about property name (none: "") of the value at path
// at.
func (p *fixturesParser) errorIn(at, name, msg string) error {
	path := at
	if name != "" {
		path += "." + name
	}
	offset, ok := offsetOf(p.data, path)
	if !ok {
		offset, _ = offsetOf(p.data, at)
	}
	return p.errorAt(offset, msg)
}

// errorAt is the error about what starts at offset.
func (p *fixturesParser) errorAt(offset int, msg string) error {
	offset = min(max(offset, 0), len(p.data))
	line, column := p.lineColumn(offset)
	return &FixturesError{File: p.name, Line: line, Column: column, Path: pathAt(p.data, offset), Message: msg}
}

// lineColumn is where offset is in the file: its line and its column in
// characters, both from 1.
func (p *fixturesParser) lineColumn(offset int) (line, column int) {
	line, column = 1, 1
	before := p.data[:min(max(offset, 0), len(p.data))]
	if nl := bytes.LastIndexByte(before, '\n'); nl >= 0 {
		line += bytes.Count(before, []byte{'\n'})
		before = before[nl+1:]
	}
	return line, column + utf8.RuneCount(before)
}

// pathAt returns the path of the innermost member or element of the JSON
// document data that starts at or before offset and holds it (data is
// valid JSON up to offset at least): "" for an offset past the document's
// end or at its start.
func pathAt(data []byte, offset int) string {
	var open []string // the members and elements begun at or before offset and not yet ended
	w := jsonWalker{d: decoder{data: data}}
	w.visit = func(p string, start int) bool {
		if start > offset {
			return false
		}
		// A member is visited at its name and again at its value.
		if len(open) == 0 || open[len(open)-1] != p {
			open = append(open, p)
		}
		return true
	}
	w.ended = func(p string, end int) {
		if end <= offset && len(open) > 0 && open[len(open)-1] == p {
			open = open[:len(open)-1]
		}
	}
	w.value("")
	if len(open) == 0 {
		return ""
	}
	return open[len(open)-1]
}

// offsetOf returns where the member or element at path (names ignoring
// case) starts in data: its name, for a member.
func offsetOf(data []byte, path string) (int, bool) {
	offset, found := 0, false
	walkJSON(data, func(p string, start int) bool {
		if strings.EqualFold(p, path) {
			offset, found = start, true
			return false
		}
		return true
	})
	return offset, found
}

// walkJSON calls visit with the path and the start of every member's name,
// every value and every element of data in order, until visit returns
// false or data ends or stops being JSON.
func walkJSON(data []byte, visit func(path string, start int) bool) {
	w := jsonWalker{d: decoder{data: data}, visit: visit}
	w.value("")
}

type jsonWalker struct {
	d     decoder
	visit func(path string, start int) bool
	// ended, when set, is called with the path and the end of every value
	// read whole.
	ended   func(path string, end int)
	stopped bool
}

func (w *jsonWalker) at(path string, start int) bool {
	if !w.stopped && !w.visit(path, start) {
		w.stopped = true
	}
	return !w.stopped
}

func (w *jsonWalker) value(path string) {
	if w.readValue(path); !w.stopped && w.ended != nil {
		w.ended(path, w.d.pos)
	}
}

// readValue reads the value at path, visiting it and what it holds; it
// stops the walk where data stops being JSON.
func (w *jsonWalker) readValue(path string) {
	d := &w.d
	d.skipSpace()
	if d.pos >= len(d.data) {
		w.stopped = true
		return
	}
	if !w.at(path, d.pos) {
		return
	}
	switch d.peek() {
	case '{':
		d.pos++
		for {
			d.skipSpace()
			switch d.peek() {
			case '}':
				d.pos++
				return
			case '"':
			default:
				w.stopped = true
				return
			}
			start := d.pos
			key, err := d.string()
			if err != nil {
				w.stopped = true
				return
			}
			member := key
			if path != "" {
				member = path + "." + key
			}
			if !w.at(member, start) {
				return
			}
			d.skipSpace()
			if d.peek() != ':' {
				w.stopped = true
				return
			}
			d.pos++
			if w.value(member); w.stopped {
				return
			}
			d.skipSpace()
			switch d.peek() {
			case ',':
				d.pos++
			case '}':
			default:
				w.stopped = true
				return
			}
		}
	case '[':
		d.pos++
		for i := 0; ; i++ {
			d.skipSpace()
			if d.peek() == ']' {
				d.pos++
				return
			}
			if w.value(path + "[" + strconv.Itoa(i) + "]"); w.stopped {
				return
			}
			d.skipSpace()
			switch d.peek() {
			case ',':
				d.pos++
			case ']':
			default:
				w.stopped = true
				return
			}
		}
	default:
		if _, err := d.skipValue(); err != nil {
			w.stopped = true
		}
	}
}

// LoadFixtures stores f: every user of f is added or replaced (by id), and
// its profile replaced by the items f gives it, all in one store
// transaction, so that a failure stores nothing. Users of the store that f
// does not name are left as they are. f is as ParseFixtures returns it;
// what an item leaves out is made as a create makes it: a new id,
// createdDateTime now (100 ns apart for the items of a collection, in f's
// order, so that lists keep it; a given lastModifiedDateTime before that
// instead), lastModifiedDateTime its createdDateTime, and the defaults of allowedAudiences and of the
// properties that cannot be null. createdBy and lastModifiedBy stay
// unset when not given. Errors: Request_BadRequest when a user principal
// name belongs to another user of its tenant that f does not replace.
//
// Who holds the principal name of a user f gives no id is looked up
// before the store's transaction (fixturesIDs): a load of the same file
// that commits in between (test workers loading one file at once) takes
// the names with ids of its own, and this load's is refused for them. It
// is loaded again, with the ids looked up again, when they differ, so
// that it replaces what the other made, as it would have after it.
func (s *Service) LoadFixtures(ctx context.Context, f Fixtures) error {
	withIDs, err := s.fixturesIDs(ctx, f)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		profiles, err := s.fixturesProfiles(withIDs)
		if err != nil {
			return err
		}
		err = s.Store.LoadProfiles(ctx, profiles)
		var conflict *ConflictError
		if attempt < fixturesLoadAttempts && errors.As(err, &conflict) && conflict.Property == "userPrincipalName" {
			if again, idsErr := s.fixturesIDs(ctx, f); idsErr == nil && !sameUserIDs(again, withIDs) {
				withIDs = again
				continue
			}
		}
		return s.fixturesLoadError(ctx, withIDs, err)
	}
}

// fixturesLoadAttempts bounds LoadFixtures's loads of one file: each
// again follows another load's commit, which loads of one file at once
// make only a few of.
const fixturesLoadAttempts = 4

// sameUserIDs reports whether a and b, one fixtures file with the ids
// fixturesIDs gave it twice, give each user the same id.
func sameUserIDs(a, b Fixtures) bool {
	for i, t := range a.Tenants {
		for j, up := range t.Users {
			if b.Tenants[i].Users[j].User.ID != up.User.ID {
				return false
			}
		}
	}
	return true
}

// LoadFixturesIntoEmpty is LoadFixtures into a store that holds no user,
// the check and the load one store transaction (Store.LoadProfilesIntoEmpty),
// and reports whether it loaded: of servers that share a store and start
// at once with the same fixtures (serve --fixtures), one loads them and
// the others find its users.
func (s *Service) LoadFixturesIntoEmpty(ctx context.Context, f Fixtures) (bool, error) {
	profiles, err := s.fixturesProfiles(f)
	if err != nil {
		return false, err
	}
	loaded, err := s.Store.LoadProfilesIntoEmpty(ctx, profiles)
	return loaded, s.fixturesLoadError(ctx, f, err)
}

// fixturesIDs returns f with each user it gave no id given the id of the
// tenant's user that holds its principal name, where one does: the load
// then replaces that user, as it replaces one named by id, so that loading
// the same file again (one whose users have no id, as docs/fixtures.md's)
// changes nothing, instead of being refused for a principal name taken by
// the first load's user of another, new id. f itself is not changed.
func (s *Service) fixturesIDs(ctx context.Context, f Fixtures) (Fixtures, error) {
	tenants := slices.Clone(f.Tenants)
	for i, t := range tenants {
		var users []UserProfile
		for j, up := range t.Users {
			if !up.idMade {
				continue
			}
			holder, found, err := s.principalNameHolder(ctx, t.Key(), up.User.UserPrincipalName)
			if err != nil {
				return Fixtures{}, err
			}
			if !found || slices.ContainsFunc(t.Users, func(other UserProfile) bool { return !other.idMade && other.User.ID == holder.ID }) {
				// None, or one the file gives by its id (with another
				// principal name): the made id stays, and the load tells
				// of a taken name if one still is.
				continue
			}
			if users == nil {
				users = slices.Clone(t.Users)
			}
			users[j].User.ID = holder.ID
		}
		if users != nil {
			tenants[i].Users = users
		}
	}
	f.Tenants = tenants
	return f, nil
}

// principalNameHolder finds the user of tenantKey whose principal name is
// upn (ignoring case, as the directory compares them), by that name alone:
// Store.FindUser takes an id as well, and finds first the user whose id is
// upn (a principal name need not hold "@", an id need not be a GUID).
func (s *Service) principalNameHolder(ctx context.Context, tenantKey, upn string) (holder User, found bool, err error) {
	if upn == "" {
		return User{}, false, nil
	}
	key := PrincipalNameKey(upn)
	// The exact key comes first among those it begins.
	err = s.Store.ScanUsersByPrefix(ctx, tenantKey, KeyByPrincipalName, key, func(u User) (bool, error) {
		holder, found = u, PrincipalNameKey(u.UserPrincipalName) == key
		return false, nil
	})
	if err != nil || !found {
		return User{}, false, err
	}
	return holder, true, nil
}

// fixturesProfiles makes the profiles LoadFixtures stores of f.
func (s *Service) fixturesProfiles(f Fixtures) ([]UserProfile, error) {
	now := s.now()
	var profiles []UserProfile
	for _, t := range f.Tenants {
		for _, up := range t.Users {
			up.User.TenantID = t.Key()
			collections := make([]ProfileCollection, len(up.Profile))
			for i, pc := range up.Profile {
				if len(pc.Items) > s.maxItems() {
					return nil, Errorf(CodeBadRequest, "The fixtures give user '%s' of tenant '%s' %d items in %s, more than the %d a collection holds on this server (serve --max-items).",
						up.User.UserPrincipalName, t.ID, len(pc.Items), pc.Collection.Name, s.maxItems())
				}
				items := make([]Item, len(pc.Items))
				for k, given := range pc.Items {
					// An explicit null is a cleared allowedAudiences,
					// kept cleared: the item stays its owner's alone, as
					// it was when exported.
					it := newItemOf(pc.Collection.Type, Object(given), true, 3)
					if it.ID() == "" {
						it["id"] = s.newID(now)
					}
					if _, ok := it["createdDateTime"].(time.Time); !ok {
						created := now.Add(time.Duration(k) * 100 * time.Nanosecond)
						// Last changed before the load: made no later
						// than that, not after its last change.
						if modified, ok := it["lastModifiedDateTime"].(time.Time); ok && modified.Before(created) {
							created = modified
						}
						it["createdDateTime"] = created
					}
					if _, ok := it["lastModifiedDateTime"].(time.Time); !ok {
						// Written by the load, as a create writes an
						// item (never before it was made): a reload of
						// other content under the same id and
						// createdDateTime kept the ETag, and If-None-Match
						// answered 304 for the old content.
						written := now.Add(time.Duration(k) * 100 * time.Nanosecond)
						if created := it["createdDateTime"].(time.Time); created.After(written) {
							written = created
						}
						it["lastModifiedDateTime"] = written
					}
					items[k] = it
				}
				collections[i] = ProfileCollection{Collection: pc.Collection, Items: items}
			}
			profiles = append(profiles, UserProfile{User: up.User, Profile: collections})
		}
	}
	return profiles, nil
}

// fixturesLoadError is the error of a load of f that failed with err: a
// principal name's conflict names the user of f it refused.
func (s *Service) fixturesLoadError(ctx context.Context, f Fixtures, err error) error {
	var conflict *ConflictError
	if errors.As(err, &conflict) && conflict.Property == "userPrincipalName" {
		if where, holder := s.fixturesUPNConflict(ctx, f, conflict.Value); where != "" {
			if f.source != nil {
				if offset, ok := offsetOf(f.source.data, where); ok {
					line, column := f.source.lineColumn(offset)
					where = fmt.Sprintf("%s:%d:%d: %s", f.source.name, line, column, where)
				}
			}
			return Errorf(CodeDirectoryBadRequest, "%s: Another object with the same value for property userPrincipalName already exists: the user '%s' of the tenant holds '%s', and the fixtures do not replace that user.",
				where, holder.ID, holder.UserPrincipalName)
		}
	}
	return conflictError(err)
}

// fixturesUPNConflict finds the user of f that a load refused for
// principal name upn: the first whose tenant has another user, one f does
// not replace, holding it. It returns the user's path in the document and
// the holder, or "" when none is found (the store changed meanwhile).
func (s *Service) fixturesUPNConflict(ctx context.Context, f Fixtures, upn string) (string, User) {
	for ti, t := range f.Tenants {
		for ui, up := range t.Users {
			if !strings.EqualFold(up.User.UserPrincipalName, upn) {
				continue
			}
			holder, found, err := s.principalNameHolder(ctx, t.Key(), upn)
			if err != nil || !found || holder.ID == up.User.ID {
				continue
			}
			replaced := slices.ContainsFunc(t.Users, func(other UserProfile) bool { return other.User.ID == holder.ID })
			if !replaced {
				return fmt.Sprintf("tenants[%d].users[%d].userPrincipalName", ti, ui), holder
			}
		}
	}
	return "", User{}
}

// ExportFixtures reads every user of every tenant of s and their profiles:
// what LoadFixtures, into an empty store, makes the same again. It reads
// tenant by tenant and user by user, not in one transaction: export a
// store that nothing writes to.
func ExportFixtures(ctx context.Context, s Store) (Fixtures, error) {
	keys, err := s.Tenants(ctx)
	if err != nil {
		return Fixtures{}, err
	}
	var f Fixtures
	for _, key := range keys {
		t, err := ExportTenantFixtures(ctx, s, key, "")
		if err != nil {
			return Fixtures{}, err
		}
		f.Tenants = append(f.Tenants, t)
	}
	return f, nil
}

// ExportTenantFixtures reads the users of the tenant whose key is
// tenantKey (Principal.TenantKey) and their profiles, as ExportFixtures
// does for every tenant; only the user userID when it is not empty
// (ErrNotFound when the tenant has no such user).
func ExportTenantFixtures(ctx context.Context, s Store, tenantKey, userID string) (TenantFixtures, error) {
	id, issuer, _ := strings.Cut(tenantKey, "|")
	t := TenantFixtures{ID: id, Issuer: issuer}
	var users []User
	if userID != "" {
		// A GUID in any case, as /users/{id} takes it (ids are stored
		// in lower case).
		u, err := s.FindUser(ctx, tenantKey, NormalizeID(userID))
		if err != nil {
			return t, err
		}
		users = []User{u}
	} else {
		var err error
		if users, err = AllUsers(ctx, s, tenantKey); err != nil {
			return t, err
		}
	}
	for _, u := range users {
		up, err := fixturesProfile(ctx, s, u)
		if errors.Is(err, ErrNotFound) && userID == "" {
			continue // deleted since it was listed
		}
		if err != nil {
			return t, err
		}
		t.Users = append(t.Users, up)
	}
	return t, nil
}

// fixturesProfile is u with its profile as a fixtures file holds it: the
// collections that hold items, in the schema's order. ErrNotFound when u
// is no longer a user.
func fixturesProfile(ctx context.Context, s Store, u User) (UserProfile, error) {
	lists, err := s.ListProfile(ctx, u.Key(), profileCollections, 0)
	if err != nil {
		return UserProfile{}, err
	}
	up := UserProfile{User: u}
	for i, items := range lists {
		if len(items) > 0 {
			up.Profile = append(up.Profile, ProfileCollection{Collection: profileCollections[i], Items: items})
		}
	}
	return up, nil
}

// clearedOnLoad are the properties of an item that a fixtures file writes
// as null when unset: those a load would otherwise fill with a default.
var clearedOnLoad = []string{"allowedAudiences"}

// userClearedOnLoad are the properties of a user that a fixtures file
// writes as null when unset: those a load would otherwise fill with a
// default (FixturesUser).
var userClearedOnLoad = []string{"accountEnabled"}

// AppendFixturesJSON appends f as a fixtures file: indented by two spaces,
// each value's properties in schema order, unset ones left out.
func AppendFixturesJSON(buf []byte, f Fixtures) []byte {
	var out bytes.Buffer
	out.Write(buf)
	fw := newFixturesWriter(&out)
	for _, t := range f.Tenants {
		fw.tenant(t)
		for _, up := range t.Users {
			fw.user(up)
		}
	}
	// A bytes.Buffer does not fail.
	_ = fw.end()
	return out.Bytes()
}

// WriteFixtures writes every user of every tenant of s and their profiles
// to w, the same file as AppendFixturesJSON of ExportFixtures, but as it
// reads them: tenant by tenant, user by user (a page of users, then each
// one's profile), so that it holds one user's profile at a time whatever
// the store's size. Like ExportFixtures it is not one transaction.
func WriteFixtures(ctx context.Context, s Store, w io.Writer) error {
	keys, err := s.Tenants(ctx)
	if err != nil {
		return err
	}
	fw := newFixturesWriter(w)
	for _, key := range keys {
		id, issuer, _ := strings.Cut(key, "|")
		fw.tenant(TenantFixtures{ID: id, Issuer: issuer})
		err := s.ScanUsers(ctx, key, "", func(u User) (bool, error) {
			up, err := fixturesProfile(ctx, s, u)
			if errors.Is(err, ErrNotFound) {
				return true, nil // deleted since it was listed
			}
			if err != nil {
				return false, err
			}
			fw.user(up)
			return fw.err == nil, fw.err
		})
		if err != nil {
			return err
		}
	}
	return fw.end()
}

// fixturesWriter writes a fixtures file a tenant and a user at a time:
// each is encoded compact (AppendObjectJSON) and indented as it is
// written, as json.Indent indents the whole document.
type fixturesWriter struct {
	w       io.Writer
	ind     jsonIndenter
	b       []byte // what is being encoded
	tenants int    // written so far
	users   int    // of the current tenant
	err     error  // the first of w
}

func newFixturesWriter(w io.Writer) *fixturesWriter {
	fw := &fixturesWriter{w: w}
	fw.b = append(fw.b, `{"tenants":[`...)
	return fw
}

// flush indents what was encoded and writes it.
func (fw *fixturesWriter) flush() {
	out := fw.ind.indent(nil, fw.b)
	fw.b = fw.b[:0]
	if fw.err == nil {
		_, fw.err = fw.w.Write(out)
	}
}

// tenant starts the tenant t (its users follow).
func (fw *fixturesWriter) tenant(t TenantFixtures) {
	if fw.tenants > 0 {
		fw.b = append(fw.b, "]},"...) // the previous tenant's users end
	}
	fw.tenants++
	fw.users = 0
	fw.b = append(fw.b, `{"id":`...)
	fw.b = AppendJSONString(fw.b, t.ID)
	if t.Issuer != "" {
		fw.b = append(fw.b, `,"issuer":`...)
		fw.b = AppendJSONString(fw.b, t.Issuer)
	}
	fw.b = append(fw.b, `,"users":[`...)
}

// user writes up, a user of the current tenant, with its profile.
func (fw *fixturesWriter) user(up UserProfile) {
	if fw.users > 0 {
		fw.b = append(fw.b, ',')
	}
	fw.users++
	// An unset accountEnabled is written as null: left out, a load
	// would give the user the default, true.
	fw.b = AppendObjectJSON(fw.b, UserType, up.User.Object(), EncodeOptions{OmitNulls: true, NullWhenUnset: userClearedOnLoad})
	if len(up.Profile) > 0 {
		fw.b = append(fw.b[:len(fw.b)-1], `,"profile":{`...)
		for k, pc := range up.Profile {
			if k > 0 {
				fw.b = append(fw.b, ',')
			}
			fw.b = AppendJSONString(fw.b, pc.Collection.Name)
			fw.b = append(fw.b, ":["...)
			for n, it := range pc.Items {
				if n > 0 {
					fw.b = append(fw.b, ',')
				}
				// A cleared allowedAudiences is written as null: left
				// out, a load would give the item the default,
				// organization, and show it to the whole tenant.
				fw.b = AppendObjectJSON(fw.b, pc.Collection.Type, Object(it), EncodeOptions{OmitNulls: true, NullWhenUnset: clearedOnLoad})
			}
			fw.b = append(fw.b, ']')
		}
		fw.b = append(fw.b, "}}"...)
	}
	fw.flush()
}

// end ends the document and returns the first error of writing it.
func (fw *fixturesWriter) end() error {
	if fw.tenants > 0 {
		fw.b = append(fw.b, "]}"...)
	}
	fw.b = append(fw.b, "]}"...)
	fw.flush()
	if fw.err == nil {
		_, fw.err = fw.w.Write([]byte{'\n'})
	}
	return fw.err
}

// jsonIndenter indents compact JSON given in pieces as json.Indent, with
// no prefix and an indent of two spaces, indents it whole: its state
// carries from one piece to the next.
type jsonIndenter struct {
	depth      int
	needIndent bool // after { or [: a newline unless it is empty
	inString   bool
	escaped    bool
}

// indent appends src, the next piece of the document, indented to dst.
func (ji *jsonIndenter) indent(dst, src []byte) []byte {
	newline := func(dst []byte) []byte {
		dst = append(dst, '\n')
		for range ji.depth {
			dst = append(dst, "  "...)
		}
		return dst
	}
	for _, c := range src {
		if ji.inString {
			dst = append(dst, c)
			switch {
			case ji.escaped:
				ji.escaped = false
			case c == '\\':
				ji.escaped = true
			case c == '"':
				ji.inString = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		if ji.needIndent && c != '}' && c != ']' {
			ji.needIndent = false
			ji.depth++
			dst = newline(dst)
		}
		switch c {
		case '"':
			ji.inString = true
			dst = append(dst, c)
		case '{', '[':
			ji.needIndent = true // an empty one stays {} or []
			dst = append(dst, c)
		case ',':
			dst = newline(append(dst, c))
		case ':':
			dst = append(dst, c, ' ')
		case '}', ']':
			if ji.needIndent {
				ji.needIndent = false
			} else {
				ji.depth--
				dst = newline(dst)
			}
			dst = append(dst, c)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
