package graphapi_test

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/storetest"
)

// The CSDL as a client reads it: elements in their OData namespaces, and
// every element the test does not expect caught by ",any" (Other), so that
// nothing is declared that the test does not hold to what is served.
type (
	csdlDocument struct {
		XMLName    xml.Name `xml:"http://docs.oasis-open.org/odata/ns/edmx Edmx"`
		Version    string   `xml:"Version,attr"`
		References []struct {
			URI      string `xml:"Uri,attr"`
			Includes []struct {
				Namespace string `xml:"Namespace,attr"`
				Alias     string `xml:"Alias,attr"`
			} `xml:"http://docs.oasis-open.org/odata/ns/edmx Include"`
		} `xml:"http://docs.oasis-open.org/odata/ns/edmx Reference"`
		DataServices struct {
			Schemas []csdlSchema `xml:"http://docs.oasis-open.org/odata/ns/edm Schema"`
			Other   []xmlElement `xml:",any"`
		} `xml:"http://docs.oasis-open.org/odata/ns/edmx DataServices"`
		Other []xmlElement `xml:",any"`
	}
	xmlElement struct{ XMLName xml.Name }
	csdlSchema struct {
		Namespace    string          `xml:"Namespace,attr"`
		Alias        string          `xml:"Alias,attr"`
		EnumTypes    []csdlEnum      `xml:"http://docs.oasis-open.org/odata/ns/edm EnumType"`
		ComplexTypes []csdlType      `xml:"http://docs.oasis-open.org/odata/ns/edm ComplexType"`
		EntityTypes  []csdlType      `xml:"http://docs.oasis-open.org/odata/ns/edm EntityType"`
		Containers   []csdlContainer `xml:"http://docs.oasis-open.org/odata/ns/edm EntityContainer"`
		Other        []xmlElement    `xml:",any"`
	}
	csdlEnum struct {
		Name    string       `xml:"Name,attr"`
		IsFlags string       `xml:"IsFlags,attr"`
		Members []csdlMember `xml:"http://docs.oasis-open.org/odata/ns/edm Member"`
		Other   []xmlElement `xml:",any"`
	}
	csdlMember struct {
		Name  string `xml:"Name,attr"`
		Value string `xml:"Value,attr"`
	}
	csdlType struct {
		Name     string `xml:"Name,attr"`
		BaseType string `xml:"BaseType,attr"`
		Abstract string `xml:"Abstract,attr"`
		OpenType string `xml:"OpenType,attr"`
		Key      *struct {
			Refs []struct {
				Name string `xml:"Name,attr"`
			} `xml:"http://docs.oasis-open.org/odata/ns/edm PropertyRef"`
		} `xml:"http://docs.oasis-open.org/odata/ns/edm Key"`
		Properties  []csdlProperty      `xml:"http://docs.oasis-open.org/odata/ns/edm Property"`
		Navigation  []csdlNavigation    `xml:"http://docs.oasis-open.org/odata/ns/edm NavigationProperty"`
		Annotations []csdlAlternateKeys `xml:"http://docs.oasis-open.org/odata/ns/edm Annotation"`
		Other       []xmlElement        `xml:",any"`
	}
	// csdlAlternateKeys is an entity type's Core.AlternateKeys annotation,
	// read as far as its key's property references.
	csdlAlternateKeys struct {
		Term string `xml:"Term,attr"`
		Keys []struct {
			Type  string `xml:"Type,attr"`
			Parts []struct {
				Property string `xml:"Property,attr"`
				Refs     []struct {
					Type   string `xml:"Type,attr"`
					Values []struct {
						Property     string       `xml:"Property,attr"`
						String       string       `xml:"String,attr"`
						PropertyPath string       `xml:"PropertyPath,attr"`
						Other        []xmlElement `xml:",any"`
					} `xml:"http://docs.oasis-open.org/odata/ns/edm PropertyValue"`
				} `xml:"http://docs.oasis-open.org/odata/ns/edm Collection>Record"`
			} `xml:"http://docs.oasis-open.org/odata/ns/edm PropertyValue"`
		} `xml:"http://docs.oasis-open.org/odata/ns/edm Collection>Record"`
	}
	csdlProperty struct {
		Name        string `xml:"Name,attr"`
		Type        string `xml:"Type,attr"`
		Nullable    string `xml:"Nullable,attr"`
		Annotations []struct {
			Term       string `xml:"Term,attr"`
			EnumMember string `xml:"http://docs.oasis-open.org/odata/ns/edm EnumMember"`
		} `xml:"http://docs.oasis-open.org/odata/ns/edm Annotation"`
		Other []xmlElement `xml:",any"`
	}
	csdlNavigation struct {
		Name           string       `xml:"Name,attr"`
		Type           string       `xml:"Type,attr"`
		ContainsTarget string       `xml:"ContainsTarget,attr"`
		Other          []xmlElement `xml:",any"`
	}
	csdlContainer struct {
		Name       string `xml:"Name,attr"`
		EntitySets []struct {
			Name       string       `xml:"Name,attr"`
			EntityType string       `xml:"EntityType,attr"`
			Other      []xmlElement `xml:",any"`
		} `xml:"http://docs.oasis-open.org/odata/ns/edm EntitySet"`
		Singletons []struct {
			Name  string       `xml:"Name,attr"`
			Type  string       `xml:"Type,attr"`
			Other []xmlElement `xml:",any"`
		} `xml:"http://docs.oasis-open.org/odata/ns/edm Singleton"`
		Other []xmlElement `xml:",any"`
	}
)

// csdlModel is a parsed $metadata document with its types by qualified name.
type csdlModel struct {
	schema    csdlSchema
	enums     map[string]csdlEnum
	complexes map[string]csdlType
	entities  map[string]csdlType
	// container maps each entity set and singleton to its kind and type.
	container map[string][2]string
}

func parseMetadata(t *testing.T, body []byte) *csdlModel {
	t.Helper()
	var doc csdlDocument
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("$metadata is not CSDL XML: %v\n%s", err, body)
	}
	if doc.Version != "4.0" || len(doc.Other) != 0 || len(doc.DataServices.Other) != 0 || len(doc.DataServices.Schemas) != 1 {
		t.Fatalf("Edmx Version %q, %d schemas, unexpected elements %v %v", doc.Version, len(doc.DataServices.Schemas), doc.Other, doc.DataServices.Other)
	}
	// The one vocabulary used, Core, is referenced, at its published
	// address and under its usual alias.
	if len(doc.References) != 1 || len(doc.References[0].Includes) != 1 || doc.References[0].Includes[0].Namespace != "Org.OData.Core.V1" ||
		doc.References[0].Includes[0].Alias != "Core" || doc.References[0].URI != "https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.xml" {
		t.Errorf("references %+v, want the Core vocabulary", doc.References)
	}
	s := doc.DataServices.Schemas[0]
	if s.Namespace != "microsoft.graph" || len(s.Other) != 0 || len(s.Containers) != 1 || len(s.Containers[0].Other) != 0 {
		t.Fatalf("schema %q with %d containers, unexpected elements %v", s.Namespace, len(s.Containers), s.Other)
	}
	// Graph's own names: the alias graph, the container GraphService.
	if s.Alias != "graph" || s.Containers[0].Name != "GraphService" {
		t.Errorf("schema alias %q, container %q; want Graph's graph and GraphService", s.Alias, s.Containers[0].Name)
	}
	m := &csdlModel{schema: s, enums: map[string]csdlEnum{}, complexes: map[string]csdlType{}, entities: map[string]csdlType{}, container: map[string][2]string{}}
	for _, e := range s.EnumTypes {
		m.enums["microsoft.graph."+e.Name] = e
	}
	for _, c := range s.ComplexTypes {
		m.complexes["microsoft.graph."+c.Name] = c
	}
	for _, e := range s.EntityTypes {
		m.entities["microsoft.graph."+e.Name] = e
	}
	for _, es := range s.Containers[0].EntitySets {
		m.container[es.Name] = [2]string{"EntitySet", es.EntityType}
	}
	for _, sg := range s.Containers[0].Singletons {
		m.container[sg.Name] = [2]string{"Singleton", sg.Type}
	}
	return m
}

// elementType is the type a Type attribute names, without Collection().
func elementType(typ string) (name string, collection bool) {
	if inner, ok := strings.CutPrefix(typ, "Collection("); ok {
		return strings.TrimSuffix(inner, ")"), true
	}
	return typ, false
}

// permission is the Core.Permissions a property declares: "Read", "Write" or "".
func permission(p csdlProperty) string {
	for _, a := range p.Annotations {
		if a.Term == "Org.OData.Core.V1.Permissions" {
			return strings.TrimPrefix(a.EnumMember, "Org.OData.Core.V1.Permission/")
		}
	}
	return ""
}

// servedRows are the endpoint table's rows a version serves, each with its
// path segments after the version. A row of a profile's collections
// ({facet}) is one row per collection of ProfileType, the collection's name
// in place of {facet} and its type the row's entity: what is served.
func servedRows(version string) map[*graphapi.Endpoint][]string {
	rows := map[*graphapi.Endpoint][]string{}
	for _, e := range graphapi.Endpoints() {
		segments := strings.Split(strings.TrimPrefix(e.Pattern, "/"), "/")
		if segments[0] != "{version}" && segments[0] != version {
			continue
		}
		i := slices.Index(segments, "{facet}")
		if i < 0 {
			rows[&e] = segments[1:]
			continue
		}
		for _, c := range graphprofile.ProfileCollections() {
			row := e
			row.Entity = c.Type
			expanded := slices.Clone(segments)
			expanded[i] = c.Name
			rows[&row] = expanded[1:]
		}
	}
	return rows
}

func isName(segment string) bool {
	return !strings.HasPrefix(segment, "{") && !strings.HasPrefix(segment, "$")
}

// TestMetadata holds $metadata to what is served, both ways, in each
// version: its container to the endpoint table's top-level paths, its
// navigation properties to the paths below a user, its types to the schema
// table; and it probes the server: every entity set, singleton and
// navigation property answers, and every declared property appears in
// answers (or, write-only, is accepted), nothing undeclared does.
func TestMetadata(t *testing.T) {
	s := newTestServer(t)
	admin := s.delegated(tenantA, userA1, "User.ReadWrite.All")
	s.create(admin, "/me", fullPositionBody)
	// An item with every property set in every collection, for the probe
	// to see each declared property of each facet type.
	for _, c := range graphprofile.ProfileCollections() {
		resp := s.do(request{method: http.MethodPost, path: "/beta/me/profile/" + c.Name, token: admin, body: bodyOf(c.Type, storetest.SampleObject(c.Type, 1))})
		if resp.status != http.StatusCreated {
			t.Fatalf("POST %s: %d %s", c.Name, resp.status, resp.body)
		}
	}

	for _, version := range []string{"beta", "v1.0"} {
		t.Run(version, func(t *testing.T) {
			// No token: Graph serves its description to anyone; a bad one does not matter.
			for _, header := range []map[string]string{nil, {"Authorization": "Bearer not-a-token"}} {
				resp := s.do(request{path: "/" + version + "/$metadata", header: header})
				if resp.status != http.StatusOK {
					t.Fatalf("%d %s", resp.status, resp.body)
				}
				if ct := resp.header.Get("Content-Type"); ct != "application/xml;charset=utf-8" || resp.header.Get("OData-Version") != "4.0" {
					t.Errorf("Content-Type %q, OData-Version %q", ct, resp.header.Get("OData-Version"))
				}
				if !guidPattern.MatchString(resp.header.Get("request-id")) {
					t.Errorf("request-id %q", resp.header.Get("request-id"))
				}
			}
			m := parseMetadata(t, s.do(request{path: "/" + version + "/$metadata"}).body)
			checkContainer(t, m, version)
			navs := checkNavigation(t, m, version)
			checkTypes(t, m, version)
			checkServiceDocument(t, s, m, version)
			probeDeclared(t, s, admin, m, version, navs)
		})
	}
	if m := parseMetadata(t, s.do(request{path: "/v1.0/$metadata"}).body); m.entities["microsoft.graph.profile"].Name != "" {
		t.Error("v1.0 declares the profile, which only beta serves")
	}
}

// checkContainer: the entity sets and singletons are exactly the table's
// top-level paths (/{version}/name), an entity set where a key follows.
func checkContainer(t *testing.T, m *csdlModel, version string) {
	t.Helper()
	rows := servedRows(version)
	want := map[string][2]string{}
	for e, segments := range rows {
		if len(segments) != 1 || !isName(segments[0]) {
			continue
		}
		kind := "Singleton"
		for _, other := range rows {
			if len(other) == 2 && other[0] == segments[0] && !isName(other[1]) {
				kind = "EntitySet"
			}
		}
		want[segments[0]] = [2]string{kind, e.Entity.Name}
	}
	if fmt.Sprint(m.container) != fmt.Sprint(want) {
		t.Errorf("container %v, want %v", m.container, want)
	}
}

// checkNavigation: the navigation paths from a user (the type of the me
// singleton) are exactly the table's paths below {owner}, each to the
// row's entity type, and every navigation property contains its target.
// It returns the paths.
func checkNavigation(t *testing.T, m *csdlModel, version string) map[string]string {
	t.Helper()
	served := map[string]string{}
	for e, segments := range servedRows(version) {
		if len(segments) < 2 || segments[0] != "{owner}" {
			continue
		}
		var path []string
		for _, seg := range segments[1:] {
			if isName(seg) {
				path = append(path, seg)
			}
		}
		served[strings.Join(path, "/")] = e.Entity.Name
	}
	declared := map[string]string{}
	var walk func(typeName, path string, depth int)
	walk = func(typeName, path string, depth int) {
		if depth > 5 {
			t.Fatalf("navigation deeper than 5 at %s", path)
		}
		// CSDL: a type's navigation properties have distinct names (the
		// table may serve one path with several methods).
		names := map[string]bool{}
		for _, n := range m.entities[typeName].Navigation {
			if names[n.Name] {
				t.Errorf("navigation %s of %s declared twice", n.Name, typeName)
			}
			names[n.Name] = true
			target, _ := elementType(n.Type)
			if n.ContainsTarget != "true" || len(n.Other) != 0 {
				t.Errorf("navigation %s of %s: ContainsTarget %q, elements %v", n.Name, typeName, n.ContainsTarget, n.Other)
			}
			if _, ok := m.entities[target]; !ok {
				t.Errorf("navigation %s of %s targets %s, which is not a declared entity type", n.Name, typeName, n.Type)
			}
			declared[strings.TrimPrefix(path+"/"+n.Name, "/")] = target
			walk(target, path+"/"+n.Name, depth+1)
		}
	}
	walk(m.container["me"][1], "", 0)
	if fmt.Sprint(declared) != fmt.Sprint(served) {
		t.Errorf("navigation from a user %v, want what is served %v", declared, served)
	}
	return declared
}

// checkTypes: the declared types are exactly the schema types the served
// rows reach, each with its properties as the schema table has them.
func checkTypes(t *testing.T, m *csdlModel, version string) {
	t.Helper()
	entities, values := map[string]*graphprofile.Type{}, map[string]*graphprofile.Type{}
	var reachEntity, reachValue func(*graphprofile.Type)
	reachValue = func(typ *graphprofile.Type) {
		if typ.Kind != graphprofile.KindComplex && typ.Kind != graphprofile.KindEnum || values[typ.Name] != nil {
			return
		}
		values[typ.Name] = typ
		for _, p := range typ.Properties {
			reachValue(p.Type)
		}
	}
	reachEntity = func(typ *graphprofile.Type) {
		if entities[typ.Name] != nil {
			return
		}
		entities[typ.Name] = typ
		for _, p := range typ.Properties {
			if p.Navigation {
				reachEntity(p.Type)
			} else {
				reachValue(p.Type)
			}
		}
	}
	for e := range servedRows(version) {
		if e.Entity != nil {
			reachEntity(e.Entity)
		}
	}
	declaredNames := func(types ...map[string]csdlType) []string {
		var names []string
		for _, set := range types {
			for name := range set {
				names = append(names, name)
			}
		}
		for name := range m.enums {
			names = append(names, name)
		}
		slices.Sort(names)
		return names
	}
	var want []string
	for name := range entities {
		want = append(want, name)
	}
	for name := range values {
		want = append(want, name)
	}
	slices.Sort(want)
	if got := declaredNames(m.entities, m.complexes); !slices.Equal(got, want) {
		t.Errorf("declared types %v, want the schema types served %v", got, want)
	}

	for name, typ := range entities {
		declared, ok := m.entities[name]
		if !ok {
			t.Errorf("entity type %s is not declared as an EntityType", name)
			continue
		}
		if declared.Key == nil || len(declared.Key.Refs) != 1 || declared.Key.Refs[0].Name != "id" {
			t.Errorf("%s: key %+v, want id", name, declared.Key)
		}
		checkProperties(t, name, declared, typ, true)
		checkAlternateKeys(t, name, declared, typ)
		for _, p := range typ.Properties {
			if !p.Navigation {
				continue
			}
			i := slices.IndexFunc(declared.Navigation, func(n csdlNavigation) bool { return n.Name == p.Name })
			want := p.Type.Name
			if p.Collection {
				want = "Collection(" + want + ")"
			}
			if i < 0 || declared.Navigation[i].Type != want {
				t.Errorf("%s: navigation property %s of type %s is not declared", name, p.Name, want)
			}
		}
	}
	for name, typ := range values {
		if typ.Kind == graphprofile.KindEnum {
			declared, ok := m.enums[name]
			if !ok || declared.IsFlags != map[bool]string{true: "true"}[typ.IsFlags] || len(declared.Members) != len(typ.Members) || len(declared.Other) != 0 {
				t.Errorf("enum %s declared as %+v", name, declared)
				continue
			}
			for i, member := range typ.Members {
				value, _ := typ.MemberValue(member)
				if declared.Members[i].Name != member || declared.Members[i].Value != fmt.Sprint(value) {
					t.Errorf("enum %s member %d: %+v, want %s = %d", name, i, declared.Members[i], member, value)
				}
			}
			continue
		}
		declared, ok := m.complexes[name]
		if !ok {
			t.Errorf("complex type %s is not declared as a ComplexType", name)
			continue
		}
		if declared.Key != nil || len(declared.Navigation) != 0 || len(declared.Annotations) != 0 {
			t.Errorf("complex type %s declares a key, navigation or annotations", name)
		}
		checkProperties(t, name, declared, typ, false)
	}
}

// checkAlternateKeys: a user declares its principal name as an alternate
// key (Core.AlternateKeys, as Graph's CSDL does), which the server takes as
// users(userPrincipalName='…'); no other entity type declares one.
func checkAlternateKeys(t *testing.T, name string, declared csdlType, typ *graphprofile.Type) {
	t.Helper()
	var got []string
	for _, a := range declared.Annotations {
		for _, k := range a.Keys {
			for _, part := range k.Parts {
				for _, ref := range part.Refs {
					line := []string{a.Term, k.Type, part.Property, ref.Type}
					for _, v := range ref.Values {
						line = append(line, v.Property+"="+v.String+v.PropertyPath)
						if len(v.Other) != 0 {
							line = append(line, fmt.Sprint("elements ", v.Other))
						}
					}
					got = append(got, strings.Join(line, " "))
				}
			}
		}
		if len(a.Keys) == 0 {
			got = append(got, a.Term+" (no key)")
		}
	}
	var want []string
	if typ == graphprofile.UserType {
		want = []string{"Org.OData.Core.V1.AlternateKeys Org.OData.Core.V1.AlternateKey Key Org.OData.Core.V1.PropertyRef Alias=userPrincipalName Name=userPrincipalName"}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: annotations %q, want %q", name, got, want)
	}
}

// checkProperties: declared has exactly typ's structural properties, in
// order, with their types; an entity's id and what the CSDL declares
// Nullable="false" (Property.NotNull) are not nullable; what only
// graphprofile sets is read-only, what is never returned write-only.
func checkProperties(t *testing.T, name string, declared csdlType, typ *graphprofile.Type, entity bool) {
	t.Helper()
	if declared.BaseType != "" || declared.Abstract != "" || declared.OpenType != "" || len(declared.Other) != 0 {
		t.Errorf("%s: BaseType %q Abstract %q OpenType %q, elements %v: the types are declared whole, closed",
			name, declared.BaseType, declared.Abstract, declared.OpenType, declared.Other)
	}
	var want []string
	for _, p := range typ.Properties {
		if p.Navigation {
			continue
		}
		typeName := p.Type.Name
		if p.Collection {
			typeName = "Collection(" + typeName + ")"
		}
		nullable, perm := "", ""
		if (entity && p.Name == "id") || p.NotNull {
			nullable = "false"
		}
		switch {
		case p.WriteOnly:
			perm = "Write"
		case p.ServerManaged:
			perm = "Read"
		}
		want = append(want, strings.Join([]string{p.Name, typeName, nullable, perm}, " "))
	}
	var got []string
	for _, p := range declared.Properties {
		got = append(got, strings.Join([]string{p.Name, p.Type, p.Nullable, permission(p)}, " "))
		if len(p.Other) != 0 || len(p.Annotations) > 1 {
			t.Errorf("%s.%s: unexpected elements %v %v", name, p.Name, p.Other, p.Annotations)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s properties (name type nullable permission):\n got %q\nwant %q", name, got, want)
	}
}

// checkServiceDocument: the service document lists exactly the container of
// $metadata, with and without a trailing slash, without a token.
func checkServiceDocument(t *testing.T, s *testServer, m *csdlModel, version string) {
	t.Helper()
	for _, path := range []string{"/" + version, "/" + version + "/"} {
		resp := s.do(request{path: path})
		if resp.status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, resp.status, resp.body)
		}
		checkCommonHeaders(t, resp)
		var doc struct {
			Context string `json:"@odata.context"`
			Value   []struct{ Name, Kind, URL string }
		}
		if err := json.Unmarshal(resp.body, &doc); err != nil {
			t.Fatal(err)
		}
		got := map[string][2]string{}
		for _, v := range doc.Value {
			if v.URL != v.Name {
				t.Errorf("%s: %s has url %q", path, v.Name, v.URL)
			}
			got[v.Name] = [2]string{v.Kind, m.container[v.Name][1]}
		}
		if doc.Context != s.url+"/"+version+"/$metadata" || fmt.Sprint(got) != fmt.Sprint(m.container) {
			t.Errorf("%s: %s, want the container of $metadata %v", path, resp.body, m.container)
		}
	}
}

// probeDeclared asks the server for everything declared: each entity set
// and singleton, each navigation path below /me, and every property of
// each entity type (in the default answer, else by $select), its nested
// values holding exactly the properties of their declared types. Write-only
// properties are probed by creating a user with them.
func probeDeclared(t *testing.T, s *testServer, tok string, m *csdlModel, version string, navs map[string]string) {
	t.Helper()
	for name := range m.container {
		if resp := s.do(request{path: "/" + version + "/" + name, token: tok}); resp.status != http.StatusOK {
			t.Errorf("declared %s: GET %d %s", name, resp.status, resp.body)
		}
	}
	seen := map[string]bool{}
	probes := map[string]string{"": m.container["me"][1]}
	for path, target := range navs {
		probes[path] = target
	}
	for path, typeName := range probes {
		base := "/" + version + "/me"
		if path != "" {
			base += "/" + path
		}
		entity := m.entities[typeName]
		obj := fetchEntity(t, s, tok, base, "")
		var missing []string
		for _, p := range entity.Properties {
			if _, ok := obj[p.Name]; !ok && permission(p) != "Write" {
				missing = append(missing, p.Name)
			}
		}
		if len(missing) > 0 {
			selected := fetchEntity(t, s, tok, base, strings.Join(missing, ","))
			for _, name := range missing {
				if v, ok := selected[name]; ok {
					obj[name] = v
				} else {
					t.Errorf("%s: declared property %s is neither in the answer nor selectable", base, name)
				}
			}
		}
		checkValue(t, m, base, typeName, obj, seen)
	}
	// Write-only properties: accepted on create, never returned.
	for _, p := range m.entities[m.container["users"][1]].Properties {
		if permission(p) != "Write" {
			continue
		}
		sample, _ := json.Marshal(sampleValue(t, m, p.Type, seen))
		body := fmt.Sprintf(`{"displayName":"Probe","userPrincipalName":"probe-%s@contoso.test",%q:%s}`, version, p.Name, sample)
		resp := s.do(request{method: http.MethodPost, path: "/" + version + "/users", token: tok, body: body})
		if resp.status != http.StatusCreated {
			t.Fatalf("write-only %s: POST %d %s", p.Name, resp.status, resp.body)
		}
		if _, returned := resp.json(t)[p.Name]; returned {
			t.Errorf("write-only %s returned: %s", p.Name, resp.body)
		}
	}
	for name := range m.complexes {
		if !seen[name] {
			t.Errorf("complex type %s is declared but never seen in an answer or accepted in a body", name)
		}
	}
}

// fetchEntity GETs an entity, or the first item of a collection, with
// $select when selected is not empty.
func fetchEntity(t *testing.T, s *testServer, tok, path, selected string) map[string]any {
	t.Helper()
	if selected != "" {
		path += "?$select=" + url.QueryEscape(selected)
	}
	resp := s.do(request{path: path, token: tok})
	if resp.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.status, resp.body)
	}
	body := resp.json(t)
	if items, ok := body["value"].([]any); ok {
		if len(items) == 0 {
			t.Fatalf("GET %s: an empty collection cannot show its properties", path)
		}
		return items[0].(map[string]any)
	}
	return body
}

// checkValue checks a value of JSON against the declared type: an object's
// keys (annotations aside) are declared properties or navigation
// properties (every property for a complex value, which shows them all),
// enum members are declared, and records each complex type seen.
func checkValue(t *testing.T, m *csdlModel, where, typeName string, v any, seen map[string]bool) {
	t.Helper()
	if v == nil {
		return
	}
	if e, ok := m.enums[typeName]; ok {
		for member := range strings.SplitSeq(v.(string), ",") {
			if !slices.ContainsFunc(e.Members, func(m csdlMember) bool { return m.Name == member }) {
				t.Errorf("%s: %q is not a member of %s", where, member, typeName)
			}
		}
		return
	}
	declared, entity := m.entities[typeName]
	if !entity {
		var ok bool
		if declared, ok = m.complexes[typeName]; !ok {
			return // a primitive type
		}
		seen[typeName] = true
	}
	obj := v.(map[string]any)
	for key := range obj {
		if strings.Contains(key, "@") {
			continue
		}
		if !slices.ContainsFunc(declared.Properties, func(p csdlProperty) bool { return p.Name == key }) &&
			!slices.ContainsFunc(declared.Navigation, func(n csdlNavigation) bool { return n.Name == key }) {
			t.Errorf("%s: %q is in the answer but not declared on %s", where, key, typeName)
		}
	}
	for _, p := range declared.Properties {
		value, ok := obj[p.Name]
		if !ok && !entity {
			t.Errorf("%s: declared %s.%s is missing from a %s value", where, typeName, p.Name, typeName)
		}
		itemType, collection := elementType(p.Type)
		if items, isList := value.([]any); collection && isList {
			for _, item := range items {
				checkValue(t, m, where+"/"+p.Name, itemType, item, seen)
			}
			continue
		}
		checkValue(t, m, where+"/"+p.Name, itemType, value, seen)
	}
}

// sampleValue is a value of a declared type for a request body, every
// property of a complex type set; it records the complex types it uses.
func sampleValue(t *testing.T, m *csdlModel, typ string, seen map[string]bool) any {
	t.Helper()
	name, collection := elementType(typ)
	var v any
	switch {
	case name == "Edm.String":
		v = "x"
	case name == "Edm.Boolean":
		v = true
	case m.complexes[name].Name != "":
		seen[name] = true
		obj := map[string]any{}
		for _, p := range m.complexes[name].Properties {
			obj[p.Name] = sampleValue(t, m, p.Type, seen)
		}
		v = obj
	default:
		t.Fatalf("no sample value of %s", name)
	}
	if collection {
		return []any{v}
	}
	return v
}

// fullPositionBody sets every client-settable property of a position, so
// that every complex type shows in the answers.
const fullPositionBody = `{
	"allowedAudiences": "organization",
	"inference": {"confidenceScore": 0.5, "userHasVerifiedAccuracy": true},
	"source": {"type": ["User"]},
	"sources": [{"isDefaultSource": true, "properties": ["detail"], "sourceId": "s1"}],
	"isSearchable": true,
	"categories": ["engineering"],
	"detail": {
		"company": {"displayName": "Contoso", "pronunciation": "p", "department": "R&D", "officeLocation": "B1",
			"address": {"type": "business", "postOfficeBox": "1", "street": "Main", "city": "Redmond", "state": "WA",
				"countryOrRegion": "US", "postalCode": "98052"},
			"webUrl": "https://contoso.example", "companyCode": "C1", "costCenter": "CC", "division": "D", "secondaryDepartment": "S"},
		"description": "d", "employeeId": "E1", "employeeType": "full", "endMonthYear": "2024-01-01", "jobTitle": "Engineer",
		"layer": 2, "level": "L1", "role": "r", "secondaryJobTitle": "s", "secondaryRole": "s", "startMonthYear": "2020-01-01", "summary": "s"
	},
	"manager": {"displayName": "Miriam", "relationship": "manager", "userId": "m1", "userPrincipalName": "miriam@contoso.test"},
	"colleagues": [{"displayName": "Lee", "relationship": "colleague", "userId": "l1", "userPrincipalName": "lee@contoso.test"}],
	"isCurrent": true
}`

// TestServiceDescriptionRoutes: the description is read-only and takes
// no query options; paths below it are Graph's unknown segments.
func TestServiceDescriptionRoutes(t *testing.T) {
	s := newTestServer(t)
	for _, path := range []string{"/beta/$metadata", "/v1.0/$metadata", "/beta", "/v1.0/"} {
		for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			resp := s.do(request{method: method, path: path, body: `{}`})
			if msg := expectError(t, resp, http.StatusMethodNotAllowed, "Request_BadRequest"); msg != "Specified HTTP method is not allowed for the request target." {
				t.Errorf("%s %s: message %q", method, path, msg)
			}
			if got := resp.header.Get("Allow"); got != "GET" {
				t.Errorf("%s %s: Allow %q, want GET", method, path, got)
			}
		}
	}
	for _, path := range []string{"/beta/$metadata?$select=id", "/beta?$top=1", "/v1.0/$metadata?$filter=x"} {
		msg := expectError(t, s.do(request{path: path}), http.StatusBadRequest, "BadRequest")
		if !strings.Contains(msg, "is not supported on this resource") {
			t.Errorf("%s: %q", path, msg)
		}
	}
	for _, tc := range []struct{ path, segment string }{
		{"/beta/$metadata/users", "users"},
		{"/beta/$batches", "$batches"},
		{"/v1.0/$metadata/x", "x"},
	} {
		msg := expectError(t, s.do(request{path: tc.path}), http.StatusBadRequest, "BadRequest")
		if msg != "Resource not found for the segment '"+tc.segment+"'." {
			t.Errorf("%s: %q", tc.path, msg)
		}
	}
	resp := s.do(request{path: "/beta/"})
	if want := `{"@odata.context":"` + s.url + `/beta/$metadata","value":[{"name":"users","kind":"EntitySet","url":"users"},{"name":"me","kind":"Singleton","url":"me"}]}`; string(resp.body) != want {
		t.Errorf("service document %s, want %s", resp.body, want)
	}
}

// TestMetadataLikeAnyBody checks that $metadata is written as every other
// answer is: HEAD without the body, gzip when the client accepts it.
func TestMetadataLikeAnyBody(t *testing.T) {
	s := newTestServer(t)
	full := s.do(request{path: "/beta/$metadata"})
	if full.status != http.StatusOK || len(full.body) == 0 {
		t.Fatalf("GET $metadata: %d", full.status)
	}
	head := s.do(request{method: http.MethodHead, path: "/beta/$metadata"})
	if head.status != http.StatusOK || len(head.body) != 0 || head.header.Get("Content-Length") != strconv.Itoa(len(full.body)) {
		t.Errorf("HEAD $metadata: %d, %d bytes, Content-Length %q (GET has %d)", head.status, len(head.body), head.header.Get("Content-Length"), len(full.body))
	}
	req, _ := http.NewRequest(http.MethodGet, s.url+"/beta/$metadata", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := (&http.Transport{}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("$metadata with Accept-Encoding gzip: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
}
