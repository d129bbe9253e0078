package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/authn/explain"
	"github.com/aio-authn/kubectl-aio-authn/pkg/bundle"
	"github.com/aio-authn/kubectl-aio-authn/pkg/kube"
)

// explainCluster is the cluster half of explain's flags: --from-cluster
// reads the bundle from the cluster, --token-review verifies tokens with
// the TokenReview API. What a case needs from the cluster beyond the
// bundle (the objects a token is bound to, the signing keys) the Runner
// asks source for, case by case.
type explainCluster struct {
	fromCluster bool
	tokenReview bool

	source   explain.Cluster
	reviewer authn.TokenReviewer
}

func (x *explainCluster) addFlags(c *cobra.Command, o *rootOptions) {
	f := c.Flags()
	f.BoolVar(&x.fromCluster, "from-cluster", false, "read the BrokerAuthentications, BrokerListeners and what they reference from the cluster (-n, default azure-iot-operations) instead of -f")
	f.BoolVar(&x.tokenReview, "token-review", false, tokenReviewUsage)
	o.addKubeFlags(c)
}

// readBundle reads the bundle from -f or, with --from-cluster, from the
// cluster, and sets up the cluster the flags ask for.
func (e *explainOptions) readBundle(ctx context.Context) (*bundle.Bundle, error) {
	x := &e.cluster
	switch {
	case x.fromCluster && len(e.files) > 0:
		return nil, usagef("-f and --from-cluster both give the bundle: drop one")
	case !x.fromCluster && len(e.files) == 0:
		return nil, usagef("no bundle: give the manifests with -f, or read them from the cluster with --from-cluster")
	}
	if err := e.checkTokenReview(x.tokenReview); err != nil {
		return nil, err
	}
	if !x.fromCluster && !x.tokenReview {
		return bundle.Read(e.files, e.In, e.limits)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	client, err := kube.NewClient(e.kube)
	if err != nil {
		return nil, err
	}
	if x.tokenReview {
		x.reviewer = client.TokenReviewer()
	}
	if !x.fromCluster {
		return bundle.Read(e.files, e.In, e.limits)
	}
	x.source = client.ExplainCluster()
	return explain.ReadCluster(ctx, x.source, kube.BrokerNamespace(e.kube))
}
