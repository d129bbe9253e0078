package cmd

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/aio-authn/kubectl-aio-authn/pkg/atomicfile"
	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// nowLayout is how --now is written.
const nowLayout = time.RFC3339

// nowValue is a --now flag: an RFC 3339 time, checked as the flag is
// parsed, with one message for every command.
type nowValue struct{ s *string }

func (v nowValue) String() string { return *v.s }

func (v nowValue) Set(s string) error {
	if _, err := time.Parse(nowLayout, s); err != nil {
		return fmt.Errorf("want an RFC 3339 time such as 2026-01-02T15:04:05Z")
	}
	*v.s = s
	return nil
}

func (v nowValue) Type() string { return "time" }

// addNowFlag adds --now, the time a command judges validity at instead
// of now; usage says what the time is for.
func addNowFlag(f *pflag.FlagSet, s *string, usage string) {
	f.Var(nowValue{s}, "now", usage+" (RFC 3339) instead of now")
}

// nowOf is the time of a --now flag: now when it was not given.
func nowOf(s string) time.Time {
	if s == "" {
		return time.Now()
	}
	t, _ := time.Parse(nowLayout, s) // checked when the flag was set
	return t
}

// outputFormat is an -o/--output flag: one of the formats the command
// declares, checked as the flag is parsed (one message for every command)
// and completed from the same list.
type outputFormat struct {
	value   *string
	formats []string
}

func (o *outputFormat) String() string { return *o.value }

func (o *outputFormat) Set(s string) error {
	if !slices.Contains(o.formats, s) {
		return fmt.Errorf("want one of %s", strings.Join(o.formats, ", "))
	}
	*o.value = s
	return nil
}

func (o *outputFormat) Type() string { return "format" }

// addOutputFlag adds -o/--output with the formats the command writes,
// the first being the default.
func addOutputFlag(c *cobra.Command, value *string, formats ...string) {
	*value = formats[0]
	c.Flags().VarP(&outputFormat{value: value, formats: formats}, "output", "o", "output format: "+strings.Join(formats, ", "))
	_ = c.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}

// addForceFlag adds --force. It has no shorthand: -f is a file
// (--filename) in every command, as in kubectl. The -f that certs and sat
// keygen gave it still works for one release, with a deprecation notice.
func addForceFlag(f *pflag.FlagSet, force *bool) {
	f.BoolVarP(force, "force", "f", false, "overwrite existing files")
	_ = f.MarkShorthandDeprecated("force", "use --force: -f names a file (--filename), as in kubectl")
}

// deprecatedAlias keeps old, a former name of the flag name, working for
// one release: hidden from help and completion, setting name's value (and
// marking name as given), with pflag's deprecation notice on standard
// error.
func deprecatedAlias(f *pflag.FlagSet, name, old string) {
	flag := f.Lookup(name)
	alias := f.VarPF(aliasValue{flag}, old, "", flag.Usage)
	alias.NoOptDefVal = flag.NoOptDefVal
	_ = f.MarkDeprecated(old, "use --"+name+" instead")
}

// aliasValue is a flag seen through a former name: setting it sets the
// flag.
type aliasValue struct{ flag *pflag.Flag }

func (a aliasValue) String() string { return a.flag.Value.String() }
func (a aliasValue) Type() string   { return a.flag.Value.Type() }

func (a aliasValue) Set(s string) error {
	if err := a.flag.Value.Set(s); err != nil {
		return err
	}
	a.flag.Changed = true
	return nil
}

// addIssuerKeyFlag adds --sat-issuer-key, the public keys service account
// tokens are verified with offline, for every command that verifies them.
func addIssuerKeyFlag(f *pflag.FlagSet, path *string) {
	f.StringVar(path, "sat-issuer-key", "", "PEM public keys or certificates, or a JWKS file, to verify service account tokens with offline (sat keygen's sa_pub.pem or jwks.json, a cluster's /openid/v1/jwks)")
}

// openEvents opens the --events of a local server, where it appends one
// JSON line per event: "-" is standard output, "" nothing (a nil writer).
// A file is appended to, never truncated, since it is the operator's log,
// and created readable by its owner only.
func openEvents(path string, stdout io.Writer) (io.Writer, func(), error) {
	switch path {
	case "":
		return nil, func() {}, nil
	case "-":
		return stdout, func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, usagef("--events %s: %v", ui.Escape(path), cause(err))
	}
	return f, func() { f.Close() }, nil
}

// readyFile is a local server's --ready-file: JSON written atomically once
// the server listens, for scripts that start it in the background, and
// removed when it stops.
type readyFile string

func (r *readyFile) addFlag(f *pflag.FlagSet, usage string) {
	f.StringVar((*string)(r), "ready-file", "", usage)
	_ = f.SetAnnotation("ready-file", cobra.BashCompFilenameExt, []string{})
}

// clear removes a ready file an earlier run left: it would tell a script
// that waits for it that this server listens before it does.
func (r readyFile) clear() {
	if r != "" {
		os.Remove(string(r))
	}
}

// write writes v as the ready file (nothing without --ready-file); remove
// takes it away when the server stops, so that a script does not take a
// stale file for a running server.
func (r readyFile) write(v any) (remove func(), err error) {
	if r == "" {
		return func() {}, nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(string(r), append(data, '\n'), pki.PublicFileMode, true); err != nil {
		return nil, usage(err)
	}
	return func() { os.Remove(string(r)) }, nil
}

// serverCertFlags are the certificate a local server presents: the same
// two flags for serve broker and serve custom-auth.
type serverCertFlags struct{ cert, key string }

func (s *serverCertFlags) addFlags(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&s.cert, "server-cert", "", "PEM certificate (then its intermediates) the server presents; default: one minted for 127.0.0.1 and localhost")
	f.StringVar(&s.key, "server-key", "", "PEM private key of --server-cert")
	_ = c.MarkFlagFilename("server-cert")
	_ = c.MarkFlagFilename("server-key")
}

// load reads the certificate; nil when neither flag is given, for the
// server to mint one.
func (s *serverCertFlags) load() (*tls.Certificate, error) {
	switch {
	case s.cert == "" && s.key == "":
		return nil, nil
	case s.cert == "" || s.key == "":
		return nil, usagef("--server-cert and --server-key go together: give both, or neither to mint a certificate for 127.0.0.1 and localhost")
	}
	cert, err := pki.LoadServerCertificate(s.cert, s.key)
	return cert, usage(err)
}

// sizeValue is a flag holding a byte count, written as Kubernetes writes
// quantities: 64Mi, 2Gi, 500M or a plain number of bytes.
type sizeValue struct{ n *int64 }

func (v sizeValue) String() string {
	if v.n == nil {
		return ""
	}
	return resource.NewQuantity(*v.n, resource.BinarySI).String()
}

func (v sizeValue) Set(s string) error {
	q, err := resource.ParseQuantity(s)
	if err != nil || q.Sign() <= 0 {
		return fmt.Errorf("%q is not a size: write it like 64Mi, 2Gi or 1048576", s)
	}
	*v.n = q.Value()
	return nil
}

func (v sizeValue) Type() string { return "size" }

// addManifestLimits adds the flags that raise the caps on manifests read by
// validate, explain and convert, and sets lim to the defaults.
func addManifestLimits(c *cobra.Command, lim *manifest.Limits) {
	*lim = manifest.DefaultLimits()
	c.Flags().Var(sizeValue{&lim.File.Max}, strings.TrimPrefix(lim.File.Flag, "--"),
		"largest manifest file (or standard input) to read")
	c.Flags().Var(sizeValue{&lim.Document.Max}, strings.TrimPrefix(lim.Document.Flag, "--"),
		"largest YAML document to read, also with its aliases expanded")
	// Hidden: both readers build the same trees; yaml.v3 on every document
	// is there for comparisons and as a way out should the fast reader
	// ever be doubted.
	manifest.SetYAMLReader(manifest.ReaderFast)
	c.Flags().Var(yamlReaderValue{}, "yaml-reader", "how YAML documents are read: fast or yamlv3")
	_ = c.Flags().MarkHidden("yaml-reader")
}

// yamlReaderValue is the --yaml-reader flag: it sets the reader of every
// manifest read after the flags are parsed.
type yamlReaderValue struct{}

func (yamlReaderValue) String() string { return string(manifest.CurrentYAMLReader()) }

func (yamlReaderValue) Set(s string) error {
	switch r := manifest.YAMLReader(s); r {
	case manifest.ReaderFast, manifest.ReaderYAMLv3:
		manifest.SetYAMLReader(r)
		return nil
	}
	return fmt.Errorf("%q is not a YAML reader: use fast or yamlv3", s)
}

func (yamlReaderValue) Type() string { return "string" }

// printNotes writes what reading the inputs skipped, on standard error.
func printNotes(w io.Writer, notes []input.Note) {
	for _, n := range notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// inputError turns an error reading the user's inputs into a usage error
// (exit 2), adding hint to errors that do not say what to do already.
func inputError(err error, hint string) error {
	var ie *input.Error
	if errors.As(err, &ie) && hint != "" {
		return usagef("%v: %s", err, hint)
	}
	return usage(err)
}
