package cmd

import (
	"context"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/aio-authn/kubectl-aio-authn/pkg/kube"
)

// clusterApply is the cluster half of a command that writes an object:
// server-side apply as field manager kubectl-aio-authn, with kubectl's
// --force-conflicts.
type clusterApply struct {
	forceConflicts bool
}

func (a *clusterApply) addFlags(c *cobra.Command) {
	c.Flags().BoolVar(&a.forceConflicts, "force-conflicts", false,
		"take over fields another field manager owns (kubectl edit, another tool) instead of failing with a conflict")
}

// applyConfigMap applies cm with server-side apply (a server dry run when
// dryRunServer) and prints what the server answered the way kubectl does:
// "configmap/NAME serverside-applied", " (server dry run)" appended, or the
// object with -o yaml|json|name.
func (o *rootOptions) applyConfigMap(ctx context.Context, cm *corev1.ConfigMap, dryRunServer bool, a clusterApply, print *kube.PrintFlags) error {
	if ctx == nil {
		ctx = context.Background()
	}
	client, err := kube.NewClient(o.kube)
	if err != nil {
		return err
	}
	out, err := client.ApplyConfigMap(ctx, cm, kube.ApplyOptions{DryRunServer: dryRunServer, ForceConflicts: a.forceConflicts})
	if err != nil {
		return err
	}
	print.Operation = "serverside-applied"
	if dryRunServer {
		print.Operation += " (server dry run)"
	}
	printer, err := print.ToPrinter()
	if err != nil {
		return usage(err)
	}
	return printer.PrintObj(out, o.Out)
}
