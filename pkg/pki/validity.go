package pki

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Validity defaults: leaves are short-lived test credentials, CAs outlive
// every leaf they will sign.
const (
	DefaultLeafValidity = 30 * 24 * time.Hour
	DefaultCAValidity   = 10 * 365 * 24 * time.Hour
	// Backdate is how far before now certificates start, so a device whose
	// clock is a little behind accepts them (step does the same).
	Backdate = time.Minute
)

// ParseNotAfter reads a --not-after value: an RFC 3339 time
// ("2026-12-31T00:00:00Z"), a Go duration ("720h", "90m") or a number of days
// ("30d"). Durations count from now. The result must be in the future.
func ParseNotAfter(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("empty --not-after: give a duration (720h, 30d) or an RFC 3339 time")
	}
	var t time.Time
	if at, err := time.Parse(time.RFC3339, s); err == nil {
		t = at
	} else if d, err := ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("--not-after %s is not in the future: give a positive duration", s)
		}
		t = now.Add(d)
	} else if errors.Is(err, errDurationTooLong) {
		return time.Time{}, fmt.Errorf("--not-after %s: %w: give an RFC 3339 time for a later end", s, err)
	} else {
		return time.Time{}, fmt.Errorf("invalid --not-after %q: give a duration (720h, 30d) or an RFC 3339 time (2026-12-31T00:00:00Z)", s)
	}
	if !t.After(now) {
		return time.Time{}, fmt.Errorf("--not-after %s is in the past: certificates must end after now (%s)", s, now.UTC().Format(time.RFC3339))
	}
	return t, nil
}

// ParseDuration is time.ParseDuration plus a "d" (days) suffix, which is how
// people say certificate lifetimes.
func ParseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || math.IsNaN(n) {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		// Past about 292 years a Duration overflows, and would turn
		// negative ("not in the future") instead of saying so.
		if math.Abs(n) > float64(math.MaxInt64)/float64(24*time.Hour) {
			return 0, errDurationTooLong
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil && strings.Contains(err.Error(), "invalid duration") && validDurationSyntax.MatchString(s) {
		return 0, errDurationTooLong
	}
	return d, err
}

// errDurationTooLong is ParseDuration's error for a duration that does not
// fit in a time.Duration.
var errDurationTooLong = fmt.Errorf("longer than a duration can be (%dd, about 292 years)", int64(math.MaxInt64/int64(24*time.Hour)))

// validDurationSyntax matches what time.ParseDuration reads, so that its
// "invalid duration" error can be told apart from an overflow.
// Each number has a digit: "s" and ".s" are not durations at all.
var validDurationSyntax = regexp.MustCompile(`^[-+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+$`)
