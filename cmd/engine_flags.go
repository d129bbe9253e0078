package cmd

import (
	"errors"
	"time"

	"github.com/spf13/pflag"

	"github.com/aio-authn/kubectl-aio-authn/pkg/customauth"
	"github.com/aio-authn/kubectl-aio-authn/pkg/exitcode"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
	"github.com/aio-authn/kubectl-aio-authn/pkg/sat"
)

// engineFlags are explain's flags for what the engine verifies with: how
// service account tokens are verified and how long a custom auth server is
// waited for. Every command that runs the engine takes them, with the same
// names and meanings.
type engineFlags struct {
	issuerKey     string
	issuers       []string
	tokenReview   bool
	customTimeout time.Duration

	// keys are loaded from issuerKey by validate.
	keys *sat.KeySet
}

func (v *engineFlags) addFlags(f *pflag.FlagSet) {
	f.StringVar(&v.issuerKey, "sat-issuer-key", "", "PEM public key(s) or JWKS file to verify service account tokens offline")
	f.StringArrayVar(&v.issuers, "sat-issuer", nil, "the API server's service account issuer (--service-account-issuer), which tokens verified offline must carry; repeatable")
	f.BoolVar(&v.tokenReview, "token-review", false, "verify service account tokens with the cluster's TokenReview API, as the broker does")
	f.DurationVar(&v.customTimeout, "custom-timeout", customauth.DefaultTimeout, "how long to wait for the custom auth server")
}

// validate checks the flags against each other and loads the issuer key.
func (v *engineFlags) validate() error {
	switch {
	case v.customTimeout <= 0:
		return exitcode.Usagef("--custom-timeout %s: give a positive duration such as 5s", v.customTimeout)
	case v.tokenReview && v.issuerKey != "":
		return exitcode.Usagef("--token-review and --sat-issuer-key both verify tokens: give one")
	case v.tokenReview && len(v.issuers) > 0:
		return exitcode.Usagef("--sat-issuer is for tokens verified offline; with --token-review the API server checks the issuer itself: drop --sat-issuer")
	}
	return nil
}

// loadKeys reads --sat-issuer-key, when given.
func (v *engineFlags) loadKeys() error {
	if v.issuerKey == "" {
		return nil
	}
	ks, err := sat.LoadKeySet(v.issuerKey)
	if err != nil {
		return exitcode.Usagef("--sat-issuer-key %v", err)
	}
	v.keys = ks
	return nil
}

// addBundleFlag adds -f, the bundle of manifests the engine works from.
func addBundleFlag(f *pflag.FlagSet, files *[]string) {
	f.StringArrayVarP(files, "filename", "f", nil, "bundle: manifest files or directories (- for standard input); repeatable")
}

// bundleError turns an error reading the bundle into a usage error.
func bundleError(err error) error {
	var re *manifest.ReadError
	if errors.As(err, &re) {
		return exitcode.Usagef("%v: give the bundle as files, directories or - for standard input", re)
	}
	return exitcode.UsageError(err)
}
