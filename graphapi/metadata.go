package graphapi

import (
	"cmp"
	"context"
	"encoding/xml"
	"net/http"
	"slices"
	"strings"

	"github.com/graphprofile/graphprofile"
)

// The service's own description, for each version: $metadata (the CSDL
// XML of OData 4.0) and the service document (its entity sets and
// singletons, as OData JSON). Both are derived from the endpoint table (what
// is served where) and the schema table (the types and their properties),
// so a route or a property added to either appears in them by itself.

// ownerType is the entity type {owner} addresses: a user (see route.go).
var ownerType = graphprofile.UserType

// descriptions are the description of each version, made once at start
// from the endpoint table. (In init, not in an initializer: the table holds
// the handlers that read them, a cycle for initializers.)
var descriptions map[string]*description

func init() {
	descriptions = make(map[string]*description, len(versions))
	for _, v := range versions {
		descriptions[v] = describe(v, endpoints)
	}
}

// descriptionOf returns the description of a route's version, however its
// path spelled it.
func descriptionOf(version string) *description {
	return descriptions[strings.ToLower(version)]
}

// description is what one version serves.
type description struct {
	// container are the entity sets and singletons at the service root, in
	// the table's order.
	container []containerItem
	// metadata is the $metadata document.
	metadata []byte
}

// containerItem is an entity set or a singleton of the entity container.
type containerItem struct {
	name   string
	kind   string // "EntitySet" or "Singleton", as the service document spells them
	entity *graphprofile.Type
}

// navigation is a navigation property: one the endpoint table adds to the
// owner's type (the user's profile), or one of the schema's (a profile's
// collections).
type navigation struct {
	name       string
	target     *graphprofile.Type
	collection bool
}

// describe derives what version serves from table: the entity sets and
// singletons (/{version}/name), the navigation properties of the owner
// (/{version}/{owner}/name), and every type these reach.
func describe(version string, table []endpoint) *description {
	var served [][]string // each row's segments after the version
	for _, e := range table {
		if first := e.pattern.segments[0]; first == "{version}" || first == version {
			served = append(served, e.pattern.segments[1:])
		}
	}
	d := &description{}
	var ownerNavigation []navigation
	for _, e := range table {
		segments := e.pattern.segments[1:]
		if first := e.pattern.segments[0]; first != "{version}" && first != version {
			continue
		}
		switch {
		case len(segments) == 1 && isLiteral(segments[0]):
			if slices.ContainsFunc(d.container, func(c containerItem) bool { return c.name == segments[0] }) {
				continue
			}
			kind := "Singleton"
			if slices.ContainsFunc(served, func(s []string) bool { return len(s) == 2 && s[0] == segments[0] && !isLiteral(s[1]) }) {
				kind = "EntitySet"
			}
			d.container = append(d.container, containerItem{name: segments[0], kind: kind, entity: e.entity})
		case len(segments) == 2 && segments[0] == "{owner}" && isLiteral(segments[1]):
			if !slices.ContainsFunc(ownerNavigation, func(n navigation) bool { return n.name == segments[1] }) {
				ownerNavigation = append(ownerNavigation, navigation{name: segments[1], target: e.entity})
			}
		}
	}
	d.metadata = metadataDocument(d.container, ownerNavigation)
	return d
}

// isLiteral reports whether a pattern segment is a name rather than a
// parameter or an OData segment such as $count or $metadata.
func isLiteral(segment string) bool {
	return !strings.HasPrefix(segment, "{") && !strings.HasPrefix(segment, "$")
}

// navigationOf returns the navigation properties of entity type t: the
// schema's, and for the owner's type those the endpoint table adds.
func navigationOf(t *graphprofile.Type, ownerNavigation []navigation) []navigation {
	var navs []navigation
	if t == ownerType {
		navs = append(navs, ownerNavigation...)
	}
	for _, p := range t.Properties {
		if p.Navigation {
			navs = append(navs, navigation{name: p.Name, target: p.Type, collection: p.Collection})
		}
	}
	return navs
}

// The CSDL elements graphprofile writes (OData 4.0 CSDL XML).
type (
	edmxDocument struct {
		XMLName   xml.Name      `xml:"edmx:Edmx"`
		Version   string        `xml:"Version,attr"`
		Namespace string        `xml:"xmlns:edmx,attr"`
		Reference edmxReference `xml:"edmx:Reference"`
		Schema    csdlSchema    `xml:"edmx:DataServices>Schema"`
	}
	edmxReference struct {
		URI     string      `xml:"Uri,attr"`
		Include edmxInclude `xml:"edmx:Include"`
	}
	edmxInclude struct {
		Namespace string `xml:"Namespace,attr"`
		Alias     string `xml:"Alias,attr"`
	}
	csdlSchema struct {
		Namespace    string           `xml:"Namespace,attr"`
		Alias        string           `xml:"Alias,attr"`
		XMLNS        string           `xml:"xmlns,attr"`
		EnumTypes    []csdlEnumType   `xml:"EnumType"`
		ComplexTypes []csdlStructured `xml:"ComplexType"`
		EntityTypes  []csdlStructured `xml:"EntityType"`
		Container    csdlContainer    `xml:"EntityContainer"`
	}
	csdlEnumType struct {
		Name    string       `xml:"Name,attr"`
		IsFlags bool         `xml:"IsFlags,attr,omitempty"`
		Members []csdlMember `xml:"Member"`
	}
	csdlMember struct {
		Name  string `xml:"Name,attr"`
		Value int64  `xml:"Value,attr"`
	}
	csdlStructured struct {
		Name          string             `xml:"Name,attr"`
		Key           *csdlKey           `xml:"Key"`
		Properties    []csdlProperty     `xml:"Property"`
		Navigation    []csdlNavigation   `xml:"NavigationProperty"`
		AlternateKeys *csdlAlternateKeys `xml:"Annotation"`
	}
	// csdlAlternateKeys is Core.AlternateKeys: the properties besides the
	// key that address an entity in parentheses, name(property='…').
	csdlAlternateKeys struct {
		Term string             `xml:"Term,attr"`
		Keys []csdlAlternateKey `xml:"Collection>Record"`
	}
	csdlAlternateKey struct {
		Type string          `xml:"Type,attr"`
		Key  csdlRecordValue `xml:"PropertyValue"`
	}
	csdlRecordValue struct {
		Property     string          `xml:"Property,attr"`
		String       string          `xml:"String,attr,omitempty"`
		PropertyPath string          `xml:"PropertyPath,attr,omitempty"`
		Collection   *csdlCollection `xml:"Collection"`
	}
	csdlCollection struct {
		Records []csdlRecord `xml:"Record"`
	}
	csdlRecord struct {
		Type   string            `xml:"Type,attr"`
		Values []csdlRecordValue `xml:"PropertyValue"`
	}
	csdlKey struct {
		PropertyRef struct {
			Name string `xml:"Name,attr"`
		} `xml:"PropertyRef"`
	}
	csdlProperty struct {
		Name       string           `xml:"Name,attr"`
		Type       string           `xml:"Type,attr"`
		Nullable   string           `xml:"Nullable,attr,omitempty"`
		Annotation *csdlPermissions `xml:"Annotation"`
	}
	// csdlPermissions is Core.Permissions: what a client may do with a
	// property that is not both readable and writable.
	csdlPermissions struct {
		Term       string `xml:"Term,attr"`
		EnumMember string `xml:"EnumMember"`
	}
	csdlNavigation struct {
		Name           string `xml:"Name,attr"`
		Type           string `xml:"Type,attr"`
		ContainsTarget bool   `xml:"ContainsTarget,attr"`
	}
	csdlContainer struct {
		Name       string          `xml:"Name,attr"`
		EntitySets []csdlEntitySet `xml:"EntitySet"`
		Singletons []csdlSingleton `xml:"Singleton"`
	}
	csdlEntitySet struct {
		Name       string `xml:"Name,attr"`
		EntityType string `xml:"EntityType,attr"`
	}
	csdlSingleton struct {
		Name string `xml:"Name,attr"`
		Type string `xml:"Type,attr"`
	}
)

// metadataDocument writes the CSDL of a version: the entity types its
// container and navigation reach (flattened: every property a type has,
// inherited ones included, declared on the type itself, with id as its
// key), the complex and enum types their properties reach, and the
// container. Declarations are in Graph's order: enum, complex, then entity
// types, each by name.
func metadataDocument(container []containerItem, ownerNavigation []navigation) []byte {
	entities := map[*graphprofile.Type]bool{}
	others := map[*graphprofile.Type]bool{}
	var reachEntity, reachValue func(t *graphprofile.Type)
	reachEntity = func(t *graphprofile.Type) {
		if entities[t] {
			return
		}
		entities[t] = true
		for _, p := range t.Properties {
			if !p.Navigation {
				reachValue(p.Type)
			}
		}
		for _, n := range navigationOf(t, ownerNavigation) {
			reachEntity(n.target)
		}
	}
	reachValue = func(t *graphprofile.Type) {
		if others[t] || (t.Kind != graphprofile.KindComplex && t.Kind != graphprofile.KindEnum) {
			return
		}
		others[t] = true
		for _, p := range t.Properties {
			reachValue(p.Type)
		}
	}
	schema := csdlSchema{Namespace: "microsoft.graph", Alias: "graph", XMLNS: "http://docs.oasis-open.org/odata/ns/edm",
		Container: csdlContainer{Name: "GraphService"}}
	for _, c := range container {
		reachEntity(c.entity)
		switch c.kind {
		case "EntitySet":
			schema.Container.EntitySets = append(schema.Container.EntitySets, csdlEntitySet{Name: c.name, EntityType: c.entity.Name})
		default:
			schema.Container.Singletons = append(schema.Container.Singletons, csdlSingleton{Name: c.name, Type: c.entity.Name})
		}
	}
	for _, t := range sortedTypes(others) {
		if t.Kind == graphprofile.KindEnum {
			enum := csdlEnumType{Name: t.ShortName(), IsFlags: t.IsFlags}
			for _, m := range t.Members {
				value, _ := t.MemberValue(m)
				enum.Members = append(enum.Members, csdlMember{Name: m, Value: value})
			}
			schema.EnumTypes = append(schema.EnumTypes, enum)
			continue
		}
		schema.ComplexTypes = append(schema.ComplexTypes, csdlStructured{Name: t.ShortName(), Properties: csdlProperties(t, false)})
	}
	for _, t := range sortedTypes(entities) {
		entity := csdlStructured{Name: t.ShortName(), Key: &csdlKey{}, Properties: csdlProperties(t, true)}
		entity.Key.PropertyRef.Name = "id"
		for _, n := range navigationOf(t, ownerNavigation) {
			entity.Navigation = append(entity.Navigation, csdlNavigation{Name: n.name, Type: typeName(n.target.Name, n.collection), ContainsTarget: true})
		}
		if t == ownerType {
			// users(userPrincipalName='…'), which the router takes (keyOf).
			entity.AlternateKeys = alternateKeys(graphprofile.KeyByPrincipalName)
		}
		schema.EntityTypes = append(schema.EntityTypes, entity)
	}
	doc := edmxDocument{
		Version:   "4.0",
		Namespace: "http://docs.oasis-open.org/odata/ns/edmx",
		Reference: edmxReference{
			URI:     "https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.xml",
			Include: edmxInclude{Namespace: "Org.OData.Core.V1", Alias: "Core"},
		},
		Schema: schema,
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic("graphapi: writing $metadata: " + err.Error()) // only plain structs of strings: cannot happen
	}
	return append([]byte(xml.Header), append(out, '\n')...)
}

// alternateKeys declares each property of properties an alternate key of
// its own, by its name, as Graph's CSDL declares a user's principal name.
func alternateKeys(properties ...string) *csdlAlternateKeys {
	a := &csdlAlternateKeys{Term: "Org.OData.Core.V1.AlternateKeys"}
	for _, p := range properties {
		ref := csdlRecord{Type: "Org.OData.Core.V1.PropertyRef", Values: []csdlRecordValue{
			{Property: "Alias", String: p},
			{Property: "Name", PropertyPath: p},
		}}
		a.Keys = append(a.Keys, csdlAlternateKey{Type: "Org.OData.Core.V1.AlternateKey",
			Key: csdlRecordValue{Property: "Key", Collection: &csdlCollection{Records: []csdlRecord{ref}}}})
	}
	return a
}

// csdlProperties declares the structural properties of t. An entity's id is
// its key, the only property that is never null. A property set only by
// graphprofile is read-only to clients, one never returned (a user's
// passwordProfile) write-only.
func csdlProperties(t *graphprofile.Type, entity bool) []csdlProperty {
	var props []csdlProperty
	for _, p := range t.Properties {
		if p.Navigation {
			continue
		}
		prop := csdlProperty{Name: p.Name, Type: typeName(p.Type.Name, p.Collection)}
		if (entity && p.Name == "id") || p.NotNull {
			prop.Nullable = "false"
		}
		switch {
		case p.WriteOnly:
			prop.Annotation = &csdlPermissions{Term: "Org.OData.Core.V1.Permissions", EnumMember: "Org.OData.Core.V1.Permission/Write"}
		case p.ServerManaged:
			prop.Annotation = &csdlPermissions{Term: "Org.OData.Core.V1.Permissions", EnumMember: "Org.OData.Core.V1.Permission/Read"}
		}
		props = append(props, prop)
	}
	return props
}

func typeName(name string, collection bool) string {
	if collection {
		return "Collection(" + name + ")"
	}
	return name
}

// sortedTypes returns the types of set ordered by kind (enum, then
// complex), then name.
func sortedTypes(set map[*graphprofile.Type]bool) []*graphprofile.Type {
	types := make([]*graphprofile.Type, 0, len(set))
	for t := range set {
		types = append(types, t)
	}
	slices.SortFunc(types, func(a, b *graphprofile.Type) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), strings.Compare(a.Name, b.Name))
	})
	return types
}

// getMetadata answers GET /{version}/$metadata: the version's CSDL.
func (s *Server) getMetadata(_ context.Context, ex *exchange, c call) error {
	ex.w.Header()["OData-Version"] = odataVersion
	ex.writeBody(http.StatusOK, "application/xml;charset=utf-8", descriptionOf(c.route.version).metadata)
	return nil
}

// getServiceDocument answers GET /{version}: the service document, which
// names the version's entity sets and singletons and links to $metadata.
func (s *Server) getServiceDocument(_ context.Context, ex *exchange, c call) error {
	ex.writeJSON(http.StatusOK, func(buf []byte) []byte {
		buf = append(buf, `{"@odata.context":`...)
		buf = graphprofile.AppendJSONString(buf, ex.baseURL()+"/"+c.route.version+"/$metadata")
		buf = append(buf, `,"value":[`...)
		for i, item := range descriptionOf(c.route.version).container {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, `{"name":`...)
			buf = graphprofile.AppendJSONString(buf, item.name)
			buf = append(buf, `,"kind":`...)
			buf = graphprofile.AppendJSONString(buf, item.kind)
			buf = append(buf, `,"url":`...)
			buf = graphprofile.AppendJSONString(buf, item.name)
			buf = append(buf, '}')
		}
		return append(buf, "]}"...)
	})
	return nil
}
