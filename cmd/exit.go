package cmd

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	"github.com/aio-authn/kubectl-aio-authn/pkg/api/crds"
	"github.com/aio-authn/kubectl-aio-authn/pkg/atomicfile"
	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/authn/explain"
	"github.com/aio-authn/kubectl-aio-authn/pkg/broker"
	"github.com/aio-authn/kubectl-aio-authn/pkg/bundle"
	"github.com/aio-authn/kubectl-aio-authn/pkg/convert"
	"github.com/aio-authn/kubectl-aio-authn/pkg/exitcode"
	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/kube"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
	"github.com/aio-authn/kubectl-aio-authn/pkg/probe"
	"github.com/aio-authn/kubectl-aio-authn/pkg/sat"
)

// exitRow is one row of the exit code table.
type exitRow struct {
	code int
	// what is the row in the words of docs/exit-codes.md.
	what  string
	match func(error) bool
	// silent rows are outcomes the command has printed already: nothing
	// more is printed for them.
	silent bool
	// signal rows add the number of the signal to code.
	signal bool
}

// exitCodes is the one place that chooses the process's exit status.
// Commands end with nil, with the typed error a package returned, with a
// usage error of their own, or with a verdict they have printed, and
// exitCode takes the first row that matches: packages say what happened,
// never which code it is. docs/exit-codes.md is this table in words
// (TestExitCodesDocumented holds them together).
var exitCodes = []exitRow{
	{code: exitcode.Signal, signal: true, match: is[*interrupted],
		what: "interrupted by a signal (SIGINT, SIGTERM) before the work was complete: 128 + the signal's number, as shells report it (130, 143)"},

	// A cluster that cannot be asked gives no answer: no verdict, as
	// an unreachable broker is for probe. A cluster that answers that
	// the request is wrong is the user's to fix.
	{code: exitcode.Indeterminate, match: clusterFailed(kube.Unreachable),
		what: "the cluster could not be reached: connection refused, unknown host, TLS failure (a server certificate the kubeconfig does not trust), no answer in time"},
	{code: exitcode.Indeterminate, match: clusterFailed(kube.Unauthorized),
		what: "the cluster rejected the credentials in use (401 Unauthorized)"},
	{code: exitcode.Indeterminate, match: clusterFailed(kube.Forbidden),
		what: "the cluster forbids the user the request (403 Forbidden: RBAC)"},
	{code: exitcode.Indeterminate, match: clusterFailed(kube.Unavailable),
		what: "the cluster could not serve the request then (5xx, 429 Too Many Requests, a server-side timeout)"},
	{code: exitcode.Indeterminate, match: clusterFailed(kube.BadAnswer),
		what: "the cluster answered something other than what its API promises"},
	{code: exitcode.Usage, match: clusterFailed(kube.Rejected),
		what: "the cluster answered that the request is wrong as given: a namespace or object that does not exist, a field another manager owns (--force-conflicts), an invalid object"},
	{code: exitcode.Usage, match: is[*kube.ConfigError],
		what: "no usable kubeconfig: none found, a file that does not exist or does not parse, a context it does not have"},

	{code: exitcode.Usage, match: is[*usageError],
		what: "bad flags or arguments, or input the command cannot use as given"},
	{code: exitcode.Usage, match: isInputError,
		what: "unreadable or invalid input: a missing or special file, a file over its size cap, YAML that does not parse, a manifest or case that cannot be used, a file that would be overwritten without --force"},

	{code: exitcode.Failure, silent: true, match: isVerdict(verdictFindings),
		what: "findings of severity error (validate, audit), a client denied (explain, probe), a signature that does not verify (sat decode)"},
	{code: exitcode.Indeterminate, silent: true, match: isVerdict(verdictUndecided),
		what: "no verdict: explain could not decide (a token it cannot verify, a custom auth server it cannot ask), probe got no answer from the broker"},
	{code: exitcode.Usage, silent: true, match: isVerdict(verdictUnexplained),
		what: "explain --batch: a line that could not be explained as given (each is reported on its line)"},
}

// toolFailure is what an error no row matches means: exit 1, printed.
const toolFailure = "a failure of the tool itself: writing its output or a file failed, or any error no row above names"

// exitCode returns the exit status for the error a command ended with, and
// whether to print the error. An error no row matches is a failure of the
// tool itself (toolFailure).
func exitCode(err error) (code int, print bool) {
	if err == nil {
		return exitcode.OK, false
	}
	if row, ok := exitRowOf(err); ok {
		code = row.code
		var i *interrupted
		if row.signal && errors.As(err, &i) {
			code += i.number()
		}
		return code, !row.silent
	}
	return exitcode.Failure, true
}

func exitRowOf(err error) (exitRow, bool) {
	for _, row := range exitCodes {
		if row.match(err) {
			return row, true
		}
	}
	return exitRow{}, false
}

func is[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

func clusterFailed(kind kube.FailureKind) func(error) bool {
	return func(err error) bool {
		var ce *kube.ClusterError
		return errors.As(err, &ce) && ce.Kind == kind
	}
}

// isInputError matches the typed errors packages return for input that
// cannot be read or used.
func isInputError(err error) bool {
	for _, match := range []func(error) bool{
		is[*input.Error], is[*input.TooLargeError], is[*manifest.SyntaxError], is[*bundle.Error],
		is[*explain.InputError], is[*convert.Error], is[*api.UnsupportedVersionError], is[*api.ConversionError],
		is[*crds.UnknownKindError], is[*atomicfile.ExistsError], is[*sat.MalformedError], is[*broker.Error],
	} {
		if match(err) {
			return true
		}
	}
	return false
}

// usageError is a command line the command cannot run as given: its own
// checks of flags and arguments, and errors of packages that do not type
// them, which the command knows come from the user's input.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef formats a usage error.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// usage marks err as the user's to fix (nil stays nil).
func usage(err error) error {
	if err == nil {
		return nil
	}
	return &usageError{err}
}

// verdict is an outcome the command has printed: it sets the exit status,
// and nothing more is printed.
type verdict int

const (
	verdictFindings verdict = iota + 1
	verdictUndecided
	verdictUnexplained
)

func (v verdict) Error() string { return fmt.Sprintf("verdict %d", int(v)) }

func isVerdict(v verdict) func(error) bool {
	return func(err error) bool { return errors.Is(err, v) }
}

// decisionVerdict is the verdict of an explain decision: granted, denied
// or indeterminate.
func decisionVerdict(d *authn.Decision) error {
	switch d.Decision {
	case authn.Granted:
		return nil
	case authn.Denied:
		return verdictFindings
	}
	return verdictUndecided
}

// batchVerdict is the worst of a batch's lines: a line that could not be
// explained outranks an undecided case, which outranks a denial.
func batchVerdict(r explain.BatchResult) error {
	switch {
	case r.Unexplained > 0:
		return verdictUnexplained
	case r.Indeterminate > 0:
		return verdictUndecided
	case r.Denied > 0:
		return verdictFindings
	}
	return nil
}

// probeVerdict is the verdict of a probe or a connect-rate run.
func probeVerdict(v probe.Verdict) error {
	switch v {
	case probe.Pass:
		return nil
	case probe.Fail:
		return verdictFindings
	}
	return verdictUndecided
}

// interrupted is a command stopped by a signal before its work was
// complete.
type interrupted struct {
	signal syscall.Signal
	// what says what became of the work ("nothing was written").
	what string
}

func (e *interrupted) Error() string { return fmt.Sprintf("interrupted (%v): %s", e.signal, e.what) }

func (e *interrupted) number() int { return int(e.signal) }
