package gosdk_test

import (
	"context"
	"testing"

	"github.com/microsoftgraph/msgraph-beta-sdk-go/models"
	"github.com/microsoftgraph/msgraph-beta-sdk-go/users"
)

// facetCase is one collection of the profile driven through the SDK's own
// typed request builders and models.
type facetCase interface {
	collection() string
	// create posts an item titled title and returns its id.
	create(t *testing.T, ctx context.Context, title string) string
	// check finds the item id titled title in the collection's list and in
	// the profile, and nothing else.
	check(t *testing.T, ctx context.Context, profile models.Profileable, id, title string)
	// update retitles item id with a PATCH and checks the answer.
	update(t *testing.T, ctx context.Context, id, title string)
	// remove deletes item id and checks that the list is then empty.
	remove(t *testing.T, ctx context.Context, id string)
}

// facet is a facetCase over the SDK's model T of one collection.
type facet[T models.ItemFacetable] struct {
	name      string
	make      func(title string) T
	title     func(T) string
	post      func(context.Context, T) (T, error)
	list      func(context.Context) ([]T, error)
	patch     func(context.Context, string, T) (T, error)
	del       func(context.Context, string) error
	inProfile func(models.Profileable) []T
}

func (f facet[T]) collection() string { return f.name }

func (f facet[T]) create(t *testing.T, ctx context.Context, title string) string {
	t.Helper()
	created, err := f.post(ctx, f.make(title))
	if err != nil {
		t.Fatalf("%s: Post: %v", f.name, describe(err))
	}
	if got := f.title(created); got != title {
		t.Errorf("%s: created with %q, the answer has %q", f.name, title, got)
	}
	if created.GetCreatedDateTime() == nil || created.GetAllowedAudiences() == nil || *created.GetAllowedAudiences() != models.ORGANIZATION_ALLOWEDAUDIENCES {
		t.Errorf("%s: the answer lacks the item facet's typed values", f.name)
	}
	return str(created.GetId())
}

func (f facet[T]) check(t *testing.T, ctx context.Context, profile models.Profileable, id, title string) {
	t.Helper()
	items, err := f.list(ctx)
	if err != nil {
		t.Fatalf("%s: Get: %v", f.name, describe(err))
	}
	for what, items := range map[string][]T{"the list": items, "the profile": f.inProfile(profile)} {
		if len(items) != 1 || str(items[0].GetId()) != id || f.title(items[0]) != title {
			t.Errorf("%s: %s has %d items, want the one %s titled %q", f.name, what, len(items), id, title)
		}
	}
}

func (f facet[T]) update(t *testing.T, ctx context.Context, id, title string) {
	t.Helper()
	updated, err := f.patch(ctx, id, f.make(title))
	if err != nil {
		t.Fatalf("%s: Patch: %v", f.name, describe(err))
	}
	if str(updated.GetId()) != id || f.title(updated) != title || updated.GetLastModifiedDateTime() == nil {
		t.Errorf("%s: after Patch: id %s, title %q", f.name, str(updated.GetId()), f.title(updated))
	}
}

func (f facet[T]) remove(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	if err := f.del(ctx, id); err != nil {
		t.Fatalf("%s: Delete: %v", f.name, describe(err))
	}
	items, err := f.list(ctx)
	if err != nil {
		t.Fatal(describe(err))
	}
	if len(items) != 0 {
		t.Errorf("%s: %d items after the delete", f.name, len(items))
	}
}

// TestSDKEveryFacet creates, lists, updates and deletes an item of every
// collection of the profile through the official Go SDK's typed request
// builders (Me().Profile().Skills()…), and reads Me().Profile() with all of
// them.
func TestSDKEveryFacet(t *testing.T) {
	base, dev := startServer(t)
	gc := client(t, base, dev, "User.ReadWrite")
	ctx := context.Background()
	p := gc.Me().Profile()
	cases := []facetCase{
		facet[models.UserAccountInformationable]{
			name: "account",
			make: func(title string) models.UserAccountInformationable {
				m := models.NewUserAccountInformation()
				m.SetCountryCode(&title)
				return m
			},
			title: func(m models.UserAccountInformationable) string {
				return str(m.GetCountryCode())
			},
			post: func(ctx context.Context, m models.UserAccountInformationable) (models.UserAccountInformationable, error) {
				return p.Account().Post(ctx, m, nil)
			},
			list: func(ctx context.Context) ([]models.UserAccountInformationable, error) {
				r, err := p.Account().Get(ctx, nil)
				if err != nil {
					return nil, err
				}
				return r.GetValue(), nil
			},
			patch: func(ctx context.Context, id string, m models.UserAccountInformationable) (models.UserAccountInformationable, error) {
				return p.Account().ByUserAccountInformationId(id).Patch(ctx, m, nil)
			},
			del: func(ctx context.Context, id string) error {
				return p.Account().ByUserAccountInformationId(id).Delete(ctx, nil)
			},
			inProfile: func(pr models.Profileable) []models.UserAccountInformationable { return pr.GetAccount() },
		},
		facet[models.ItemAddressable]{
			name: "addresses",
			make: func(title string) models.ItemAddressable {
				m := models.NewItemAddress()
				m.SetDisplayName(&title)
				return m
			},
			title: func(m models.ItemAddressable) string {
				return str(m.GetDisplayName())
			},
			post: func(ctx context.Context, m models.ItemAddressable) (models.ItemAddressable, error) {
				return p.Addresses().Post(ctx, m, nil)
			},
			list: func(ctx context.Context) ([]models.ItemAddressable, error) {
				r, err := p.Addresses().Get(ctx, nil)
				if err != nil {
					return nil, err
				}
				return r.GetValue(), nil
			},
			patch: func(ctx context.Context, id string, m models.ItemAddressable) (models.ItemAddressable, error) {
				return p.Addresses().ByItemAddressId(id).Patch(ctx, m, nil)
			},
			del:       func(ctx context.Context, id string) error { return p.Addresses().ByItemAddressId(id).Delete(ctx, nil) },
			inProfile: func(pr models.Profileable) []models.ItemAddressable { return pr.GetAddresses() },
		},
		facet[models.PersonAnnualEventable]{
			name: "anniversaries",
			make: func(title string) models.PersonAnnualEventable {
				m := models.NewPersonAnnualEvent()
				m.SetDisplayName(&title)
				return m
			},
			title: func(m models.PersonAnnualEventable) string {
				return str(m.GetDisplayName())
			},
			post: func(ctx context.Context, m models.PersonAnnualEventable) (models.PersonAnnualEventable, error) {
				return p.Anniversaries().Post(ctx, m, nil)
			},
			list: func(ctx context.Context) ([]models.PersonAnnualEventable, error) {
				r, err := p.Anniversaries().Get(ctx, nil)
				if err != nil {
					return nil, err
				}
				return r.GetValue(), nil
			},
			patch: func(ctx context.Context, id string, m models.PersonAnnualEventable) (models.PersonAnnualEventable, error) {
				return p.Anniversaries().ByPersonAnnualEventId(id).Patch(ctx, m, nil)
			},
			del: func(ctx context.Context, id string) error {
				return p.Anniversaries().ByPersonAnnualEventId(id).Delete(ctx, nil)
			},
			inProfile: func(pr models.Profileable) []models.PersonAnnualEventable { return pr.GetAnniversaries() },
		},
		facet[models.PersonAwardable]{
			name: "awards",
			make: func(title string) models.PersonAwardable {
				m := models.NewPersonAward()
				m.SetDisplayName(&title)
				return m
			},
			title: func(m models.PersonAwardable) string {
				return str(m.GetDisplayName())
			},
			post: func(ctx context.Context, m models.PersonAwardable) (models.PersonAwardable, error) {
				return p.Awards().Post(ctx, m, nil)
			},
			list: func(ctx context.Context) ([]models.PersonAwardable, error) {
				r, err := p.Awards().Get(ctx, nil)
				if err != nil {
					return nil, err
				}
				return r.GetValue(), nil
			},
			patch: func(ctx context.Context, id string, m models.PersonAwardable) (models.PersonAwardable, error) {
				return p.Awards().ByPersonAwardId(id).Patch(ctx, m, nil)
			},
			del:       func(ctx context.Context, id string) error { return p.Awards().ByPersonAwardId(id).Delete(ctx, nil) },
			inProfile: func(pr models.Profileable) []models.PersonAwardable { return pr.GetAwards() },
		},
		facet[models.PersonCertificationable]{
			name: "certifications",
			make: func(title string) models.PersonCertificationable {
				m := models.NewPersonCertification()
				m.SetDisplayName(&title)
				return m
			},
			title: func(m models.PersonCertificationable) string {
				return str(m.GetDisplayName())
			},
			post: func(ctx context.Context, m models.PersonCertificationable) (models.PersonCertificationable, error) {
				return p.Certifications().Post(ctx, m, nil)
			},
			list: func(ctx context.Context) ([]models.PersonCertificationable, error) {
				r, err := p.Certifications().Get(ctx, nil)
				if err != nil {
					return nil, err
				}
				return r.GetValue(), nil
			},
			patch: func(ctx context.Context, id string, m models.PersonCertificationable) (models.PersonCertificationable, error) {
				return p.Certifications().ByPersonCertificationId(id).Patch(ctx, m, nil)
			},
			del: func(ctx context.Context, id string) error {
				return p.Certifications().ByPersonCertificationId(id).Delete(ctx, nil)
			},
			inProfile: func(pr models.Profileable) []models.PersonCertificationable { return pr.GetCertifications() },
		},
		facet[models.EducationalActivityable]{
			name: "educationalActivities",
			make: func(title string) models.EducationalActivityable {
				m := models.NewEducationalActivity()
				i := models.NewInstitutionData()
				i.SetDisplayName(&title)
				m.SetInstitution(i)
				return m
			},
			title: func(m models.EducationalActivityable) string {
				if m.GetInstitution() == nil {
					return "<nil>"
				}
				return str(m.GetInstitution().GetDisplayName())
			},
			post: func(ctx context.Context, m models.EducationalActivityable) (models.EducationalActivityable, error) {
				return p.EducationalActivities().Post(ctx, m, nil)
			},
			list: func(ctx context.Context) ([]models.EducationalActivityable, error) {
				r, err := p.EducationalActivities().Get(ctx, nil)
				if err != nil {
					return nil, err
				}
				return r.GetValue(), nil
			},
			patch: func(ctx context.Context, id string, m models.EducationalActivityable) (models.EducationalActivityable, error) {
				return p.EducationalActivities().ByEducationalActivityId(id).Patch(ctx, m, nil)
			},
			del: func(ctx context.Context, id string) error {
				return p.EducationalActivities().ByEducationalActivityId(id).Delete(ctx, nil)
			},
			inProfile: func(pr models.Profileable) []models.EducationalActivityable { return pr.GetEducationalActivities() },
		},
		facet[models.ItemEmailable]{
			name: "emails",
			make: func(title string) models.ItemEmailable {
				m := models.NewItemEmail()
				m.SetDisplayName(&title)
				return m
			},
			title: func(m models.ItemEmailable) string {
				return str(m.GetDisplayName())
			},
			post: func(ctx context.Context, m models.ItemEmailable) (models.ItemEmailable, error) {
				return p.Emails().Post(ctx, m, nil)
			},
			list: func(ctx context.Context) ([]models.ItemEmailable, error) {
				r, err := p.Emails().Get(ctx, nil)
				if err != nil {
					return nil, err
				}
				return r.GetValue(), nil
			},
			patch: func(ctx context.Context, id string, m models.ItemEmailable) (models.ItemEmailable, error) {
				return p.Emails().ByItemEmailId(id).Patch(ctx, m, nil)
			},
			del:       func(ctx context.Context, id string) error { return p.Emails().ByItemEmailId(id).Delete(ctx, nil) },
			inProfile: func(pr models.Profileable) []models.ItemEmailable { return pr.GetEmails() },
		},
		facet[models.PersonInterestable]{
			name: "interests",
			make: func(title string) models.PersonInterestable {
				m := models.NewPersonInterest()
				m.SetDisplayName(&title)
				return m
			},
			title: func(m models.PersonInterestable) string {
				return str(m.GetDisplayName())
			},
			post: func(ctx context.Context, m models.PersonInterestable) (models.PersonInterestable, error) {
				return p.Interests().Post(ctx, m, nil)
			},
			list: func(ctx context.Context) ([]models.PersonInterestable, error) {
				r, err := p.Interests().Get(ctx, nil)
				if err != nil {
					return nil, err
				}
				return r.GetValue(), nil
			},
			patch: func(ctx context.Context, id string, m models.PersonInterestable) (models.PersonInterestable, error) {
				return p.Interests().ByPersonInterestId(id).Patch(ctx, m, nil)
			},
			del: func(ctx context.Context, id string) error {
				return p.Interests().ByPersonInterestId(id).Delete(ctx, nil)
			},
			inProfile: func(pr models.Profileable) []models.PersonInterestable { return pr.GetInterests() },
		},
		facet[models.LanguageProficiencyable]{
			name: "languages",
			make: func(title string) models.LanguageProficiencyable {
				m := models.NewLanguageProficiency()
				m.SetDisplayName(&title)
				return m
			},
			title: func(m models.LanguageProficiencyable) string {
				return str(m.GetDisplayName())
			},
			post: func(ctx context.Context, m models.LanguageProficiencyable) (models.LanguageProficiencyable, error) {
				return p.Languages().Post(ctx, m, nil)
			},
			list: func(ctx context.Context) ([]models.LanguageProficiencyable, error) {
				r, err := p.Languages().Get(ctx, nil)
				if err != nil {
					return nil, err
				}
				return r.GetValue(), nil
			},
			patch: func(ctx context.Context, id string, m models.LanguageProficiencyable) (models.LanguageProficiencyable, error) {
				return p.Languages().ByLanguageProficiencyId(id).Patch(ctx, m, nil)
			},
			del: func(ctx context.Context, id string) error {
				return p.Languages().ByLanguageProficiencyId(id).Delete(ctx, nil)
			},
			inProfile: func(pr models.Profileable) []models.LanguageProficiencyable { return pr.GetLanguages() },
		},
		facet[models.PersonNameable]{
			name: "names",
			make: func(title string) models.PersonNameable {
				m := models.NewPersonName()
				m.SetDisplayName(&title)
				return m
			},
			title: func(m models.PersonNameable) string {
				return str(m.GetDisplayName())
			},
			post: func(ctx context.Context, m models.PersonNameable) (models.PersonNameable, error) {
				return p.Names().Post(ctx, m, nil)
			},
			list: func(ctx context.Context) ([]models.PersonNameable, error) {
				r, err := p.Names().Get(ctx, nil)
				if err != nil {
					return nil, err
				}
				return r.GetValue(), nil
			},
			patch: func(ctx context.Context, id string, m models.PersonNameable) (models.PersonNameable, error) {
				return p.Names().ByPersonNameId(id).Patch(ctx, m, nil)
			},
			del:       func(ctx context.Context, id string) error { return p.Names().ByPersonNameId(id).Delete(ctx, nil) },
			inProfile: func(pr models.Profileable) []models.PersonNameable { return pr.GetNames() },
		},
		facet[models.PersonAnnotationable]{
			name: "notes",
			make: func(title string) models.PersonAnnotationable {
				m := models.NewPersonAnnotation()
				m.SetDisplayName(&title)
				return m
			},
			title: func(m models.PersonAnnotationable) string {
				return str(m.GetDisplayName())
			},
			post: func(ctx context.Context, m models.PersonAnnotationable) (models.PersonAnnotationable, error) {
				return p.Notes().Post(ctx, m, nil)
			},
			list: func(ctx context.Context) ([]models.PersonAnnotationable, error) {
				r, err := p.Notes().Get(ctx, nil)
				if err != nil {
					return nil, err
				}
				return r.GetValue(), nil
			},
			patch: func(ctx context.Context, id string, m models.PersonAnnotationable) (models.PersonAnnotationable, error) {
				return p.Notes().ByPersonAnnotationId(id).Patch(ctx, m, nil)
			},
			del:       func(ctx context.Context, id string) error { return p.Notes().ByPersonAnnotationId(id).Delete(ctx, nil) },
			inProfile: func(pr models.Profileable) []models.PersonAnnotationable { return pr.GetNotes() },
		},
		facet[models.ItemPatentable]{
			name: "patents",
			make: func(title string) models.ItemPatentable {
				m := models.NewItemPatent()
				m.SetDisplayName(&title)
				return m
			},
			title: func(m models.ItemPatentable) string {
				return str(m.GetDisplayName())
			},
			post: func(ctx context.Context, m models.ItemPatentable) (models.ItemPatentable, error) {
				return p.Patents().Post(ctx, m, nil)
			},
			list: func(ctx context.Context) ([]models.ItemPatentable, error) {
				r, err := p.Patents().Get(ctx, nil)
				if err != nil {
					return nil, err
				}
				return r.GetValue(), nil
			},
			patch: func(ctx context.Context, id string, m models.ItemPatentable) (models.ItemPatentable, error) {
				return p.Patents().ByItemPatentId(id).Patch(ctx, m, nil)
			},
			del:       func(ctx context.Context, id string) error { return p.Patents().ByItemPatentId(id).Delete(ctx, nil) },
			inProfile: func(pr models.Profileable) []models.ItemPatentable { return pr.GetPatents() },
		},
		facet[models.ItemPhoneable]{
			name: "phones",
			make: func(title string) models.ItemPhoneable {
				m := models.NewItemPhone()
				m.SetDisplayName(&title)
				return m
			},
			title: func(m models.ItemPhoneable) string {
				return str(m.GetDisplayName())
			},
			post: func(ctx context.Context, m models.ItemPhoneable) (models.ItemPhoneable, error) {
				return p.Phones().Post(ctx, m, nil)
			},
			list: func(ctx context.Context) ([]models.ItemPhoneable, error) {
				r, err := p.Phones().Get(ctx, nil)
				if err != nil {
					return nil, err
				}
				return r.GetValue(), nil
			},
			patch: func(ctx context.Context, id string, m models.ItemPhoneable) (models.ItemPhoneable, error) {
				return p.Phones().ByItemPhoneId(id).Patch(ctx, m, nil)
			},
			del:       func(ctx context.Context, id string) error { return p.Phones().ByItemPhoneId(id).Delete(ctx, nil) },
			inProfile: func(pr models.Profileable) []models.ItemPhoneable { return pr.GetPhones() },
		},
		facet[models.WorkPositionable]{
			name: "positions",
			make: func(title string) models.WorkPositionable {
				m := models.NewWorkPosition()
				d := models.NewPositionDetail()
				d.SetJobTitle(&title)
				m.SetDetail(d)
				return m
			},
			title: func(m models.WorkPositionable) string {
				if m.GetDetail() == nil {
					return "<nil>"
				}
				return str(m.GetDetail().GetJobTitle())
			},
			post: func(ctx context.Context, m models.WorkPositionable) (models.WorkPositionable, error) {
				return p.Positions().Post(ctx, m, nil)
			},
			list: func(ctx context.Context) ([]models.WorkPositionable, error) {
				r, err := p.Positions().Get(ctx, nil)
				if err != nil {
					return nil, err
				}
				return r.GetValue(), nil
			},
			patch: func(ctx context.Context, id string, m models.WorkPositionable) (models.WorkPositionable, error) {
				return p.Positions().ByWorkPositionId(id).Patch(ctx, m, nil)
			},
			del:       func(ctx context.Context, id string) error { return p.Positions().ByWorkPositionId(id).Delete(ctx, nil) },
			inProfile: func(pr models.Profileable) []models.WorkPositionable { return pr.GetPositions() },
		},
		facet[models.ProjectParticipationable]{
			name: "projects",
			make: func(title string) models.ProjectParticipationable {
				m := models.NewProjectParticipation()
				m.SetDisplayName(&title)
				return m
			},
			title: func(m models.ProjectParticipationable) string {
				return str(m.GetDisplayName())
			},
			post: func(ctx context.Context, m models.ProjectParticipationable) (models.ProjectParticipationable, error) {
				return p.Projects().Post(ctx, m, nil)
			},
			list: func(ctx context.Context) ([]models.ProjectParticipationable, error) {
				r, err := p.Projects().Get(ctx, nil)
				if err != nil {
					return nil, err
				}
				return r.GetValue(), nil
			},
			patch: func(ctx context.Context, id string, m models.ProjectParticipationable) (models.ProjectParticipationable, error) {
				return p.Projects().ByProjectParticipationId(id).Patch(ctx, m, nil)
			},
			del: func(ctx context.Context, id string) error {
				return p.Projects().ByProjectParticipationId(id).Delete(ctx, nil)
			},
			inProfile: func(pr models.Profileable) []models.ProjectParticipationable { return pr.GetProjects() },
		},
		facet[models.ItemPublicationable]{
			name: "publications",
			make: func(title string) models.ItemPublicationable {
				m := models.NewItemPublication()
				m.SetDisplayName(&title)
				return m
			},
			title: func(m models.ItemPublicationable) string {
				return str(m.GetDisplayName())
			},
			post: func(ctx context.Context, m models.ItemPublicationable) (models.ItemPublicationable, error) {
				return p.Publications().Post(ctx, m, nil)
			},
			list: func(ctx context.Context) ([]models.ItemPublicationable, error) {
				r, err := p.Publications().Get(ctx, nil)
				if err != nil {
					return nil, err
				}
				return r.GetValue(), nil
			},
			patch: func(ctx context.Context, id string, m models.ItemPublicationable) (models.ItemPublicationable, error) {
				return p.Publications().ByItemPublicationId(id).Patch(ctx, m, nil)
			},
			del: func(ctx context.Context, id string) error {
				return p.Publications().ByItemPublicationId(id).Delete(ctx, nil)
			},
			inProfile: func(pr models.Profileable) []models.ItemPublicationable { return pr.GetPublications() },
		},
		facet[models.SkillProficiencyable]{
			name: "skills",
			make: func(title string) models.SkillProficiencyable {
				m := models.NewSkillProficiency()
				m.SetDisplayName(&title)
				return m
			},
			title: func(m models.SkillProficiencyable) string {
				return str(m.GetDisplayName())
			},
			post: func(ctx context.Context, m models.SkillProficiencyable) (models.SkillProficiencyable, error) {
				return p.Skills().Post(ctx, m, nil)
			},
			list: func(ctx context.Context) ([]models.SkillProficiencyable, error) {
				r, err := p.Skills().Get(ctx, nil)
				if err != nil {
					return nil, err
				}
				return r.GetValue(), nil
			},
			patch: func(ctx context.Context, id string, m models.SkillProficiencyable) (models.SkillProficiencyable, error) {
				return p.Skills().BySkillProficiencyId(id).Patch(ctx, m, nil)
			},
			del: func(ctx context.Context, id string) error {
				return p.Skills().BySkillProficiencyId(id).Delete(ctx, nil)
			},
			inProfile: func(pr models.Profileable) []models.SkillProficiencyable { return pr.GetSkills() },
		},
		facet[models.WebAccountable]{
			name: "webAccounts",
			make: func(title string) models.WebAccountable {
				m := models.NewWebAccount()
				m.SetDescription(&title)
				return m
			},
			title: func(m models.WebAccountable) string {
				return str(m.GetDescription())
			},
			post: func(ctx context.Context, m models.WebAccountable) (models.WebAccountable, error) {
				return p.WebAccounts().Post(ctx, m, nil)
			},
			list: func(ctx context.Context) ([]models.WebAccountable, error) {
				r, err := p.WebAccounts().Get(ctx, nil)
				if err != nil {
					return nil, err
				}
				return r.GetValue(), nil
			},
			patch: func(ctx context.Context, id string, m models.WebAccountable) (models.WebAccountable, error) {
				return p.WebAccounts().ByWebAccountId(id).Patch(ctx, m, nil)
			},
			del:       func(ctx context.Context, id string) error { return p.WebAccounts().ByWebAccountId(id).Delete(ctx, nil) },
			inProfile: func(pr models.Profileable) []models.WebAccountable { return pr.GetWebAccounts() },
		},
		facet[models.PersonWebsiteable]{
			name: "websites",
			make: func(title string) models.PersonWebsiteable {
				m := models.NewPersonWebsite()
				m.SetDisplayName(&title)
				return m
			},
			title: func(m models.PersonWebsiteable) string {
				return str(m.GetDisplayName())
			},
			post: func(ctx context.Context, m models.PersonWebsiteable) (models.PersonWebsiteable, error) {
				return p.Websites().Post(ctx, m, nil)
			},
			list: func(ctx context.Context) ([]models.PersonWebsiteable, error) {
				r, err := p.Websites().Get(ctx, nil)
				if err != nil {
					return nil, err
				}
				return r.GetValue(), nil
			},
			patch: func(ctx context.Context, id string, m models.PersonWebsiteable) (models.PersonWebsiteable, error) {
				return p.Websites().ByPersonWebsiteId(id).Patch(ctx, m, nil)
			},
			del:       func(ctx context.Context, id string) error { return p.Websites().ByPersonWebsiteId(id).Delete(ctx, nil) },
			inProfile: func(pr models.Profileable) []models.PersonWebsiteable { return pr.GetWebsites() },
		},
	}
	ids := map[string]string{}
	for _, c := range cases {
		ids[c.collection()] = c.create(t, ctx, "First "+c.collection())
	}
	profile, err := p.Get(ctx, nil)
	if err != nil {
		t.Fatalf("Me().Profile().Get: %v", describe(err))
	}
	for _, c := range cases {
		t.Run(c.collection(), func(t *testing.T) {
			id := ids[c.collection()]
			c.check(t, ctx, profile, id, "First "+c.collection())
			c.update(t, ctx, id, "Second "+c.collection())
			c.remove(t, ctx, id)
		})
	}
	// The profile's own Get with $expand of two collections.
	profile, err = p.Get(ctx, &users.ItemProfileRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.ItemProfileRequestBuilderGetQueryParameters{Expand: []string{"skills", "positions"}},
	})
	if err != nil {
		t.Fatalf("Me().Profile().Get with $expand: %v", describe(err))
	}
	if profile.GetSkills() == nil || profile.GetPositions() == nil || len(profile.GetSkills())+len(profile.GetPositions()) != 0 {
		t.Errorf("after every delete, $expand=skills,positions: %d skills, %d positions", len(profile.GetSkills()), len(profile.GetPositions()))
	}
}
