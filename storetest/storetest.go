// Package storetest is the contract suite of graphprofile.Store: every
// implementation's tests call Run (and RunReopen, for a durable store, and
// RunShared, for one that several processes share). It also has what the
// stores' own tests share: fixtures, the check after a crash, benchmarks.
package storetest

import (
	"testing"

	"github.com/graphprofile/graphprofile"
)

// Run runs the contract suite. open returns a new, empty store and registers
// its cleanup; the suite may Close a store itself, so closing a closed store
// must be harmless.
func Run(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	t.Run("EnsureUser", func(t *testing.T) { testEnsureUser(t, open) })
	t.Run("FindUser", func(t *testing.T) { testFindUser(t, open) })
	t.Run("CreateUser", func(t *testing.T) { testCreateUser(t, open) })
	t.Run("UpdateUser", func(t *testing.T) { testUpdateUser(t, open) })
	t.Run("DeleteUser", func(t *testing.T) { testDeleteUser(t, open) })
	t.Run("ListUsers", func(t *testing.T) { testListUsers(t, open) })
	t.Run("ScanUsers", func(t *testing.T) { testScanUsers(t, open) })
	t.Run("ScanUsersByName", func(t *testing.T) { testScanUsersByName(t, open) })
	t.Run("ScanUsersByPrefix", func(t *testing.T) { testScanUsersByPrefix(t, open) })
	t.Run("ImportUsers", func(t *testing.T) { testImportUsers(t, open) })
	t.Run("LoadProfiles", func(t *testing.T) { testLoadProfiles(t, open) })
	t.Run("LoadProfilesIntoEmpty", func(t *testing.T) { testLoadProfilesIntoEmpty(t, open) })
	t.Run("UserDetails", func(t *testing.T) { testUserDetails(t, open) })
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, open) })
	t.Run("Create", func(t *testing.T) { testCreate(t, open) })
	t.Run("List", func(t *testing.T) { testList(t, open) })
	t.Run("ScanItems", func(t *testing.T) { testScanItems(t, open) })
	t.Run("MaxItems", func(t *testing.T) { testMaxItems(t, open) })
	t.Run("Isolation", func(t *testing.T) { testIsolation(t, open) })
	t.Run("Update", func(t *testing.T) { testUpdate(t, open) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, open) })
	t.Run("DeleteCheck", func(t *testing.T) { testDeleteCheck(t, open) })
	t.Run("DeleteProfile", func(t *testing.T) { testDeleteProfile(t, open) })
	t.Run("Reset", func(t *testing.T) { testReset(t, open) })
	t.Run("InvalidPositions", func(t *testing.T) { testInvalidPositions(t, open) })
	t.Run("NotFoundErrors", func(t *testing.T) { testNotFoundErrors(t, open) })
	t.Run("Close", func(t *testing.T) { testClose(t, open) })
	t.Run("CanceledContext", func(t *testing.T) { testCanceledContext(t, open) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, open) })
	t.Run("MaxItemsConcurrently", func(t *testing.T) {
		testMaxItemsAcross(t, func(t *testing.T) []graphprofile.Store { return []graphprofile.Store{open(t)} })
	})
	t.Run("Items", func(t *testing.T) { testItems(t, open) })
}

// RunReopen checks that what a store acknowledged is there after the store
// is closed and its database opened again, and again. open returns a new,
// empty store; reopen returns a new store on the database of old, which the
// suite has closed. Both register their stores' cleanup.
func RunReopen(t *testing.T, open func(t *testing.T) graphprofile.Store, reopen func(t *testing.T, old graphprofile.Store) graphprofile.Store) {
	t.Run("Reopen", func(t *testing.T) { testReopen(t, open, reopen) })
}

// RunShared checks stores that share one database, as several servers do:
// concurrent calls spread over them lose nothing, and what one writes the
// others read at once. open returns two or more new stores on one new,
// empty database and registers their cleanup.
func RunShared(t *testing.T, open func(t *testing.T) []graphprofile.Store) {
	t.Run("Concurrency", func(t *testing.T) { testConcurrencyAcross(t, open) })
	t.Run("AcrossStores", func(t *testing.T) { testAcrossStores(t, open) })
	t.Run("MaxItems", func(t *testing.T) { testMaxItemsAcross(t, open) })
	t.Run("LoadProfilesIntoEmpty", func(t *testing.T) { testLoadProfilesIntoEmptyAcross(t, open) })
}
