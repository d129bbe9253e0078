package kube

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
)

// checkKubeconfigs bounds the kubeconfig files client-go is about to read
// whole: --kubeconfig, else every file of $KUBECONFIG, else ~/.kube/config.
// Each must be a regular file within input.Kubeconfig's cap (client-go
// would read /dev/zero until memory runs out, and wait on a FIFO forever).
// Missing files are left to client-go, which skips them in $KUBECONFIG.
func checkKubeconfigs(flags *ConfigFlags) error {
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
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case errors.Is(err, input.ErrNotRegular):
			return fmt.Errorf("%w: client-go reads the kubeconfig by its name, so it must be a file: write it to one", err)
		case err != nil:
			return err
		}
		o.Close()
	}
	return nil
}
