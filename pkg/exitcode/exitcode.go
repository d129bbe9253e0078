// Package exitcode holds the process exit codes scripts rely on
// (docs/exit-codes.md):
//
//	0        success, granted, no error findings
//	1        findings of severity error, a client denied, a failure of the tool itself
//	2        usage error, or input that cannot be read or used
//	3        no verdict: explain could not decide, a server could not be asked
//	128 + n  interrupted by signal n before the work was complete
//
// Only the command layer chooses among them, in one table (cmd/exit.go):
// packages return typed errors and results, never codes.
package exitcode

// The exit codes.
const (
	OK            = 0
	Failure       = 1
	Usage         = 2
	Indeterminate = 3
	// Signal is added to the number of the signal that interrupted the
	// command, as shells report a process a signal ended.
	Signal = 128
)
