package cmd

import (
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/authn/explain"
	"github.com/aio-authn/kubectl-aio-authn/pkg/customauth"
	"github.com/aio-authn/kubectl-aio-authn/pkg/exitcode"
	"github.com/aio-authn/kubectl-aio-authn/pkg/sat"
)

// clientFlags are the flags that say who a client is (its credentials) and
// how the engine judges it (which authentication, which verifiers). explain
// and probe register the same ones, so a client is described the same way
// to both.
type clientFlags struct {
	verifierFlags
	c        explain.Case
	port     int32
	password string
	authData string
}

// verifierFlags are the flags of what the engine verifies credentials
// with: offline keys and issuers for service account tokens, and how long
// a custom auth server is waited for. Every command that runs the engine
// (explain, probe, serve broker) takes them with these names.
type verifierFlags struct {
	issuerKey     string
	issuers       []string
	customTimeout time.Duration

	keys *sat.KeySet
}

// tokenReviewUsage is --token-review's help: the cluster's TokenReview API
// instead of offline keys.
const tokenReviewUsage = "verify service account tokens with the cluster's TokenReview API, as the broker does"

func (v *verifierFlags) addFlags(f *pflag.FlagSet) {
	f.StringVar(&v.issuerKey, "sat-issuer-key", "", "PEM public key(s) or JWKS file to verify service account tokens offline")
	f.StringArrayVar(&v.issuers, "sat-issuer", nil, "the API server's service account issuer (--service-account-issuer), which tokens verified offline must carry; repeatable")
	f.DurationVar(&v.customTimeout, "custom-timeout", customauth.DefaultTimeout, "how long to wait for the custom auth server")
}

// complete checks the timeout and reads the offline keys.
func (v *verifierFlags) complete() error {
	if v.customTimeout <= 0 {
		return exitcode.Usagef("--custom-timeout %s: give a positive duration such as 5s", v.customTimeout)
	}
	if v.issuerKey != "" {
		ks, err := sat.LoadKeySet(v.issuerKey)
		if err != nil {
			return exitcode.Usagef("--sat-issuer-key %v", err)
		}
		v.keys = ks
	}
	return nil
}

// checkTokenReview refuses offline verifiers beside --token-review.
func (v *verifierFlags) checkTokenReview(tokenReview bool) error {
	switch {
	case tokenReview && v.issuerKey != "":
		return exitcode.Usagef("--token-review and --sat-issuer-key both verify tokens: give one")
	case tokenReview && len(v.issuers) > 0:
		return exitcode.Usagef("--sat-issuer is for tokens verified offline; with --token-review the API server checks the issuer itself: drop --sat-issuer")
	}
	return nil
}

// addCredentialFlags adds the flags of what the client presents.
func (x *clientFlags) addCredentialFlags(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&x.c.Username, "username", "", "MQTT username")
	f.StringVar(&x.password, "password", "", "MQTT password (prefer --password-file: the command line is visible to other users)")
	f.StringVar(&x.c.PasswordFile, "password-file", "", "file holding the MQTT password")
	f.StringVar(&x.c.AuthMethod, "auth-method", "", "MQTT v5 enhanced authentication method, e.g. K8S-SAT")
	f.StringVar(&x.authData, "auth-data", "", "MQTT v5 enhanced authentication data")
	f.StringVar(&x.c.AuthDataFile, "auth-data-file", "", "file holding the enhanced authentication data")
	f.StringVar(&x.c.SATFile, "sat-file", "", "service account token file: short for --auth-method K8S-SAT --auth-data-file F")
	f.StringVar(&x.c.Cert, "cert", "", "PEM file with the certificate the client presents in TLS: leaf first, then intermediates")
	_ = c.RegisterFlagCompletionFunc("auth-method", fixedCompletion(authn.SATMethod))
}

// addEngineFlags adds the flags that choose the BrokerAuthentication and
// the verifiers the engine uses.
func (x *clientFlags) addEngineFlags(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&x.c.Authn, "authn", "", "the BrokerAuthentication to explain (needed when the bundle holds several)")
	f.StringVar(&x.c.Listener, "listener", "", "explain for a port of this BrokerListener (with --port)")
	f.Int32Var(&x.port, "port", 0, "the listener port the client connects to (with --listener)")
	x.verifierFlags.addFlags(f)
	f.StringVar(&x.c.CustomResult, "custom-result", "", "what-if instead of calling the custom auth server: pass, fail or unreachable")
	f.StringVar(&x.c.ADRDevice, "adr-device", "", "what-if for additionalValidation AzureDeviceRegistry: the client's device (its leaf CN) is enabled, disabled or missing in Azure Device Registry")
	_ = c.RegisterFlagCompletionFunc("custom-result", fixedCompletion("pass", "fail", "unreachable"))
	_ = c.RegisterFlagCompletionFunc("adr-device", fixedCompletion("enabled", "disabled", "missing"))
}

// complete turns the flags given into the case: flags that may be given
// empty on purpose become pointers, and the offline keys are read.
func (x *clientFlags) complete(f *pflag.FlagSet) error {
	if f.Changed("port") {
		p := x.port
		x.c.Port = &p
	}
	if f.Changed("password") {
		x.c.Password = &x.password
	}
	if f.Changed("auth-data") {
		x.c.AuthData = &x.authData
	}
	return x.verifierFlags.complete()
}

// addBundleFlag adds -f, the bundle of manifests the engine works from.
func addBundleFlag(f *pflag.FlagSet, files *[]string) {
	f.StringArrayVarP(files, "filename", "f", nil, "bundle: manifest files or directories (- for standard input); repeatable")
}
