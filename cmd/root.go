// Package cmd wires the cobra commands of kubectl aio-authn: flags, options and
// printing. Every decision lives in pkg/ where it can be tested without a
// terminal.
package cmd

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/aio-authn/kubectl-aio-authn/pkg/kube"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// pluginName is how help and examples name the tool when it runs as a kubectl
// plugin, which is how it is installed.
const pluginName = "kubectl aio-authn"

// binaryName is the executable kubectl runs for "kubectl aio-authn". Shell
// completion registers for this name.
const binaryName = "kubectl-aio_authn"

// rootOptions is what every command shares: the I/O streams and the standard
// kubectl connection flags, added once here so cluster commands read them the
// way kubectl does.
type rootOptions struct {
	genericiooptions.IOStreams
	kube *kube.ConfigFlags
	// name is "kubectl aio-authn" when installed as a plugin, else the
	// binary's own name.
	name string
}

// example rewrites an example written for the plugin so it names the binary
// actually running.
func (o *rootOptions) example(s string) string {
	s = strings.Trim(s, "\n")
	if o.name == pluginName {
		return s
	}
	return strings.ReplaceAll(s, pluginName, o.name)
}

// displayName returns the name to show in help: the plugin name when the
// binary is kubectl's plugin (kubectl-aio_authn), else the binary's name.
func displayName(arg0 string) string {
	base := strings.TrimSuffix(filepath.Base(arg0), ".exe")
	if base == "" || base == "." || strings.HasPrefix(base, "kubectl-") {
		return pluginName
	}
	return base
}

// NewRootCmd builds the command tree.
func NewRootCmd(streams genericiooptions.IOStreams, name string) *cobra.Command {
	o := &rootOptions{IOStreams: streams, kube: kube.NewConfigFlags(), name: name}
	use := name
	if name == pluginName {
		use = binaryName
	}
	root := &cobra.Command{
		Use:   use,
		Short: "Write, check, rehearse and debug Azure IoT Operations MQTT broker authentication",
		Long: strings.TrimSpace(`
kubectl aio-authn helps operators of the Azure IoT Operations MQTT broker get
client authentication right: it generates and validates BrokerAuthentication and
BrokerListener manifests, imports trusted-CA ConfigMaps, mints test certificates
and service account tokens, and walks the broker's authentication chain for a
given client ("explain") to show, method by method, why it would be let in or not.

Exit codes: 0 success or granted, 1 findings or denied, 2 usage error or
unreadable input, 3 no verdict (undecided, or a cluster or broker that could
not be asked), 128+n interrupted by signal n.`),
		Example: o.example(`
  # Check manifests before applying them
  kubectl aio-authn validate ./manifests

  # See why a client certificate would be accepted or refused
  kubectl aio-authn explain -f ./manifests --cert device_cert.pem`),
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: name},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usagef("%v\nSee '%s --help'.", err, c.CommandPath())
	})
	for _, c := range []*cobra.Command{
		newGenerateCmd(o),
		newValidateCmd(o),
		newConvertCmd(o),
		newCrdsCmd(o),
		newExplainCmd(o),
		newProbeCmd(o),
		newServeCmd(o),
		newCaCmd(o),
		newCertsCmd(o),
		newSatCmd(o),
		newAuditCmd(o),
		newVersionCmd(o),
		newCompletionCmd(o),
	} {
		root.AddCommand(c)
	}
	noticesToStderr(root, streams.ErrOut)
	return root
}

// noticesToStderr sends what pflag prints while parsing (the notice that a
// deprecated flag or shorthand was used) to standard error: cobra would
// print it on the command's output, standard output, among the data.
func noticesToStderr(c *cobra.Command, w io.Writer) {
	c.Flags().SetOutput(w)
	for _, sub := range c.Commands() {
		noticesToStderr(sub, w)
	}
}

// addKubeFlags adds the standard kubectl connection flags (--kubeconfig,
// --context, -n, impersonation, ...) to a command that talks to a cluster.
func (o *rootOptions) addKubeFlags(c *cobra.Command) {
	o.kube.AddFlags(c.Flags())
}

// Execute runs the command line and returns the process exit code; name is
// how help and examples name the tool (pluginName, or the binary's own name
// when it is run directly). Errors are printed here, once, as one line on
// stderr.
func Execute(name string, args []string, in io.Reader, out, errOut io.Writer) int {
	root := NewRootCmd(genericiooptions.IOStreams{In: in, Out: out, ErrOut: errOut}, name)
	root.SetArgs(args)
	// Errors cobra raises before a command runs (unknown command, wrong
	// number of arguments) are usage errors.
	started := false
	root.PersistentPreRun = func(*cobra.Command, []string) { started = true }
	c, err := root.ExecuteC()
	if err != nil && !started {
		if _, ok := exitRowOf(err); !ok {
			err = usagef("%v\nSee '%s --help'.", err, c.CommandPath())
		}
	}
	code, print := exitCode(err)
	if print {
		// Errors quote what the user gave and what servers answered:
		// escaped, so that nothing reaches the terminal as a control code.
		fmt.Fprintf(errOut, "error: %s\n", ui.EscapeLines(err.Error()))
	}
	return code
}
