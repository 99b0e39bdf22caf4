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
