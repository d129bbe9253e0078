package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/aio-authn/kubectl-aio-authn/pkg/kube"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// Values of --dry-run, as kubectl spells them.
const (
	dryRunNone   = "none"
	dryRunClient = "client"
	dryRunServer = "server"
)

// caImportOptions are the flags of `ca import`.
type caImportOptions struct {
	*rootOptions
	name   string
	key    string
	dryRun string
	now    string
	print  *kube.PrintFlags

	cluster clusterApply
}

func newCaImportCmd(o *rootOptions) *cobra.Command {
	opts := &caImportOptions{rootOptions: o,
		print: kube.NewPrintFlags("serverside-applied")}
	c := &cobra.Command{
		Use:   "import FILE|- [FILE|-...] --name NAME [-n NAMESPACE] [--key KEY] [--dry-run=none|client|server] [--force-conflicts] [-o yaml|json|name]",
		Short: "Build the trusted client CA ConfigMap from PEM files",
		Long: strings.TrimSpace(`
Build the ConfigMap that x509Settings.trustedClientCaCert names, holding every
CA certificate of the given PEM files under one key (default client_ca.pem,
the key older broker versions require; newer ones read any key).

Refused (exit 2), as the broker would not use them: a file with no PEM
certificate, a certificate that is not a CA (a client's leaf: import the CA
that issued it), and CAs that mix key algorithms (the broker requires one
across a chain). Expired, not yet valid and soon expiring (30 days) CAs are
warned about on standard error. A certificate given twice is stored once.

The namespace is -n, else azure-iot-operations (the broker's, whatever the
kubeconfig's default is): the ConfigMap must be where the broker runs.

The ConfigMap is written with server-side apply (field manager
kubectl-aio-authn), so importing again updates it in place; --force-conflicts
takes over fields someone else changed. --dry-run=server asks the API server
to check the write without storing it; --dry-run=client prints the ConfigMap
without a cluster. Output as kubectl's: "configmap/NAME serverside-applied",
or the object with -o yaml, json or name.`),
		Example: o.example(`
  # The root of "certs chain", as YAML
  kubectl aio-authn ca import certs/client_ca.pem --name client-ca -n azure-iot-operations --dry-run=client -o yaml

  # Import into the cluster (again to update it), first checking with the API server
  kubectl aio-authn ca import certs/client_ca.pem --name client-ca -n azure-iot-operations --dry-run=server
  kubectl aio-authn ca import old_root.pem new_root.pem --name client-ca -n azure-iot-operations`),
		Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error { return opts.run(args) },
	}
	f := c.Flags()
	f.StringVar(&opts.name, "name", pki.DefaultCAConfigMap, "name of the ConfigMap (x509Settings.trustedClientCaCert)")
	f.StringVar(&opts.key, "key", pki.DefaultCAConfigMapKey, "key of the ConfigMap that holds the PEM bundle")
	f.StringVar(&opts.dryRun, "dry-run", dryRunNone, `"server" checks the write with the API server without storing it; "client" prints the ConfigMap without a cluster`)
	f.Lookup("dry-run").NoOptDefVal = dryRunClient
	addNowFlag(f, &opts.now, "judge validity at this time")
	opts.print.AddFlags(c)
	opts.cluster.addFlags(c)
	o.addKubeFlags(c)
	_ = c.RegisterFlagCompletionFunc("dry-run", cobra.FixedCompletions([]string{dryRunNone, dryRunClient, dryRunServer}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func (o *caImportOptions) run(args []string) error {
	switch o.dryRun {
	case dryRunNone, dryRunClient, dryRunServer:
	default:
		return usagef(`invalid --dry-run %q: use "none", "client" or "server"`, o.dryRun)
	}
	now := nowOf(o.now)
	certs, err := readBundles(args, o.In)
	if err != nil {
		return err
	}
	imp, err := pki.NewCAImport(o.name, kube.BrokerNamespace(o.kube), o.key, certs, now)
	if err != nil {
		return usage(err)
	}
	if err := o.report(imp); err != nil {
		return err
	}
	cm := imp.ConfigMap()
	if o.dryRun != dryRunClient {
		return o.apply(cm)
	}
	printer, err := o.print.ToPrinter()
	if err != nil {
		return usage(err)
	}
	if o.print.OutputFormat == nil || *o.print.OutputFormat == "" {
		o.print.Operation = "serverside-applied (dry run)"
		if printer, err = o.print.ToPrinter(); err != nil {
			return usage(err)
		}
	}
	return printer.PrintObj(cm, o.Out)
}

// report prints duplicates and warnings on stderr and refuses the import
// when a problem is an error: each error on its own line, the last one
// returned so it sets the exit status.
func (o *caImportOptions) report(imp *pki.CAImport) error {
	st := ui.NewStyles(o.ErrOut)
	for _, d := range imp.Duplicates {
		fmt.Fprintf(o.ErrOut, "%s %s: certificate %d %q was given before; it is stored once\n",
			st.Info.Render("note:"), d.Position(), d.Index, pki.SubjectString(d.Cert))
	}
	var errs []pki.BundleProblem
	for _, p := range imp.Problems {
		if p.Severity == pki.SeverityError {
			errs = append(errs, p)
			continue
		}
		fmt.Fprintf(o.ErrOut, "%s %s\n", st.Warning.Render("warning:"), p)
	}
	if len(errs) == 0 {
		return nil
	}
	for _, p := range errs[:len(errs)-1] {
		fmt.Fprintf(o.ErrOut, "error: %s\n", p)
	}
	return usagef("%s", errs[len(errs)-1])
}

// apply writes cm to the cluster with server-side apply (field manager
// kubectl-aio-authn); --dry-run=server sends it as a server dry run.
func (o *caImportOptions) apply(cm *corev1.ConfigMap) error {
	return o.applyConfigMap(context.Background(), cm, o.dryRun == dryRunServer, o.cluster, o.print)
}
