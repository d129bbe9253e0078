package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// KubeAPIServerVersion is the kube-apiserver release the harness is built
// and tested against; hack/build-kube-apiserver.sh caches that build under a
// directory named after it.
const KubeAPIServerVersion = "v1.34.2"

// Environment variables read to find the binaries.
const (
	// EnvKubeAPIServer names the kube-apiserver binary to run.
	EnvKubeAPIServer = "AIO_AUTHN_KUBE_APISERVER"
	// EnvEtcd names the etcd binary to run.
	EnvEtcd = "AIO_AUTHN_ETCD"
	// EnvCache overrides the root of the build cache that
	// hack/build-kube-apiserver.sh writes to.
	EnvCache = "AIO_AUTHN_CACHE"
)

// SetupScript is the script that installs etcd and builds kube-apiserver;
// error and skip messages point to it.
const SetupScript = "hack/setup-test-env.sh"

// ErrBinariesNotFound is wrapped by the errors returned when etcd or
// kube-apiserver cannot be found.
var ErrBinariesNotFound = errors.New("test control plane binaries not found")

// Binaries are the executables a control plane runs.
type Binaries struct {
	KubeAPIServer string
	Etcd          string
}

// CachedKubeAPIServer returns where hack/build-kube-apiserver.sh puts the
// kube-apiserver binary:
// ${AIO_AUTHN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-aio-authn}/kube-apiserver-VERSION/kube-apiserver.
// It returns "" when no cache root can be determined.
func CachedKubeAPIServer() string {
	root := os.Getenv(EnvCache)
	if root == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return ""
			}
			base = filepath.Join(home, ".cache")
		}
		root = filepath.Join(base, "kubectl-aio-authn")
	}
	return filepath.Join(root, "kube-apiserver-"+KubeAPIServerVersion, "kube-apiserver")
}

// FindBinaries locates kube-apiserver and etcd: from AIO_AUTHN_KUBE_APISERVER
// and AIO_AUTHN_ETCD when set (a variable naming a missing file is an error,
// not a reason to look elsewhere), else kube-apiserver from the build cache,
// else both from PATH (and etcd from /usr/bin, where Debian's etcd-server
// puts it). The error wraps ErrBinariesNotFound and says how to get them.
func FindBinaries() (Binaries, error) {
	var b Binaries
	var problems []string

	apiserver, err := findBinary(EnvKubeAPIServer, "kube-apiserver", CachedKubeAPIServer())
	if err != nil {
		problems = append(problems, err.Error())
	}
	b.KubeAPIServer = apiserver

	etcd, err := findBinary(EnvEtcd, "etcd", "/usr/bin/etcd")
	if err != nil {
		problems = append(problems, err.Error())
	}
	b.Etcd = etcd

	if len(problems) > 0 {
		msg := ""
		for _, p := range problems {
			msg += "; " + p
		}
		return b, fmt.Errorf("%w%s; run `bash %s` and export the variables it prints", ErrBinariesNotFound, msg, SetupScript)
	}
	return b, nil
}

func findBinary(envVar, name string, candidates ...string) (string, error) {
	if p := os.Getenv(envVar); p != "" {
		if err := checkExecutable(p); err != nil {
			return "", fmt.Errorf("%s=%s: %v", envVar, p, err)
		}
		return p, nil
	}
	for _, c := range candidates {
		if c != "" && checkExecutable(c) == nil {
			return c, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found (set %s, or put it on PATH)", name, envVar)
}

func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return errors.New("not an executable file")
	}
	return nil
}
