package cmd

import (
	"time"

	"github.com/aio-authn/kubectl-aio-authn/pkg/exitcode"
)

// parseNowFlag reads a --now flag: an RFC 3339 time, or now when empty.
func parseNowFlag(s string) (time.Time, error) {
	if s == "" {
		return time.Now(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, exitcode.Usagef("--now %q is not an RFC 3339 time: write it like 2026-01-02T15:04:05Z", s)
	}
	return t, nil
}
