// Package graphprofile is the domain of graphprofile, a self-hostable server that
// is the Microsoft Graph beta user-profile API: a user's profile and the
// collections of its facets (positions, skills, emails…).
//
// It holds the types the product is about (Item, Collection, User, Principal), the
// rules that need no I/O (schema validation, PATCH merge, the permission
// matrix), the domain error type with Graph's error codes, and the interfaces of
// the services the domain needs (Store, Authenticator). It imports nothing of
// ours; the HTTP layer, the token layer and the stores adapt to it.
package graphprofile

import (
	"errors"
	"fmt"
)

// Graph error codes. Each is mapped to one HTTP status by the HTTP layer, so a
// code says everything a caller needs to know about the kind of failure.
const (
	CodeBadRequest              = "BadRequest"
	CodeDirectoryBadRequest     = "Request_BadRequest" // directory (users) validation, 400
	CodeInvalidAuthToken        = "InvalidAuthenticationToken"
	CodeAuthorizationDenied     = "Authorization_RequestDenied"
	CodeUserNotFound            = "Request_ResourceNotFound"
	CodeItemNotFound            = "itemNotFound"
	CodeRequestEntityTooLarge   = "requestEntityTooLarge"
	CodeUnsupportedMediaType    = "unsupportedMediaType"
	CodeInternalError           = "InternalError"
	CodeServiceNotAvailable     = "serviceNotAvailable"
	CodeNotImplemented          = "notImplemented"
	CodePreconditionFailed      = "preconditionFailed"
	CodeTooManyRequests         = "TooManyRequests"
	CodeQuotaLimitReached       = "quotaLimitReached" // a collection of a profile is full (serve --max-items), 507
	CodeInvalidRequestParameter = "invalidRequest"
	CodeUnsupportedQuery        = "Request_UnsupportedQuery" // a directory query Graph does not serve, 400
)

// Error is a failure the caller is told about: a Graph error code and a
// message for people. Every layer returns these for anything that is the
// caller's business; any other error is an internal failure.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorMessage returns the message of err for people: an *Error's Message,
// else err's text.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// ErrNotFound is returned by stores when the addressed user or item does not
// exist. The service turns it into the Graph error that names the thing.
var ErrNotFound = errors.New("not found")

// ErrUnavailable is wrapped by stores around failures that a retry may cure
// (the database is unreachable); the HTTP layer answers 503 serviceNotAvailable.
var ErrUnavailable = errors.New("store unavailable")

// ServiceUnavailableMessage is the message of a 503 serviceNotAvailable,
// whichever part of the server answers it (Graph's API or the web page's).
const ServiceUnavailableMessage = "The service is temporarily unavailable. Retry the request after the time in the Retry-After header."

// InternalErrorMessage is the message of a 500 InternalError, whichever
// part of the server answers it; the details go to the log only.
const InternalErrorMessage = "An internal server error occurred while processing the request."

// ErrCollectionFull is wrapped by a store's CreateItem around the refusal
// of an item that a collection of a profile has no room for: it already
// holds the most items the server allows (serve --max-items).
var ErrCollectionFull = errors.New("the collection holds the most items allowed")

// ErrNewerSchema is wrapped by a store's Open around the refusal of a
// database that a newer graphprofile has migrated: this binary does not know
// its schema and must not touch it. A PostgreSQL store that finds its
// database migrated while it runs wraps it too, beside ErrUnavailable: the
// server answers 503 (another server, the newer one, can answer), where a
// start is refused outright.
var ErrNewerSchema = errors.New("the database schema is newer than this graphprofile supports")

// ConflictError is returned by stores when a user's id or user principal
// name is already taken in its tenant.
type ConflictError struct {
	Property string // "id" or "userPrincipalName"
	Value    string
}

func (e *ConflictError) Error() string {
	return "another user has the same " + e.Property + " " + e.Value
}
