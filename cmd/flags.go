package cmd

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

// parseNowFlag reads a --now flag: an RFC 3339 time, or now when empty.
func parseNowFlag(s string) (time.Time, error) {
	if s == "" {
		return time.Now(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usagef("--now %q is not an RFC 3339 time: write it like 2026-01-02T15:04:05Z", s)
	}
	return t, nil
}

// sizeValue is a flag holding a byte count, written as Kubernetes writes
// quantities: 64Mi, 2Gi, 500M or a plain number of bytes.
type sizeValue struct{ n *int64 }

func (v sizeValue) String() string {
	if v.n == nil {
		return ""
	}
	return resource.NewQuantity(*v.n, resource.BinarySI).String()
}

func (v sizeValue) Set(s string) error {
	q, err := resource.ParseQuantity(s)
	if err != nil || q.Sign() <= 0 {
		return fmt.Errorf("%q is not a size: write it like 64Mi, 2Gi or 1048576", s)
	}
	*v.n = q.Value()
	return nil
}

func (v sizeValue) Type() string { return "size" }

// addManifestLimits adds the flags that raise the caps on manifests read by
// validate, explain and convert, and sets lim to the defaults.
func addManifestLimits(c *cobra.Command, lim *manifest.Limits) {
	*lim = manifest.DefaultLimits()
	c.Flags().Var(sizeValue{&lim.File.Max}, strings.TrimPrefix(lim.File.Flag, "--"),
		"largest manifest file (or standard input) to read")
	c.Flags().Var(sizeValue{&lim.Document.Max}, strings.TrimPrefix(lim.Document.Flag, "--"),
		"largest YAML document to read, also with its aliases expanded")
}

// printNotes writes what reading the inputs skipped, on standard error.
func printNotes(w io.Writer, notes []input.Note) {
	for _, n := range notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// inputError turns an error reading the user's inputs into a usage error
// (exit 2), adding hint to errors that do not say what to do already.
func inputError(err error, hint string) error {
	var ie *input.Error
	if errors.As(err, &ie) && hint != "" {
		return usagef("%v: %s", err, hint)
	}
	return usage(err)
}
