package graphprofile

import (
	"strings"
	"unicode/utf8"
)

// The EDM schema of workPosition and its nested types, as data: one table that
// the request decoder, the PATCH merge, the response encoder and the OData
// query layer all read. It follows beta-csdl-profile.xml; properties are
// listed in the order Graph's examples print them, and properties the examples
// do not show follow in schema order.

// Kind is the EDM kind of a type.
type Kind int

// The EDM kinds graphprofile knows.
const (
	KindString         Kind = iota // Edm.String: Go string
	KindBoolean                    // Edm.Boolean: Go bool
	KindInt32                      // Edm.Int32: Go int64 within int32 range
	KindDouble                     // Edm.Double: Go float64
	KindDate                       // Edm.Date: Date
	KindDateTimeOffset             // Edm.DateTimeOffset: time.Time in UTC
	KindEnum                       // an EnumType: Go string of member names
	KindComplex                    // a ComplexType: Object
)

// Type describes one EDM type.
type Type struct {
	// Name is the qualified name, e.g. "Edm.String" or "microsoft.graph.positionDetail".
	Name string
	Kind Kind
	// Properties of a complex or entity type, in output order.
	Properties []Property
	// Members of an enum type, in declared order.
	Members []string
	// Values are the members' numeric values when they are not 0, 1, 2, …
	// (flags enums).
	Values []int64
	// IsFlags marks a flags enum: a value is one member or a comma-separated combination.
	IsFlags bool
	// IgnoreCase marks an entity type whose string values compare and
	// order ignoring case in queries ($filter, $orderby), as Graph's
	// directory compares a user's.
	IgnoreCase bool
}

// Property is one structural property of a complex or entity type.
type Property struct {
	Name       string
	Type       *Type
	Collection bool
	// ServerManaged properties are set by graphprofile; values for them in a
	// request body are ignored.
	ServerManaged bool
	// WriteOnly properties are accepted in a request body but never stored
	// or returned (a user's passwordProfile): $select may name one, and
	// gets null.
	WriteOnly bool
	// SelfService properties of a user are those a user may change about
	// themself with a permission over their own user only; changing the
	// others needs a permission over the directory (Service.UpdateUser).
	SelfService bool
	// MaxLength bounds a string (each item, for a collection) in
	// characters; zero means DefaultMaxLength.
	MaxLength int
	// Navigation marks a contained navigation property (ContainsTarget):
	// entities served at a path of their own below the entity (a profile's
	// positions), not a value stored with it. Only $select, $expand and
	// $metadata see them.
	Navigation bool
	// MaxItems bounds a collection; zero means MaxCollectionItems.
	MaxItems int
	// NotNull marks a property the CSDL declares Nullable="false", besides
	// an entity's key (id), which is never null anyway. A body may not set
	// it to null (CheckNotNull); a create that leaves it out takes its
	// NotNullDefault; an unset collection is written as [].
	NotNull bool
}

// Limits on values in request bodies, like Graph's own per-property limits:
// they keep one position to a few kilobytes, whatever a client sends.
const (
	// DefaultMaxLength is the most characters a string property takes
	// unless its Property says otherwise.
	DefaultMaxLength = 1024
	// LongTextMaxLength is for the free-text properties (description,
	// summary).
	LongTextMaxLength = 4000
	// URLMaxLength is for URLs (webUrl, thumbnailUrl).
	URLMaxLength = 2048
	// MaxCollectionItems is the most items a collection property takes.
	MaxCollectionItems = 100
)

// maxLength is the length limit of p's strings.
func (p *Property) maxLength() int {
	if p.MaxLength > 0 {
		return p.MaxLength
	}
	return DefaultMaxLength
}

// stringFault is what keeps a string from being a value of a property as
// the stores hold it.
type stringFault int

const (
	stringFits    stringFault = iota
	stringTooLong             // longer than the property's maxLength, in characters
	stringHasNUL              // a NUL, which not every store can hold (PostgreSQL's text cannot)
)

// stringFault says whether s may be a value of p: within its length limit
// (counted in characters; the byte length first, which bounds it), without
// a NUL. A body's values (the decoder) and a token's claims the directory
// records (UnrecordableClaim) are held to it alike.
func (p *Property) stringFault(s string) stringFault {
	if limit := p.maxLength(); len(s) > limit && utf8.RuneCountInString(s) > limit {
		return stringTooLong
	}
	if strings.IndexByte(s, 0) >= 0 {
		return stringHasNUL
	}
	return stringFits
}

// maxItems is the most items p's collection takes.
func (p *Property) maxItems() int {
	if p.MaxItems > 0 {
		return p.MaxItems
	}
	return MaxCollectionItems
}

// MemberValue returns the numeric value of enum member name, and whether
// t has such a member.
func (t *Type) MemberValue(name string) (int64, bool) {
	for i, m := range t.Members {
		if m == name {
			if t.Values != nil {
				return t.Values[i], true
			}
			return int64(i), true
		}
	}
	return 0, false
}

// Property returns the property called name, or nil. Like Graph, it
// ignores case (an exact match first): a client may write isCurrent as
// IsCurrent, and every answer uses the schema's own spelling, p.Name.
func (t *Type) Property(name string) *Property {
	for i := range t.Properties {
		if t.Properties[i].Name == name {
			return &t.Properties[i]
		}
	}
	for i := range t.Properties {
		if strings.EqualFold(t.Properties[i].Name, name) {
			return &t.Properties[i]
		}
	}
	return nil
}

// ShortName is the type name without its namespace ("workPosition").
func (t *Type) ShortName() string {
	for i := len(t.Name) - 1; i >= 0; i-- {
		if t.Name[i] == '.' {
			return t.Name[i+1:]
		}
	}
	return t.Name
}

// Primitive types.
var (
	StringType         = &Type{Name: "Edm.String", Kind: KindString}
	BooleanType        = &Type{Name: "Edm.Boolean", Kind: KindBoolean}
	Int32Type          = &Type{Name: "Edm.Int32", Kind: KindInt32}
	DoubleType         = &Type{Name: "Edm.Double", Kind: KindDouble}
	DateType           = &Type{Name: "Edm.Date", Kind: KindDate}
	DateTimeOffsetType = &Type{Name: "Edm.DateTimeOffset", Kind: KindDateTimeOffset}
)

// Enum types.
var (
	AllowedAudiencesType = &Type{
		Name: "microsoft.graph.allowedAudiences", Kind: KindEnum, IsFlags: true,
		Members: []string{"me", "family", "contacts", "groupMembers", "organization",
			"federatedOrganizations", "everyone", "unknownFutureValue"},
		Values: []int64{0, 1, 2, 4, 8, 16, 32, 64},
	}
	PersonRelationshipType = &Type{
		Name: "microsoft.graph.personRelationship", Kind: KindEnum,
		Members: []string{"manager", "colleague", "directReport", "dotLineReport", "assistant",
			"dotLineManager", "alternateContact", "friend", "spouse", "sibling", "child", "parent",
			"sponsor", "emergencyContact", "other", "unknownFutureValue"},
	}
	PhysicalAddressTypeType = &Type{
		Name: "microsoft.graph.physicalAddressType", Kind: KindEnum,
		Members: []string{"unknown", "home", "business", "other"},
	}
)

// Complex types. Each is written out property by property as the CSDL
// declares it: these are rows of a table, so declarations of types with
// properties of the same kinds look alike, and that is not logic repeated.
var (
	PhysicalAddressType = &Type{Name: "microsoft.graph.physicalAddress", Kind: KindComplex, Properties: []Property{
		{Name: "type", Type: PhysicalAddressTypeType},
		{Name: "postOfficeBox", Type: StringType},
		{Name: "street", Type: StringType},
		{Name: "city", Type: StringType},
		{Name: "state", Type: StringType},
		{Name: "countryOrRegion", Type: StringType},
		{Name: "postalCode", Type: StringType},
	}}
	CompanyDetailType = &Type{Name: "microsoft.graph.companyDetail", Kind: KindComplex, Properties: []Property{
		{Name: "displayName", Type: StringType},
		{Name: "pronunciation", Type: StringType},
		{Name: "department", Type: StringType},
		{Name: "officeLocation", Type: StringType},
		{Name: "address", Type: PhysicalAddressType},
		{Name: "webUrl", Type: StringType, MaxLength: URLMaxLength},
		{Name: "companyCode", Type: StringType},
		{Name: "costCenter", Type: StringType},
		{Name: "division", Type: StringType},
		{Name: "secondaryDepartment", Type: StringType},
	}}
	PositionDetailType = &Type{Name: "microsoft.graph.positionDetail", Kind: KindComplex, Properties: []Property{
		{Name: "company", Type: CompanyDetailType},
		{Name: "description", Type: StringType, MaxLength: LongTextMaxLength},
		{Name: "employeeId", Type: StringType},
		{Name: "employeeType", Type: StringType},
		{Name: "endMonthYear", Type: DateType},
		{Name: "jobTitle", Type: StringType},
		{Name: "layer", Type: Int32Type},
		{Name: "level", Type: StringType},
		{Name: "role", Type: StringType},
		{Name: "secondaryJobTitle", Type: StringType},
		{Name: "secondaryRole", Type: StringType},
		{Name: "startMonthYear", Type: DateType},
		{Name: "summary", Type: StringType, MaxLength: LongTextMaxLength},
	}}
	RelatedPersonType = &Type{Name: "microsoft.graph.relatedPerson", Kind: KindComplex, Properties: []Property{
		{Name: "displayName", Type: StringType},
		{Name: "relationship", Type: PersonRelationshipType},
		{Name: "userId", Type: StringType},
		{Name: "userPrincipalName", Type: StringType},
	}}
	InferenceDataType = &Type{Name: "microsoft.graph.inferenceData", Kind: KindComplex, Properties: []Property{
		{Name: "confidenceScore", Type: DoubleType},
		{Name: "userHasVerifiedAccuracy", Type: BooleanType},
	}}
	IdentityType = &Type{Name: "microsoft.graph.identity", Kind: KindComplex, Properties: []Property{
		{Name: "displayName", Type: StringType},
		{Name: "id", Type: StringType},
	}}
	IdentitySetType = &Type{Name: "microsoft.graph.identitySet", Kind: KindComplex, Properties: []Property{
		{Name: "application", Type: IdentityType},
		{Name: "device", Type: IdentityType},
		{Name: "user", Type: IdentityType},
	}}
	// PersonDataSourcesType is the Prod schema's type of itemFacet/source. The
	// decoder also accepts the older personDataSource form {"type": "x"}.
	PersonDataSourcesType = &Type{Name: "microsoft.graph.personDataSources", Kind: KindComplex, Properties: []Property{
		{Name: "type", Type: StringType, Collection: true},
	}}
	ProfileSourceAnnotationType = &Type{Name: "microsoft.graph.profileSourceAnnotation", Kind: KindComplex, Properties: []Property{
		{Name: "isDefaultSource", Type: BooleanType},
		{Name: "properties", Type: StringType, Collection: true},
		{Name: "sourceId", Type: StringType},
	}}
)

// itemFacetProperties is the properties of a facet of the profile: those it
// inherits from entity and itemFacet, in the order the positions seed prints
// them, then own, the facet's own. Every facet type is built with it, so the
// inherited properties are declared once.
func itemFacetProperties(own ...Property) []Property {
	return append([]Property{
		{Name: "id", Type: StringType, ServerManaged: true},
		{Name: "allowedAudiences", Type: AllowedAudiencesType},
		{Name: "inference", Type: InferenceDataType},
		{Name: "createdDateTime", Type: DateTimeOffsetType, ServerManaged: true},
		{Name: "createdBy", Type: IdentitySetType, ServerManaged: true},
		{Name: "lastModifiedDateTime", Type: DateTimeOffsetType, ServerManaged: true},
		{Name: "lastModifiedBy", Type: IdentitySetType, ServerManaged: true},
		{Name: "source", Type: PersonDataSourcesType},
		{Name: "sources", Type: ProfileSourceAnnotationType, Collection: true},
		{Name: "isSearchable", Type: BooleanType},
	}, own...)
}

// InheritedFacetProperty reports whether name is the name of a property
// every facet of the profile inherits from entity and itemFacet
// (itemFacetProperties), not one of a facet's own.
func InheritedFacetProperty(name string) bool {
	for _, p := range itemFacetProperties() {
		if p.Name == name {
			return true
		}
	}
	return false
}

// WorkPositionType is the entity type microsoft.graph.workPosition with the
// properties it inherits from itemFacet and entity, in the seed's order.
var WorkPositionType = &Type{Name: "microsoft.graph.workPosition", Kind: KindComplex, Properties: itemFacetProperties(
	Property{Name: "categories", Type: StringType, Collection: true},
	Property{Name: "detail", Type: PositionDetailType},
	Property{Name: "manager", Type: RelatedPersonType},
	Property{Name: "colleagues", Type: RelatedPersonType, Collection: true},
	Property{Name: "isCurrent", Type: BooleanType},
)}

// ProfileType is microsoft.graph.profile: a constant id and the profile's
// collections, each a navigation property. Its navigation rows are the one
// list of a profile's collections: GET and DELETE of the profile and
// $metadata read them, so a collection is added here.
var ProfileType = &Type{Name: "microsoft.graph.profile", Kind: KindComplex,
	Properties: append([]Property{{Name: "id", Type: StringType, ServerManaged: true}}, facetCollections...)}

// PasswordProfileType is accepted in user bodies so that Graph code creating
// users works unchanged; graphprofile is no identity provider and never
// stores or returns it.
var PasswordProfileType = &Type{Name: "microsoft.graph.passwordProfile", Kind: KindComplex, Properties: []Property{
	{Name: "forceChangePasswordNextSignIn", Type: BooleanType},
	{Name: "forceChangePasswordNextSignInWithMfa", Type: BooleanType},
	{Name: "password", Type: StringType},
}}

// UserType is microsoft.graph.user as far as graphprofile keeps it: the
// properties of the users directory and of a people directory, typed as the
// beta CSDL types them. The identity properties come first (in the order
// graphprofile has always written them), then the people-directory ones in
// alphabetical order, as Graph's examples print them. MaxLength is Graph's
// documented limit where it documents one. SelfService marks what Graph lets
// a user change about themself (its docs' own self-update example changes
// businessPhones and officeLocation).
var UserType = &Type{Name: "microsoft.graph.user", Kind: KindComplex, IgnoreCase: true, Properties: []Property{
	{Name: "id", Type: StringType},
	{Name: "displayName", Type: StringType, MaxLength: 256},
	{Name: "userPrincipalName", Type: StringType, MaxLength: 113},
	{Name: "mail", Type: StringType, MaxLength: 254},
	{Name: "mailNickname", Type: StringType, MaxLength: 64},
	{Name: "givenName", Type: StringType, MaxLength: 64},
	{Name: "surname", Type: StringType, MaxLength: 64},
	{Name: "jobTitle", Type: StringType, MaxLength: 128},
	{Name: "accountEnabled", Type: BooleanType},
	// Graph takes one number only, although the type is a collection; its
	// CSDL declares it Nullable="false", so a user without one has [].
	{Name: "businessPhones", Type: StringType, Collection: true, MaxItems: 1, MaxLength: 64, SelfService: true, NotNull: true},
	{Name: "city", Type: StringType, MaxLength: 128},
	{Name: "companyName", Type: StringType, MaxLength: 64},
	{Name: "country", Type: StringType, MaxLength: 128},
	{Name: "department", Type: StringType, MaxLength: 64},
	{Name: "employeeHireDate", Type: DateTimeOffsetType},
	{Name: "employeeId", Type: StringType, MaxLength: 16},
	{Name: "employeeType", Type: StringType},
	{Name: "faxNumber", Type: StringType},
	{Name: "mobilePhone", Type: StringType, MaxLength: 64, SelfService: true},
	{Name: "officeLocation", Type: StringType, SelfService: true},
	{Name: "postalCode", Type: StringType, MaxLength: 40},
	{Name: "preferredLanguage", Type: StringType, SelfService: true},
	{Name: "state", Type: StringType, MaxLength: 128},
	{Name: "streetAddress", Type: StringType, MaxLength: 1024},
	{Name: "usageLocation", Type: StringType, MaxLength: 2},
	{Name: "passwordProfile", Type: PasswordProfileType, WriteOnly: true},
}}
