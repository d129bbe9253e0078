package cmd

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aio-authn/kubectl-aio-authn/pkg/audit"
	"github.com/aio-authn/kubectl-aio-authn/pkg/kube"
	"github.com/aio-authn/kubectl-aio-authn/pkg/lint"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
	"github.com/aio-authn/kubectl-aio-authn/pkg/version"
)

// auditOptions are the flags of `audit`.
type auditOptions struct {
	*rootOptions
	output        string
	allNamespaces bool
	warnWithin    time.Duration
	now           string

	nowTime  time.Time
	reporter lint.Reporter
}

func newAuditCmd(o *rootOptions) *cobra.Command {
	a := &auditOptions{rootOptions: o}
	c := &cobra.Command{
		Use:   "audit [-n NAMESPACE | -A] [-o text|json|sarif|junit]",
		Short: "Check the broker's authentication as a live cluster holds it (read-only)",
		Long: strings.TrimSpace(`
Read the BrokerListeners and BrokerAuthentications of a namespace (default
azure-iot-operations; -A for all), the ConfigMaps and Secrets they reference,
and the pods, and report what would make clients fail to connect:

  - every listener port with what authenticates it, and ports with no
    authenticationRef (authentication disabled);
  - X509 methods on ports without TLS;
  - references to BrokerAuthentications, ConfigMaps or Secrets the cluster
    does not have;
  - trusted CA ConfigMaps with no CA certificate, mixing key algorithms, or
    holding CAs that have expired or expire within --warn-within;
  - pods whose projected service account token is for an audience no
    listener port's ServiceAccountToken method accepts: the broker refuses
    their tokens and the client sees only "not authorized";
  - everything "validate" checks in a manifest, applied to the live objects.

Findings have validate's formats and rules; their file is
NAMESPACE/KIND/NAME and their line and column point into
"kubectl get KIND NAME -n NAMESPACE -o yaml". Nothing is written to the
cluster. It needs get/list on the broker's resources, configmaps, pods and,
when a Secret is referenced, secrets.

The cluster is read with one LIST per resource type (per 500 objects),
however many objects there are. Exit status: 0 no errors, 1 errors, 2 bad
flags or kubeconfig, 3 the cluster could not be read (unreachable, or
refusing the credentials or the RBAC rights).`),
		Example: o.example(`
  # Audit the broker's namespace
  kubectl aio-authn audit

  # Every namespace, as SARIF for code scanning
  kubectl aio-authn audit -A -o sarif > audit.sarif

  # Warn about CAs expiring within a week only
  kubectl aio-authn audit -n azure-iot-operations --warn-within 168h`),
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := a.complete(); err != nil {
				return err
			}
			return a.run(c)
		},
	}
	f := c.Flags()
	addOutputFlag(c, &a.output, lint.Formats...)
	f.BoolVarP(&a.allNamespaces, "all-namespaces", "A", false, "audit every namespace (listeners, authentications and pods of all of them)")
	f.DurationVar(&a.warnWithin, "warn-within", audit.DefaultWarnWithin, "warn about CA certificates that expire within this duration")
	addNowFlag(f, &a.now, "check certificate validity at this time")
	o.addKubeFlags(c)
	return c
}

func (a *auditOptions) complete() error {
	a.nowTime = nowOf(a.now)
	if a.warnWithin < 0 {
		return usagef("--warn-within %s is negative: give a duration such as 720h", a.warnWithin)
	}
	var styles *ui.Styles
	if a.output == "" || a.output == "text" {
		styles = ui.NewStyles(a.Out)
	}
	r, err := audit.NewReporter(a.output, styles, version.Get().Version)
	if err != nil {
		return usage(err)
	}
	a.reporter = r
	return nil
}

func (a *auditOptions) run(c *cobra.Command) error {
	client, err := kube.NewClient(a.kube)
	if err != nil {
		return err
	}
	scope := kube.SnapshotOptions{Namespace: kube.BrokerNamespace(a.kube), AllNamespaces: a.allNamespaces}
	rep, err := audit.Run(c.Context(), client, scope, audit.Options{Now: a.nowTime, WarnWithin: a.warnWithin})
	if err != nil {
		return err
	}
	if err := a.reporter.Report(a.Out, rep.Result); err != nil {
		return err
	}
	if a.output == "" || a.output == "text" {
		fmt.Fprintln(a.ErrOut, rep.SummaryLine())
	}
	if rep.Failed() {
		return verdictFindings
	}
	return nil
}
