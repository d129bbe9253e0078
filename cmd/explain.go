package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/authn/explain"
	"github.com/aio-authn/kubectl-aio-authn/pkg/bundle"
	"github.com/aio-authn/kubectl-aio-authn/pkg/exitcode"
	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// explainOptions are the flags of `explain`.
type explainOptions struct {
	*rootOptions
	clientFlags
	files  []string
	output string
	batch  string
	limits manifest.Limits

	bundle  *bundle.Bundle
	cluster explainCluster
}

var explainFormats = []string{"text", "json", "yaml"}

func newExplainCmd(o *rootOptions) *cobra.Command {
	e := &explainOptions{rootOptions: o}
	c := &cobra.Command{
		Use:   "explain (-f BUNDLE | --from-cluster) [--authn NAME | --listener NAME --port N] [credentials]",
		Short: "Walk the broker's authentication chain for one client (or a batch) and say why it is let in or not",
		Long: strings.TrimSpace(`
Run the broker's authentication flow locally for a client with the given
credentials, against the manifests you apply (the bundle): the methods of the
BrokerAuthentication are tried in order, the first one the credentials are
relevant to decides, and each step shows its checks.

The bundle holds BrokerAuthentications, BrokerListeners and the ConfigMaps
(trusted client CAs, the custom auth server's CA), Secrets and
ServiceAccounts they reference. A custom auth server is really called (API
0.5.0, TLS with the referenced CA, a short timeout); --custom-result
replaces the call. Service account tokens are verified offline by the API
server's rules with --sat-issuer-key (keys chosen by the token's kid, a
one-minute leeway on exp, nbf and iat) and --sat-issuer; without a key a
token can be denied (expired, wrong audience) but not granted, and the
result is indeterminate. A token is valid only while the ServiceAccount
and Pod it is bound to exist with its uids: give them in the bundle
(kubectl get ... -o yaml), or the result is indeterminate. An X509 entry
with additionalValidation AzureDeviceRegistry is indeterminate too unless
--adr-device says whether the leaf's CN names an enabled device.

--from-cluster reads the bundle from the cluster instead (the namespace of
-n, default azure-iot-operations, with the ConfigMaps and Secrets referenced,
and the ServiceAccount and Pod of the token) and verifies tokens with the
cluster's signing keys and issuer (/openid/v1/jwks,
/.well-known/openid-configuration); --token-review verifies them with the
TokenReview API instead, exactly as the broker does. See docs/cluster.md.

--batch explains one case per line of a JSON Lines file (fields: authn,
listener, port, username, password, passwordFile, authMethod, authData,
authDataFile, satFile, cert, customResult, adrDevice, now; relative paths are relative
to the file) and prints one JSON decision per line; flags given on the
command line are the defaults of every case.

Exit status: 0 granted, 1 denied, 2 bad input, 3 indeterminate (for a
batch, the worst case).`),
		Example: o.example(`
  # Would this client certificate get in?
  kubectl aio-authn explain -f testdata/examples --now 2026-06-01T00:00:00Z \
    --cert testdata/examples/clients/smart-fan.pem --custom-result unreachable

  # A service account token, verified offline with the cluster's public key
  kubectl aio-authn explain -f testdata/examples --now 2026-06-01T00:00:00Z --custom-result unreachable \
    --sat-file testdata/examples/tokens/wrong-audience.jwt --sat-issuer-key testdata/examples/sat/jwks.json

  # A client of a listener port, as JSON
  kubectl aio-authn explain -f testdata/examples --listener default --port 18883 --now 2026-06-01T00:00:00Z \
    --cert testdata/examples/clients/smart-fan.pem --custom-result pass -o json

  # Many clients at once: one JSON decision per line
  kubectl aio-authn explain -f testdata/examples --batch testdata/examples/cases.jsonl \
    --sat-issuer-key testdata/examples/sat/jwks.json --custom-result unreachable`),
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := e.complete(c); err != nil {
				return err
			}
			return e.run(c.Context())
		},
	}
	f := c.Flags()
	addBundleFlag(f, &e.files)
	e.addEngineFlags(c)
	e.addCredentialFlags(c)
	f.StringVar(&e.c.Now, "now", "", "decide at this time (RFC 3339) instead of now")
	f.StringVarP(&e.output, "output", "o", "text", "output format: "+strings.Join(explainFormats, ", ")+" (--batch always writes JSON lines)")
	f.StringVar(&e.batch, "batch", "", "JSON Lines file of cases (- for standard input): one JSON decision per line")
	addManifestLimits(c, &e.limits)
	e.cluster.addFlags(c, o)
	_ = c.RegisterFlagCompletionFunc("output", fixedCompletion(explainFormats...))
	return c
}

func fixedCompletion(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

func (e *explainOptions) complete(c *cobra.Command) error {
	if err := e.clientFlags.complete(c.Flags()); err != nil {
		return err
	}
	if !contains(explainFormats, e.output) {
		return exitcode.Usagef("--output %q: want one of %s", e.output, strings.Join(explainFormats, ", "))
	}
	if e.batch == "-" && contains(e.files, "-") {
		return exitcode.Usagef("-f - and --batch - both read standard input: put one of them in a file")
	}
	return e.loadBundle(c.Context())
}

// loadBundle reads the bundle from -f or the cluster.
func (e *explainOptions) loadBundle(ctx context.Context) error {
	b, err := e.readBundle(ctx)
	if err != nil {
		return inputError(err, "give the bundle as files, directories or - for standard input")
	}
	printNotes(e.ErrOut, b.Notes)
	e.bundle = b
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (e *explainOptions) runner() *explain.Runner {
	return &explain.Runner{
		Bundle:  e.bundle,
		Options: authn.Options{Keys: e.keys, Issuers: e.issuers, TokenReview: e.cluster.reviewer, Objects: e.cluster.objects, CustomTimeout: e.customTimeout},
	}
}

func (e *explainOptions) run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	r := e.runner()
	if e.batch != "" {
		return e.runBatch(ctx, r)
	}
	d, target, err := r.Explain(ctx, e.c)
	if err != nil {
		return exitcode.UsageError(err)
	}
	switch e.output {
	case "json":
		b, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintln(e.Out, string(b))
	case "yaml":
		b, err := yaml.Marshal(d)
		if err != nil {
			return err
		}
		e.Out.Write(b)
	default:
		if err := explain.WriteText(e.Out, d, target, ui.NewStyles(e.Out)); err != nil {
			return err
		}
	}
	return exitFor(explain.ExitCode(d))
}

func (e *explainOptions) runBatch(ctx context.Context, r *explain.Runner) error {
	in := input.Reader(e.In, input.StdinName, input.Batch)
	name := input.StdinName
	if e.batch != "-" {
		f, err := input.Open(e.batch, input.Batch)
		if err != nil {
			return exitcode.Usagef("--batch %v", err)
		}
		defer f.Close()
		in, name = f, e.batch
		r.Dir = filepath.Dir(e.batch)
		// Files named by flags are relative to the working directory,
		// those named by cases to the cases file.
		for _, p := range []*string{&e.c.PasswordFile, &e.c.AuthDataFile, &e.c.SATFile, &e.c.Cert} {
			if *p != "" {
				if abs, err := filepath.Abs(*p); err == nil {
					*p = abs
				}
			}
		}
	}
	code, err := r.Batch(ctx, in, name, e.c, e.Out, e.ErrOut)
	if err != nil {
		return exitcode.UsageError(err)
	}
	return exitFor(code)
}

// exitFor turns a decision's exit code into the silent error main maps:
// the decision is already printed.
func exitFor(code int) error {
	switch code {
	case exitcode.OK:
		return nil
	case exitcode.Failure:
		return exitcode.Findings()
	case exitcode.Indeterminate:
		return exitcode.Undecided()
	}
	return &exitcode.Error{Code: code, Silent: true}
}
