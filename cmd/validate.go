package cmd

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aio-authn/kubectl-aio-authn/pkg/lint"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
	"github.com/aio-authn/kubectl-aio-authn/pkg/version"
)

// gcPercent is the GOGC value while validating, and heapFloor the heap it
// may grow to before collections come more often (see boundHeap).
const (
	gcPercent = 300
	heapFloor = 256 << 20
)

// validateOptions are the flags of `validate`.
type validateOptions struct {
	*rootOptions
	paths      []string
	output     string
	strict     bool
	warnWithin time.Duration
	now        string
	limits     manifest.Limits
	engine     string

	nowTime  time.Time
	reporter lint.Reporter
}

func newValidateCmd(o *rootOptions) *cobra.Command {
	v := &validateOptions{rootOptions: o}
	c := &cobra.Command{
		Use:   "validate PATH|- [PATH|-...]",
		Short: "Lint BrokerAuthentication and BrokerListener manifests: schema, semantic and cross-reference rules",
		Long: strings.TrimSpace(`
Check BrokerAuthentication and BrokerListener manifests before applying them.

Every document is checked the way the API server with the broker's CRDs
checks it (schema, strict field validation, CEL rules), then against rules
the server does not know: settings blocks the entry's method does not read,
methods that a Custom entry hides, older API generations, listener ports whose
authentication needs TLS or names an authn that does not exist, and the
ConfigMaps and Secrets an authn references (when they are among the inputs).

PATH is a file, a directory (walked recursively for *.yaml, *.yml, *.json)
or - for standard input. Documents of other kinds are skipped. Symbolic
links are followed; a FIFO, device or socket found in a directory is skipped
with a note (name it directly to read it). Each file is read a document at a
time: a file is capped at 1 GiB and a document at 16 MiB (also with its YAML
aliases expanded); --max-manifest-size and --max-document-size raise them.

Findings go to standard output, sorted by file, line and column; the text
format prints a one-line summary on standard error. Exit status: 0 no
errors, 1 errors (or warnings with --strict), 2 unreadable input or bad flags.`),
		Example: o.example(`
  # Check what generate prints, before applying it
  kubectl aio-authn generate authn --method sat --method x509 | kubectl aio-authn validate -

  # Check every manifest under a directory, failing on warnings too (for CI)
  kubectl aio-authn validate --strict ./manifests

  # Findings as JSON, or as SARIF for code scanning
  kubectl aio-authn validate -o json ./manifests
  kubectl aio-authn validate -o sarif ./manifests > validate.sarif

  # Check certificate expiry as of a given day, warning 60 days ahead
  kubectl aio-authn validate --now 2026-06-01T00:00:00Z --warn-within 1440h ./manifests`),
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := v.complete(args); err != nil {
				return err
			}
			return v.run()
		},
		ValidArgsFunction: cobra.FixedCompletions([]string{"yaml", "yml", "json"}, cobra.ShellCompDirectiveFilterFileExt),
	}
	f := c.Flags()
	addOutputFlag(c, &v.output, lint.Formats...)
	f.BoolVar(&v.strict, "strict", false, "treat warnings as errors")
	f.DurationVar(&v.warnWithin, "warn-within", lint.DefaultWarnWithin, "warn about certificates that expire within this duration")
	addNowFlag(f, &v.now, "check certificate validity at this time")
	addManifestLimits(c, &v.limits)
	// Hidden: both engines give the same findings; the API server's
	// machinery on every document is there for comparisons and as a way
	// out should the fast path ever be doubted.
	f.StringVar(&v.engine, "schema-engine", string(lint.EngineFast), "how documents are checked against the CRD schemas: fast or apiserver")
	_ = f.MarkHidden("schema-engine")
	return c
}

func (v *validateOptions) complete(args []string) error {
	v.paths = args
	v.nowTime = nowOf(v.now)
	if v.warnWithin < 0 {
		return usagef("--warn-within %s is negative: give a duration such as 720h", v.warnWithin)
	}
	switch lint.SchemaEngine(v.engine) {
	case lint.EngineFast, lint.EngineAPIServer:
	default:
		return usagef("--schema-engine %q: give fast or apiserver", v.engine)
	}
	var styles *ui.Styles
	if v.output == "" || v.output == "text" {
		styles = ui.NewStyles(v.Out)
	}
	r, err := lint.NewReporter(v.output, lint.ReportOptions{Styles: styles, Version: version.Get().Version})
	if err != nil {
		return usage(err)
	}
	v.reporter = r
	return nil
}

func (v *validateOptions) run() error {
	// Validation allocates many short-lived objects (the API server's
	// validators convert every value); collecting less often trades a
	// little memory for a good part of the CPU time, within bounds.
	defer boundHeap(gcPercent, heapFloor)()
	res, err := lint.LintPaths(v.paths, v.In, lint.Options{Now: v.nowTime, WarnWithin: v.warnWithin, Strict: v.strict, Limits: v.limits,
		SchemaEngine: lint.SchemaEngine(v.engine)})
	if err != nil {
		return inputError(err, "give a readable file, a directory or - for standard input")
	}
	printNotes(v.ErrOut, res.Notes)
	if err := v.reporter.Report(v.Out, res); err != nil {
		return err
	}
	if v.output == "" || v.output == "text" {
		fmt.Fprintln(v.ErrOut, lint.SummaryLine(res))
	}
	if res.Failed() {
		return verdictFindings
	}
	return nil
}
