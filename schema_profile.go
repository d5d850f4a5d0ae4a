package graphprofile

// The facets of the beta profile: every collection of microsoft.graph.profile
// and the complex and enum types they reach, as the beta CSDL declares them.
// testdata/csdl/profile-types.json is the extract of the CSDL the tests hold
// these rows to. Each facet has the properties it inherits from entity and
// itemFacet (itemFacetProperties), then its own in the CSDL's order; the
// nested types list theirs in the CSDL's order too, except those the
// positions seed already ordered (schema.go).

// Enum types of the facets.
var (
	BodyTypeType = &Type{
		Name: "microsoft.graph.bodyType", Kind: KindEnum,
		Members: []string{"text", "html"},
	}
	EmailTypeType = &Type{
		Name: "microsoft.graph.emailType", Kind: KindEnum,
		Members: []string{"unknown", "work", "personal", "main", "other"},
	}
	LanguageProficiencyLevelType = &Type{
		Name: "microsoft.graph.languageProficiencyLevel", Kind: KindEnum,
		Members: []string{"elementary", "conversational", "limitedWorking", "professionalWorking",
			"fullProfessional", "nativeOrBilingual", "unknownFutureValue"},
	}
	// PersonAnnualEventTypeType's unknownFutureValue is 5: the CSDL leaves 4 out.
	PersonAnnualEventTypeType = &Type{
		Name: "microsoft.graph.personAnnualEventType", Kind: KindEnum,
		Members: []string{"birthday", "wedding", "work", "other", "unknownFutureValue"},
		Values:  []int64{0, 1, 2, 3, 5},
	}
	PhoneTypeType = &Type{
		Name: "microsoft.graph.phoneType", Kind: KindEnum,
		Members: []string{"home", "business", "mobile", "other", "assistant", "homeFax", "businessFax",
			"otherFax", "pager", "radio"},
	}
	SkillProficiencyLevelType = &Type{
		Name: "microsoft.graph.skillProficiencyLevel", Kind: KindEnum,
		Members: []string{"elementary", "limitedWorking", "generalProfessional", "advancedProfessional",
			"expert", "unknownFutureValue"},
	}
	UserPersonaType = &Type{
		Name: "microsoft.graph.userPersona", Kind: KindEnum,
		Members: []string{"unknown", "externalMember", "externalGuest", "internalMember", "internalGuest",
			"unknownFutureValue"},
	}
)

// Complex types of the facets. Like schema.go's, they are rows of a table.
var (
	EducationalActivityDetailType = &Type{Name: "microsoft.graph.educationalActivityDetail", Kind: KindComplex, Properties: []Property{
		{Name: "abbreviation", Type: StringType},
		{Name: "activities", Type: StringType, Collection: true},
		{Name: "awards", Type: StringType, Collection: true},
		{Name: "description", Type: StringType, MaxLength: LongTextMaxLength},
		{Name: "displayName", Type: StringType},
		{Name: "fieldsOfStudy", Type: StringType, Collection: true},
		{Name: "grade", Type: StringType},
		{Name: "notes", Type: StringType, MaxLength: LongTextMaxLength},
		{Name: "webUrl", Type: StringType, MaxLength: URLMaxLength},
	}}
	GeoCoordinatesType = &Type{Name: "microsoft.graph.geoCoordinates", Kind: KindComplex, Properties: []Property{
		{Name: "altitude", Type: DoubleType},
		{Name: "latitude", Type: DoubleType},
		{Name: "longitude", Type: DoubleType},
	}}
	InstitutionDataType = &Type{Name: "microsoft.graph.institutionData", Kind: KindComplex, Properties: []Property{
		{Name: "description", Type: StringType, MaxLength: LongTextMaxLength},
		{Name: "displayName", Type: StringType},
		{Name: "location", Type: PhysicalAddressType},
		{Name: "webUrl", Type: StringType, MaxLength: URLMaxLength},
	}}
	// ItemBodyType is the detail of a note (personAnnotation): its content
	// is free text.
	ItemBodyType = &Type{Name: "microsoft.graph.itemBody", Kind: KindComplex, Properties: []Property{
		{Name: "content", Type: StringType, MaxLength: LongTextMaxLength},
		{Name: "contentType", Type: BodyTypeType},
	}}
	LocaleInfoType = &Type{Name: "microsoft.graph.localeInfo", Kind: KindComplex, Properties: []Property{
		{Name: "displayName", Type: StringType},
		{Name: "locale", Type: StringType},
	}}
	OriginTenantInfoType = &Type{Name: "microsoft.graph.originTenantInfo", Kind: KindComplex, Properties: []Property{
		{Name: "originTenantId", Type: StringType},
		{Name: "originUserId", Type: StringType},
	}}
	// PersonNamePronounciationType keeps the CSDL's spelling of the type's
	// name ("Pronounciation"); the property that holds it is pronunciation.
	PersonNamePronounciationType = &Type{Name: "microsoft.graph.personNamePronounciation", Kind: KindComplex, Properties: []Property{
		{Name: "displayName", Type: StringType},
		{Name: "first", Type: StringType},
		{Name: "last", Type: StringType},
		{Name: "maiden", Type: StringType},
		{Name: "middle", Type: StringType},
	}}
	ServiceInformationType = &Type{Name: "microsoft.graph.serviceInformation", Kind: KindComplex, Properties: []Property{
		{Name: "name", Type: StringType},
		{Name: "webUrl", Type: StringType, MaxLength: URLMaxLength},
	}}
)

// The facet entity types, in the order of their collections in
// microsoft.graph.profile. Rows of a table too: facets whose own properties
// are of the same kinds read alike, and that is not logic repeated.
var (
	UserAccountInformationType = &Type{Name: "microsoft.graph.userAccountInformation", Kind: KindComplex, Properties: itemFacetProperties(
		Property{Name: "ageGroup", Type: StringType},
		Property{Name: "countryCode", Type: StringType},
		Property{Name: "originTenantInfo", Type: OriginTenantInfoType},
		Property{Name: "preferredLanguageTag", Type: LocaleInfoType},
		Property{Name: "userPersona", Type: UserPersonaType},
		Property{Name: "userPrincipalName", Type: StringType},
	)}
	ItemAddressType = &Type{Name: "microsoft.graph.itemAddress", Kind: KindComplex, Properties: itemFacetProperties(
		Property{Name: "detail", Type: PhysicalAddressType},
		Property{Name: "displayName", Type: StringType},
		Property{Name: "geoCoordinates", Type: GeoCoordinatesType},
	)}
	PersonAnnualEventType = &Type{Name: "microsoft.graph.personAnnualEvent", Kind: KindComplex, Properties: itemFacetProperties(
		Property{Name: "date", Type: DateType},
		Property{Name: "displayName", Type: StringType},
		Property{Name: "type", Type: PersonAnnualEventTypeType},
	)}
	PersonAwardType = &Type{Name: "microsoft.graph.personAward", Kind: KindComplex, Properties: itemFacetProperties(
		Property{Name: "description", Type: StringType, MaxLength: LongTextMaxLength},
		Property{Name: "displayName", Type: StringType},
		Property{Name: "issuedDate", Type: DateType},
		Property{Name: "issuingAuthority", Type: StringType},
		Property{Name: "thumbnailUrl", Type: StringType, MaxLength: URLMaxLength},
		Property{Name: "webUrl", Type: StringType, MaxLength: URLMaxLength},
	)}
	PersonCertificationType = &Type{Name: "microsoft.graph.personCertification", Kind: KindComplex, Properties: itemFacetProperties(
		Property{Name: "certificationId", Type: StringType},
		Property{Name: "description", Type: StringType, MaxLength: LongTextMaxLength},
		Property{Name: "displayName", Type: StringType},
		Property{Name: "endDate", Type: DateType},
		Property{Name: "issuedDate", Type: DateType},
		Property{Name: "issuingAuthority", Type: StringType},
		Property{Name: "issuingCompany", Type: StringType},
		Property{Name: "startDate", Type: DateType},
		Property{Name: "thumbnailUrl", Type: StringType, MaxLength: URLMaxLength},
		Property{Name: "webUrl", Type: StringType, MaxLength: URLMaxLength},
	)}
	EducationalActivityType = &Type{Name: "microsoft.graph.educationalActivity", Kind: KindComplex, Properties: itemFacetProperties(
		Property{Name: "completionMonthYear", Type: DateType},
		Property{Name: "endMonthYear", Type: DateType},
		Property{Name: "institution", Type: InstitutionDataType},
		Property{Name: "program", Type: EducationalActivityDetailType},
		Property{Name: "startMonthYear", Type: DateType},
	)}
	ItemEmailType = &Type{Name: "microsoft.graph.itemEmail", Kind: KindComplex, Properties: itemFacetProperties(
		Property{Name: "address", Type: StringType},
		Property{Name: "displayName", Type: StringType},
		Property{Name: "type", Type: EmailTypeType, NotNull: true},
	)}
	PersonInterestType = &Type{Name: "microsoft.graph.personInterest", Kind: KindComplex, Properties: itemFacetProperties(
		Property{Name: "categories", Type: StringType, Collection: true},
		Property{Name: "collaborationTags", Type: StringType, Collection: true},
		Property{Name: "description", Type: StringType, MaxLength: LongTextMaxLength},
		Property{Name: "displayName", Type: StringType},
		Property{Name: "thumbnailUrl", Type: StringType, MaxLength: URLMaxLength},
		Property{Name: "webUrl", Type: StringType, MaxLength: URLMaxLength},
	)}
	LanguageProficiencyType = &Type{Name: "microsoft.graph.languageProficiency", Kind: KindComplex, Properties: itemFacetProperties(
		Property{Name: "displayName", Type: StringType},
		Property{Name: "proficiency", Type: LanguageProficiencyLevelType},
		Property{Name: "reading", Type: LanguageProficiencyLevelType},
		Property{Name: "spoken", Type: LanguageProficiencyLevelType},
		Property{Name: "tag", Type: StringType},
		Property{Name: "thumbnailUrl", Type: StringType, MaxLength: URLMaxLength},
		Property{Name: "written", Type: LanguageProficiencyLevelType},
	)}
	PersonNameType = &Type{Name: "microsoft.graph.personName", Kind: KindComplex, Properties: itemFacetProperties(
		Property{Name: "displayName", Type: StringType},
		Property{Name: "first", Type: StringType},
		Property{Name: "initials", Type: StringType},
		Property{Name: "languageTag", Type: StringType},
		Property{Name: "last", Type: StringType},
		Property{Name: "maiden", Type: StringType},
		Property{Name: "middle", Type: StringType},
		Property{Name: "nickname", Type: StringType},
		Property{Name: "pronunciation", Type: PersonNamePronounciationType},
		Property{Name: "suffix", Type: StringType},
		Property{Name: "title", Type: StringType},
	)}
	// PersonAnnotationType is a note: its detail is an itemBody.
	PersonAnnotationType = &Type{Name: "microsoft.graph.personAnnotation", Kind: KindComplex, Properties: itemFacetProperties(
		Property{Name: "detail", Type: ItemBodyType},
		Property{Name: "displayName", Type: StringType},
		Property{Name: "thumbnailUrl", Type: StringType, MaxLength: URLMaxLength},
	)}
	ItemPatentType = &Type{Name: "microsoft.graph.itemPatent", Kind: KindComplex, Properties: itemFacetProperties(
		Property{Name: "description", Type: StringType, MaxLength: LongTextMaxLength},
		Property{Name: "displayName", Type: StringType},
		Property{Name: "isPending", Type: BooleanType},
		Property{Name: "issuedDate", Type: DateType},
		Property{Name: "issuingAuthority", Type: StringType},
		Property{Name: "number", Type: StringType},
		Property{Name: "webUrl", Type: StringType, MaxLength: URLMaxLength},
	)}
	ItemPhoneType = &Type{Name: "microsoft.graph.itemPhone", Kind: KindComplex, Properties: itemFacetProperties(
		Property{Name: "displayName", Type: StringType},
		Property{Name: "number", Type: StringType},
		Property{Name: "type", Type: PhoneTypeType, NotNull: true},
	)}
	ProjectParticipationType = &Type{Name: "microsoft.graph.projectParticipation", Kind: KindComplex, Properties: itemFacetProperties(
		Property{Name: "categories", Type: StringType, Collection: true},
		Property{Name: "client", Type: CompanyDetailType},
		Property{Name: "collaborationTags", Type: StringType, Collection: true},
		Property{Name: "colleagues", Type: RelatedPersonType, Collection: true},
		Property{Name: "detail", Type: PositionDetailType},
		Property{Name: "displayName", Type: StringType},
		Property{Name: "sponsors", Type: RelatedPersonType, Collection: true},
		Property{Name: "thumbnailUrl", Type: StringType, MaxLength: URLMaxLength},
	)}
	ItemPublicationType = &Type{Name: "microsoft.graph.itemPublication", Kind: KindComplex, Properties: itemFacetProperties(
		Property{Name: "description", Type: StringType, MaxLength: LongTextMaxLength},
		Property{Name: "displayName", Type: StringType},
		Property{Name: "publishedDate", Type: DateType},
		Property{Name: "publisher", Type: StringType},
		Property{Name: "thumbnailUrl", Type: StringType, MaxLength: URLMaxLength},
		Property{Name: "webUrl", Type: StringType, MaxLength: URLMaxLength},
	)}
	SkillProficiencyType = &Type{Name: "microsoft.graph.skillProficiency", Kind: KindComplex, Properties: itemFacetProperties(
		Property{Name: "categories", Type: StringType, Collection: true},
		Property{Name: "collaborationTags", Type: StringType, Collection: true},
		Property{Name: "displayName", Type: StringType},
		Property{Name: "proficiency", Type: SkillProficiencyLevelType},
		Property{Name: "thumbnailUrl", Type: StringType, MaxLength: URLMaxLength},
		Property{Name: "webUrl", Type: StringType, MaxLength: URLMaxLength},
	)}
	WebAccountType = &Type{Name: "microsoft.graph.webAccount", Kind: KindComplex, Properties: itemFacetProperties(
		Property{Name: "description", Type: StringType, MaxLength: LongTextMaxLength},
		Property{Name: "service", Type: ServiceInformationType},
		Property{Name: "statusMessage", Type: StringType},
		Property{Name: "thumbnailUrl", Type: StringType, MaxLength: URLMaxLength},
		Property{Name: "userId", Type: StringType},
		Property{Name: "webUrl", Type: StringType, MaxLength: URLMaxLength},
	)}
	PersonWebsiteType = &Type{Name: "microsoft.graph.personWebsite", Kind: KindComplex, Properties: itemFacetProperties(
		Property{Name: "categories", Type: StringType, Collection: true},
		Property{Name: "description", Type: StringType, MaxLength: LongTextMaxLength},
		Property{Name: "displayName", Type: StringType},
		Property{Name: "thumbnailUrl", Type: StringType, MaxLength: URLMaxLength},
		Property{Name: "webUrl", Type: StringType, MaxLength: URLMaxLength},
	)}
)

// facetCollections is every collection of microsoft.graph.profile, in the
// CSDL's order, positions included: ProfileType's navigation rows.
var facetCollections = []Property{
	{Name: "account", Type: UserAccountInformationType, Collection: true, Navigation: true},
	{Name: "addresses", Type: ItemAddressType, Collection: true, Navigation: true},
	{Name: "anniversaries", Type: PersonAnnualEventType, Collection: true, Navigation: true},
	{Name: "awards", Type: PersonAwardType, Collection: true, Navigation: true},
	{Name: "certifications", Type: PersonCertificationType, Collection: true, Navigation: true},
	{Name: "educationalActivities", Type: EducationalActivityType, Collection: true, Navigation: true},
	{Name: "emails", Type: ItemEmailType, Collection: true, Navigation: true},
	{Name: "interests", Type: PersonInterestType, Collection: true, Navigation: true},
	{Name: "languages", Type: LanguageProficiencyType, Collection: true, Navigation: true},
	{Name: "names", Type: PersonNameType, Collection: true, Navigation: true},
	{Name: "notes", Type: PersonAnnotationType, Collection: true, Navigation: true},
	{Name: "patents", Type: ItemPatentType, Collection: true, Navigation: true},
	{Name: "phones", Type: ItemPhoneType, Collection: true, Navigation: true},
	{Name: "positions", Type: WorkPositionType, Collection: true, Navigation: true},
	{Name: "projects", Type: ProjectParticipationType, Collection: true, Navigation: true},
	{Name: "publications", Type: ItemPublicationType, Collection: true, Navigation: true},
	{Name: "skills", Type: SkillProficiencyType, Collection: true, Navigation: true},
	{Name: "webAccounts", Type: WebAccountType, Collection: true, Navigation: true},
	{Name: "websites", Type: PersonWebsiteType, Collection: true, Navigation: true},
}

// NotNullDefault is the value a create gives p, a NotNull property the body
// leaves out, and whether p's type has one: for an enum, the member whose
// value is 0 (itemEmail's type "unknown", itemPhone's "home"), as a Graph
// service stores a non-nullable enum nobody set. The CSDL promises the
// property is never null, so it is never left unset.
func NotNullDefault(p *Property) (any, bool) {
	if p.Type.Kind != KindEnum {
		return nil, false
	}
	for _, m := range p.Type.Members {
		if v, _ := p.Type.MemberValue(m); v == 0 {
			return m, true
		}
	}
	return nil, false
}

// FillNotNullDefaults gives every NotNull property of t that obj, a decoded
// create body, leaves out its NotNullDefault.
func FillNotNullDefaults(t *Type, obj Object) {
	for i := range t.Properties {
		p := &t.Properties[i]
		if _, set := obj[p.Name]; set || !p.NotNull {
			continue
		}
		if v, ok := NotNullDefault(p); ok {
			obj[p.Name] = v
		}
	}
}

// CheckNotNull refuses body, a decoded POST or PATCH body of type t, when it
// sets a NotNull property to null, at any depth, with the error Graph's
// OData reader gives (400 BadRequest).
func CheckNotNull(t *Type, body Object) error {
	for i := range t.Properties {
		p := &t.Properties[i]
		v, set := body[p.Name]
		if !set {
			continue
		}
		if v == nil {
			if !p.NotNull {
				continue
			}
			name := p.Type.Name
			if p.Collection {
				name = "Collection(" + name + ")"
			}
			return Errorf(CodeBadRequest, "A null value was found for the property named '%s', which has the expected type '%s[Nullable=False]'. The expected type '%s[Nullable=False]' does not allow null values.", p.Name, name, name)
		}
		if p.Type.Kind != KindComplex {
			continue
		}
		values := []any{v}
		if p.Collection {
			values, _ = v.([]any)
		}
		for _, item := range values {
			if obj, ok := item.(Object); ok {
				if err := CheckNotNull(p.Type, obj); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
