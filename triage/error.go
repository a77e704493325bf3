package triage

import (
	"errors"
	"fmt"
	"io/fs"
)

// Error codes. Every error the system shows a user carries one; an error with
// no code is internal, is logged, and reaches the user only as "internal error".
const (
	EINVALID      = "invalid"      // the input is malformed or out of bounds
	ENOTFOUND     = "not_found"    // the thing asked for does not exist
	ECONFLICT     = "conflict"     // the request clashes with the current state
	EUNSUPPORTED  = "unsupported"  // well-formed, but not something Winnow handles
	ETOOLARGE     = "too_large"    // refused by a configured limit
	EINTERNAL     = "internal"     // a bug or an unexpected failure
	EUNAVAILABLE  = "unavailable"  // a dependency is down; retrying may succeed
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	EFORBIDDEN    = "forbidden"    // credentials fine, action not allowed
)

// Error is an error with a code and a message that is safe to show a user.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface. It returns the message alone, which
// is written for the user; the code is for programs (ErrorCode).
func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of the first *Error in err's
// chain, and "internal error" for any other non-nil error.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// UnwrapPath returns the error inside a *fs.PathError (an os.Open or
// os.Stat failure) without the path and operation, for messages that name
// the file themselves; any other error is returned as it is.
func UnwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
