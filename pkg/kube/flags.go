package kube

import (
	"os"
	"path/filepath"
	"sync"

	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/homedir"
)

// ConfigFlags are kubectl's connection flags (--kubeconfig, --context, -n,
// --as, ...) with kubectl's names, shorthands, defaults, help and meaning:
// those of cli-runtime's genericclioptions.ConfigFlags, which the tool
// cannot import without linking kubectl's resource builder (kustomize,
// discovery, every built-in API group) for nothing. A test holds the two to
// the same flags and the same client configuration.
//
// A nil field is a flag the command does not have; the kubeconfig's value
// applies.
type ConfigFlags struct {
	CacheDir   *string
	KubeConfig *string

	ClusterName        *string
	AuthInfoName       *string
	Context            *string
	Namespace          *string
	APIServer          *string
	TLSServerName      *string
	Insecure           *bool
	CertFile           *string
	KeyFile            *string
	CAFile             *string
	BearerToken        *string
	Impersonate        *string
	ImpersonateUID     *string
	ImpersonateGroup   *[]string
	Timeout            *string
	DisableCompression *bool

	loaderOnce sync.Once
	loader     clientcmd.ClientConfig
}

// NewConfigFlags returns every flag with kubectl's default.
func NewConfigFlags() *ConfigFlags {
	str := func(s string) *string { return &s }
	insecure, disableCompression := false, false
	return &ConfigFlags{
		CacheDir:           str(defaultCacheDir()),
		KubeConfig:         str(""),
		ClusterName:        str(""),
		AuthInfoName:       str(""),
		Context:            str(""),
		Namespace:          str(""),
		APIServer:          str(""),
		TLSServerName:      str(""),
		Insecure:           &insecure,
		CertFile:           str(""),
		KeyFile:            str(""),
		CAFile:             str(""),
		BearerToken:        str(""),
		Impersonate:        str(""),
		ImpersonateUID:     str(""),
		ImpersonateGroup:   &[]string{},
		Timeout:            str("0"),
		DisableCompression: &disableCompression,
	}
}

// defaultCacheDir is kubectl's discovery cache: $KUBECACHEDIR, else
// ~/.kube/cache. The tool does no discovery; --cache-dir is accepted, as
// kubectl's other plugins accept it, and shows kubectl's default.
func defaultCacheDir() string {
	if dir := os.Getenv("KUBECACHEDIR"); dir != "" {
		return dir
	}
	return filepath.Join(homedir.HomeDir(), ".kube", "cache")
}

// AddFlags adds the flags whose fields are not nil, in kubectl's order.
func (f *ConfigFlags) AddFlags(flags *pflag.FlagSet) {
	str := func(p *string, name, shorthand, usage string) {
		if p != nil {
			flags.StringVarP(p, name, shorthand, *p, usage)
		}
	}
	boolean := func(p *bool, name, usage string) {
		if p != nil {
			flags.BoolVar(p, name, *p, usage)
		}
	}
	str(f.KubeConfig, "kubeconfig", "", "Path to the kubeconfig file to use for CLI requests.")
	str(f.CacheDir, "cache-dir", "", "Default cache directory")
	str(f.CertFile, "client-certificate", "", "Path to a client certificate file for TLS")
	str(f.KeyFile, "client-key", "", "Path to a client key file for TLS")
	str(f.BearerToken, "token", "", "Bearer token for authentication to the API server")
	str(f.Impersonate, "as", "", "Username to impersonate for the operation. User could be a regular user or a service account in a namespace.")
	str(f.ImpersonateUID, "as-uid", "", "UID to impersonate for the operation.")
	if f.ImpersonateGroup != nil {
		flags.StringArrayVar(f.ImpersonateGroup, "as-group", *f.ImpersonateGroup, "Group to impersonate for the operation, this flag can be repeated to specify multiple groups.")
	}
	str(f.ClusterName, "cluster", "", "The name of the kubeconfig cluster to use")
	str(f.AuthInfoName, "user", "", "The name of the kubeconfig user to use")
	str(f.Namespace, "namespace", "n", "If present, the namespace scope for this CLI request")
	str(f.Context, "context", "", "The name of the kubeconfig context to use")
	str(f.APIServer, "server", "s", "The address and port of the Kubernetes API server")
	str(f.TLSServerName, "tls-server-name", "", "Server name to use for server certificate validation. If it is not provided, the hostname used to contact the server is used")
	boolean(f.Insecure, "insecure-skip-tls-verify", "If true, the server's certificate will not be checked for validity. This will make your HTTPS connections insecure")
	str(f.CAFile, "certificate-authority", "", "Path to a cert file for the certificate authority")
	str(f.Timeout, "request-timeout", "", "The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don't timeout requests.")
	boolean(f.DisableCompression, "disable-compression", "If true, opt-out of response compression for all requests to the server")
}

// ToRESTConfig returns the client configuration: the kubeconfig's, with
// the flags given overriding it.
func (f *ConfigFlags) ToRESTConfig() (*rest.Config, error) {
	return f.ToRawKubeConfigLoader().ClientConfig()
}

// ToRawKubeConfigLoader returns the kubeconfig loader with the flags bound
// as overrides, built once: the flags are parsed by the time it is asked for.
func (f *ConfigFlags) ToRawKubeConfigLoader() clientcmd.ClientConfig {
	f.loaderOnce.Do(func() { f.loader = f.newLoader() })
	return f.loader
}

func (f *ConfigFlags) newLoader() clientcmd.ClientConfig {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	// kubectl's default when no kubeconfig names a server.
	rules.DefaultClientConfig = &clientcmd.DefaultClientConfig
	set(&rules.ExplicitPath, f.KubeConfig)

	o := &clientcmd.ConfigOverrides{ClusterDefaults: clientcmd.ClusterDefaults}
	set(&o.AuthInfo.ClientCertificate, f.CertFile)
	set(&o.AuthInfo.ClientKey, f.KeyFile)
	set(&o.AuthInfo.Token, f.BearerToken)
	set(&o.AuthInfo.Impersonate, f.Impersonate)
	set(&o.AuthInfo.ImpersonateUID, f.ImpersonateUID)
	set(&o.AuthInfo.ImpersonateGroups, f.ImpersonateGroup)
	set(&o.ClusterInfo.Server, f.APIServer)
	set(&o.ClusterInfo.TLSServerName, f.TLSServerName)
	set(&o.ClusterInfo.CertificateAuthority, f.CAFile)
	set(&o.ClusterInfo.InsecureSkipTLSVerify, f.Insecure)
	set(&o.ClusterInfo.DisableCompression, f.DisableCompression)
	set(&o.CurrentContext, f.Context)
	set(&o.Context.Cluster, f.ClusterName)
	set(&o.Context.AuthInfo, f.AuthInfoName)
	set(&o.Context.Namespace, f.Namespace)
	set(&o.Timeout, f.Timeout)
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, o)
}

// set copies a flag's value over the override when the command has the flag.
func set[T any](dst *T, flag *T) {
	if flag != nil {
		*dst = *flag
	}
}
