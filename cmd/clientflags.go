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
	c             explain.Case
	port          int32
	password      string
	authData      string
	issuerKey     string
	issuers       []string
	customTimeout time.Duration

	keys *sat.KeySet
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
	f.StringVar(&x.issuerKey, "sat-issuer-key", "", "PEM public key(s) or JWKS file to verify service account tokens offline")
	f.StringArrayVar(&x.issuers, "sat-issuer", nil, "the API server's service account issuer (--service-account-issuer), which tokens verified offline must carry; repeatable")
	f.StringVar(&x.c.CustomResult, "custom-result", "", "what-if instead of calling the custom auth server: pass, fail or unreachable")
	f.StringVar(&x.c.ADRDevice, "adr-device", "", "what-if for additionalValidation AzureDeviceRegistry: the client's device (its leaf CN) is enabled, disabled or missing in Azure Device Registry")
	f.DurationVar(&x.customTimeout, "custom-timeout", customauth.DefaultTimeout, "how long to wait for the custom auth server")
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
	if x.customTimeout <= 0 {
		return exitcode.Usagef("--custom-timeout %s: give a positive duration such as 5s", x.customTimeout)
	}
	if x.issuerKey != "" {
		ks, err := sat.LoadKeySet(x.issuerKey)
		if err != nil {
			return exitcode.Usagef("--sat-issuer-key %v", err)
		}
		x.keys = ks
	}
	return nil
}
