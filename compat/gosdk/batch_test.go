package gosdk_test

import (
	"context"
	"errors"
	"testing"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-beta-sdk-go/models"
	"github.com/microsoftgraph/msgraph-beta-sdk-go/models/odataerrors"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
)

// TestSDKBatch sends a JSON batch with the Go SDK's batch helper
// (msgraph-sdk-go-core's BatchRequest), unchanged: a create, a list that
// depends on it, and a get of a position that does not exist, each read
// back as the SDK's typed result or error.
func TestSDKBatch(t *testing.T) {
	base, dev := startServer(t)
	gc := client(t, base, dev, "User.ReadWrite")
	ctx := context.Background()
	positions := gc.Me().Profile().Positions()

	batch := msgraphcore.NewBatchRequest(gc.GetAdapter())
	createInfo, err := positions.ToPostRequestInformation(ctx, seedPosition(), nil)
	if err != nil {
		t.Fatal(err)
	}
	create, err := batch.AddBatchRequestStep(*createInfo)
	if err != nil {
		t.Fatal(err)
	}
	listInfo, err := positions.ToGetRequestInformation(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	list, err := batch.AddBatchRequestStep(*listInfo)
	if err != nil {
		t.Fatal(err)
	}
	list.DependsOnItem(create)
	missingInfo, err := positions.ByWorkPositionId("00000000-0000-4000-8000-00000000dead").ToGetRequestInformation(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	missing, err := batch.AddBatchRequestStep(*missingInfo)
	if err != nil {
		t.Fatal(err)
	}

	// The helper turns an item's error into a typed error only through a
	// registered factory, as its documentation shows.
	if err := msgraphcore.RegisterError(msgraphcore.BatchRequestErrorRegistryKey, abstractions.ErrorMappings{
		"4XX": odataerrors.CreateODataErrorFromDiscriminatorValue,
		"5XX": odataerrors.CreateODataErrorFromDiscriminatorValue,
	}); err != nil {
		t.Fatal(err)
	}
	resp, err := batch.Send(ctx, gc.GetAdapter())
	if err != nil {
		t.Fatalf("BatchRequest.Send: %v", describe(err))
	}
	created, err := msgraphcore.GetBatchResponseById[models.WorkPositionable](resp, *create.GetId(), models.CreateWorkPositionFromDiscriminatorValue)
	if err != nil {
		t.Fatalf("the create's result: %v", describe(err))
	}
	if status := *resp.GetResponseById(*create.GetId()).GetStatus(); status != 201 {
		t.Errorf("the create's status %d, want 201", status)
	}
	checkSeed(t, "batched create", created, str(created.GetId()))
	listed, err := msgraphcore.GetBatchResponseById[models.WorkPositionCollectionResponseable](resp, *list.GetId(), models.CreateWorkPositionCollectionResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatalf("the list's result: %v", describe(err))
	}
	if v := listed.GetValue(); len(v) != 1 || str(v[0].GetId()) != str(created.GetId()) {
		t.Errorf("the list after the create it depends on: %d positions", len(v))
	}
	_, err = msgraphcore.GetBatchResponseById[models.WorkPositionable](resp, *missing.GetId(), models.CreateWorkPositionFromDiscriminatorValue)
	var oerr *odataerrors.ODataError
	if !errors.As(err, &oerr) || oerr.GetErrorEscaped() == nil || str(oerr.GetErrorEscaped().GetCode()) != "itemNotFound" {
		t.Errorf("the get of a missing position: %v, want an ODataError itemNotFound", describe(err))
	}
}
