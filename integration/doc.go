// Package integration holds the tests that span packages, and only tests:
// several graphprofile servers over one database, a server whose
// PostgreSQL database fails under it (stopped, unresponsive, refusing its
// role), and the OData query table (twelve positions, each expression with
// the exact ids it selects) run in memory, against every store and over
// HTTP. Each runs against SQLite and
// against PostgreSQL (a throwaway cluster from postgres/pgtest, or the
// server GRAPHPROFILE_TEST_POSTGRES names).
//
// The Store contract itself is storetest's; a store's own tests are in its
// package.
package integration
