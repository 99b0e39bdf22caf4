package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/hookline/hookline"
)

// httpError is the Svix error body of every status but 422.
type httpError struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// validationError is the Svix body of a 422.
type validationError struct {
	Detail []validationItem `json:"detail"`
}

// validationItem is one broken rule of a request: where (["body", "url"],
// ["query", "limit"]), what, and a machine-readable kind.
type validationItem struct {
	Loc  []string `json:"loc"`
	Msg  string   `json:"msg"`
	Type string   `json:"type"`
}

// inputError is an EINVALID error that knows its Svix error type; decoding
// errors use it, validation rules of the root package return
// *hookline.Error with Field set.
type inputError struct {
	loc []string
	msg string
	typ string
}

func (e *inputError) Error() string { return e.msg }

func badInput(loc []string, typ, msg string) error {
	return &inputError{loc: loc, msg: msg, typ: typ}
}

func badQuery(name, msg string) error {
	return badInput([]string{"query", name}, "value_error", msg)
}

// errorStatus maps an error code of the root package to its HTTP status.
func errorStatus(code string) int {
	switch code {
	case hookline.EINVALID:
		return http.StatusUnprocessableEntity
	case hookline.ENOTFOUND:
		return http.StatusNotFound
	case hookline.ECONFLICT:
		return http.StatusConflict
	case hookline.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case hookline.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case hookline.EFORBIDDEN:
		return http.StatusForbidden
	case hookline.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case hookline.ETOOMANY:
		return http.StatusTooManyRequests
	case hookline.ERANGE, hookline.ELIMIT, hookline.EBADREQUEST:
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// errorResponse is the one place that turns an error into a status and a
// Svix-shaped body. Internal errors say nothing about their cause, but for
// a stored secret that cannot be read.
func errorResponse(err error) (int, any) {
	var ie *inputError
	if errors.As(err, &ie) {
		return http.StatusUnprocessableEntity, validationError{Detail: []validationItem{{Loc: ie.loc, Msg: ie.msg, Type: ie.typ}}}
	}
	code := hookline.ErrorCode(err)
	if code == hookline.EINVALID {
		loc := []string{"body"}
		var he *hookline.Error
		if errors.As(err, &he) && len(he.Field) > 0 {
			loc = he.Field
		}
		return http.StatusUnprocessableEntity, validationError{Detail: []validationItem{{Loc: loc, Msg: hookline.ErrorMessage(err), Type: "value_error"}}}
	}
	status := errorStatus(code)
	if why := hookline.UnreadableSecret(err); why != nil {
		// The data is at fault, not the request: say so, and which way,
		// never the secret (the log names the entity).
		return status, httpError{Code: hookline.EINTERNAL, Detail: "A secret stored for this entity cannot be read (" + why.Error() + "). The server's log names it."}
	}
	if status == http.StatusInternalServerError {
		return status, httpError{Code: hookline.EINTERNAL, Detail: "Internal error."}
	}
	if status == http.StatusServiceUnavailable {
		return status, httpError{Code: code, Detail: "The service is unavailable; try again later."}
	}
	return status, httpError{Code: code, Detail: hookline.ErrorMessage(err)}
}

// render turns a handler's result into a status and body bytes. err is
// returned again when the status is 5xx, for the log.
func render(status int, v any, err error) (int, []byte, error) {
	if err != nil {
		st, body := errorResponse(err)
		if st < 500 {
			err = nil
		}
		return st, mustJSON(body), err
	}
	if v == nil {
		return status, nil, nil
	}
	if a, ok := v.(jsonAppender); ok {
		return status, a.appendJSON(nil), nil
	}
	b, merr := json.Marshal(v)
	if merr != nil {
		st, body := errorResponse(merr)
		return st, mustJSON(body), merr
	}
	return status, b, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("api: cannot encode a response: " + err.Error())
	}
	return b
}

// writeRaw writes a status and, unless body is empty, a JSON body.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	if len(body) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	if len(body) > 0 {
		_, _ = w.Write(body)
	}
}

// notFound is the error of an entity that does not exist or is not in the
// caller's scope: both answer the same.
func notFound(what string) error {
	return hookline.Errorf(hookline.ENOTFOUND, "%s not found.", what)
}

// orNotFound returns err, or when it is a not-found error of the store, the
// not-found error of what: the API says in its own words what it did not
// find.
func orNotFound(err error, what string) error {
	if hookline.ErrorCode(err) == hookline.ENOTFOUND {
		return notFound(what)
	}
	return err
}
