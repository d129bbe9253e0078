package testenv

import (
	"fmt"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// clusterName is the cluster's name in the kubeconfig files.
const clusterName = "testenv"

// Kubeconfig returns the path of a kubeconfig file whose current context,
// AdminUser, uses AdminUser's token; it also has a NobodyUser context
// (`--context nobody`).
func (cp *ControlPlane) Kubeconfig() string {
	return cp.KubeconfigAs(AdminUser)
}

// KubeconfigAs returns the path of a kubeconfig file whose current context
// is user, who is authenticated as RESTConfigAs describes (other users by
// impersonation). The file is written on first use and lives until Stop.
func (cp *ControlPlane) KubeconfigAs(user string) string {
	path, err := cp.writeKubeconfig(user)
	if err != nil {
		// Writing into the control plane's own temporary directory only
		// fails when something is badly wrong with the machine.
		panic(fmt.Sprintf("testenv: writing kubeconfig for %q: %v", user, err))
	}
	return path
}

func (cp *ControlPlane) writeKubeconfig(user string) (string, error) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if path, ok := cp.kubeconfigs[user]; ok {
		return path, nil
	}

	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[clusterName] = &clientcmdapi.Cluster{
		Server:                   cp.server,
		CertificateAuthorityData: cp.CAData(),
	}
	addUser := func(name string) {
		rc := cp.RESTConfigAs(name)
		auth := &clientcmdapi.AuthInfo{Token: rc.BearerToken, Impersonate: rc.Impersonate.UserName}
		cfg.AuthInfos[name] = auth
		cfg.Contexts[name] = &clientcmdapi.Context{Cluster: clusterName, AuthInfo: name, Namespace: "default"}
	}
	addUser(user)
	if user == AdminUser {
		addUser(NobodyUser)
	}
	cfg.CurrentContext = user

	var path string
	switch user {
	case AdminUser:
		path = filepath.Join(cp.dir, "kubeconfig")
	case NobodyUser:
		path = filepath.Join(cp.dir, "kubeconfig-nobody")
	default:
		// User names such as system:serviceaccount:ns:name make poor file
		// names; number the files instead.
		path = filepath.Join(cp.dir, fmt.Sprintf("kubeconfig-as-%d", len(cp.kubeconfigs)))
	}
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return "", err
	}
	cp.kubeconfigs[user] = path
	return path, nil
}
