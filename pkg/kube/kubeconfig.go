package kube

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
)

// checkKubeconfigs bounds the kubeconfig files client-go is about to read
// whole: --kubeconfig, else every file of $KUBECONFIG, else ~/.kube/config.
// Each must be a regular file within input.Kubeconfig's cap (client-go
// would read /dev/zero until memory runs out, and wait on a FIFO forever).
// Missing files are left to client-go, which skips them in $KUBECONFIG.
func checkKubeconfigs(flags *genericclioptions.ConfigFlags) error {
	var paths []string
	switch {
	case flags.KubeConfig != nil && *flags.KubeConfig != "":
		paths = []string{*flags.KubeConfig}
	case os.Getenv(clientcmd.RecommendedConfigPathEnvVar) != "":
		paths = filepath.SplitList(os.Getenv(clientcmd.RecommendedConfigPathEnvVar))
	default:
		paths = []string{clientcmd.RecommendedHomeFile}
	}
	for _, p := range paths {
		if p == "" {
			continue
		}
		o, err := input.OpenRegular(p, input.Kubeconfig)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		o.Close()
	}
	return nil
}
