// Package exitcode maps the errors commands return to the process exit codes
// that scripts rely on (docs/contracts.md):
//
//	0  success, granted, no error findings
//	1  findings of severity error, or a client was denied
//	2  usage error or unreadable input
//	3  indeterminate: explain could not decide
//
// Commands return typed errors; main calls Code once. Nothing else in the
// program chooses an exit code.
package exitcode

import (
	"errors"
	"fmt"
)

// The exit codes.
const (
	OK            = 0
	Failure       = 1
	Usage         = 2
	Indeterminate = 3
)

// Error carries an exit code with an error. Silent errors have already been
// reported by the command (findings printed, a denial explained), so main
// prints nothing more for them.
type Error struct {
	Code   int
	Err    error
	Silent bool
}

func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// UsageError reports bad flags, arguments or unreadable input: exit 2.
func UsageError(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: Usage, Err: err}
}

// Usagef formats a usage error: exit 2.
func Usagef(format string, args ...any) error {
	return &Error{Code: Usage, Err: fmt.Errorf(format, args...)}
}

// Findings reports that the command printed findings of severity error, or a
// denial, and so exits 1 without printing anything more.
func Findings() error { return &Error{Code: Failure, Silent: true} }

// Undecided reports an indeterminate result that the command already printed:
// exit 3.
func Undecided() error { return &Error{Code: Indeterminate, Silent: true} }

// Code returns the exit code for err, and whether the caller should print it.
// An error without a code is a failure of the tool itself and exits 1.
func Code(err error) (code int, print bool) {
	if err == nil {
		return OK, false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code, !e.Silent
	}
	return Failure, true
}
