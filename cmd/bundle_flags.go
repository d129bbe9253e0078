package cmd

import (
	"errors"

	"github.com/spf13/pflag"

	"github.com/aio-authn/kubectl-aio-authn/pkg/exitcode"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

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
