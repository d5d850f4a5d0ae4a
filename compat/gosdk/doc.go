// Package gosdk holds the test that runs the official Microsoft Graph beta
// SDK for Go (github.com/microsoftgraph/msgraph-beta-sdk-go), unchanged,
// against graphprofile. It is its own module so that the SDK's heavy build
// (minutes and gigabytes) stays out of graphprofile's own: run it with
// `make compat`.
package gosdk
