package hookline

import (
	"errors"
	"fmt"
)

// Error codes. Every error that reaches the API carries one; the api package
// maps each to an HTTP status and a Svix-shaped body.
const (
	ECONFLICT     = "conflict"       // a unique key (uid, eventId, name) is taken: 409
	EINTERNAL     = "internal"       // a bug or an unexpected failure: 500
	EINVALID      = "invalid"        // the input is malformed or breaks a rule: 422
	ENOTFOUND     = "not_found"      // no such entity, or not in the caller's scope: 404
	ETOOLARGE     = "too_large"      // the body is over the configured limit: 413
	EUNAUTHORIZED = "authentication" // no valid token: 401
	EFORBIDDEN    = "forbidden"      // a valid token without access: 403
	EUNAVAILABLE  = "unavailable"    // the store cannot be reached now: 503
	ETOOMANY      = "rate_limited"   // too many requests (failed authentications) from the caller: 429
	ERANGE        = "invalid_range"  // a time range the operation does not take: 400
	ELIMIT        = "limit_reached"  // the operation would pass a bound that time lifts: 400
	EBADREQUEST   = "bad_request"    // a request whose parts do not go together (neither or both of two): 400
)

// The errors a Store returns, with the messages the API shows. Drivers
// return these values (wrapped or not) rather than errors of their own, so
// that every store says the same thing.
var (
	ErrApplicationNotFound = Errorf(ENOTFOUND, "Application not found.")
	ErrApplicationConflict = Errorf(ECONFLICT, "An application with this uid already exists.")
	ErrEventTypeNotFound   = Errorf(ENOTFOUND, "Event type not found.")
	ErrEventTypeConflict   = Errorf(ECONFLICT, "An event type with this name already exists.")
	ErrEndpointNotFound    = Errorf(ENOTFOUND, "Endpoint not found.")
	ErrEndpointConflict    = Errorf(ECONFLICT, "An endpoint with this uid already exists.")
	ErrMessageNotFound     = Errorf(ENOTFOUND, "Message not found.")
	// ErrMessageConflict is a message whose id or eventId is taken, found
	// by the database's unique key; ErrEventIDConflict one whose eventId is
	// taken, found before writing.
	ErrMessageConflict            = Errorf(ECONFLICT, "A message with this id or eventId already exists.")
	ErrEventIDConflict            = Errorf(ECONFLICT, "A message with this eventId already exists.")
	ErrAttemptNotFound            = Errorf(ENOTFOUND, "Message attempt not found.")
	ErrTokenNotFound              = Errorf(ENOTFOUND, "Token not found.")
	ErrTokenConflict              = Errorf(ECONFLICT, "This token already exists.")
	ErrIdempotentResponseNotFound = Errorf(ENOTFOUND, "Idempotent response not found.")
	ErrTaskNotFound               = Errorf(ENOTFOUND, "Background task not found.")
	// ErrTaskLeaseLost is a write of a background task by a runner whose
	// lease on it ended (another runner took it, or it ended).
	ErrTaskLeaseLost = Errorf(ECONFLICT, "The background task is no longer leased by this runner.")
	// ErrNotFound, ErrConflict and ErrUnavailable are what a driver makes of
	// a missing row, a taken unique key and a database out of reach, where
	// nothing more precise applies.
	ErrNotFound    = Errorf(ENOTFOUND, "Not found.")
	ErrConflict    = Errorf(ECONFLICT, "A unique key is taken.")
	ErrUnavailable = Errorf(EUNAVAILABLE, "The database is unavailable.")
	// ErrUnstorable is a value the database refused as data (PostgreSQL's
	// data exceptions) that no check caught first.
	ErrUnstorable = Errorf(EINVALID, "The input holds a value the database cannot store.")
)

// Error is an error with a code and a message safe to show the API caller.
// Field, when set, names the offending input field (validation errors).
type Error struct {
	Code    string
	Message string
	Field   []string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("hookline: %s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error about the named field (its JSON path).
func Invalid(field []string, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Message: fmt.Sprintf(format, args...), Field: field}
}

// ErrorCode returns the code of the first *Error in err's chain, "" for a nil
// error, and EINTERNAL for any other error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, or a
// generic message that reveals nothing about other errors.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrTooManyEndpoints is the error of creating an endpoint in an
// application that has max endpoints already.
func ErrTooManyEndpoints(max int) error {
	return Invalid([]string{"body"}, "This application has %d endpoints, the most an application may have.", max)
}
