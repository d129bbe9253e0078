package sat

import (
	"testing"
	"time"
)

// TestTimeStates pins the API server's rules (go-jose's Claims.Validate with
// its one-minute DefaultLeeway) at every boundary, to the second.
func TestTimeStates(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	s := func(d time.Duration) time.Time { return now.Add(d) }
	for _, tc := range []struct {
		name  string
		state func(claim, now time.Time) TimeState
		claim time.Time
		want  TimeState
	}{
		{"exp in a minute", ExpiryState, s(time.Minute), TimeValid},
		{"exp one second ahead", ExpiryState, s(time.Second), TimeValid},
		{"exp now", ExpiryState, now, TimeInLeeway},
		{"exp 30s ago", ExpiryState, s(-30 * time.Second), TimeInLeeway},
		{"exp exactly a minute ago", ExpiryState, s(-time.Minute), TimeInLeeway},
		{"exp 61s ago", ExpiryState, s(-61 * time.Second), TimeInvalid},
		// go-jose truncates NumericDates: exp 60.9s ago reads as 61s ago.
		{"exp 60.9s ago", ExpiryState, s(-60*time.Second - 900*time.Millisecond), TimeInvalid},
		{"nbf 30s ago", NotBeforeState, s(-30 * time.Second), TimeValid},
		{"nbf now", NotBeforeState, now, TimeValid},
		{"nbf 30s ahead", NotBeforeState, s(30 * time.Second), TimeInLeeway},
		{"nbf exactly a minute ahead", NotBeforeState, s(time.Minute), TimeInLeeway},
		{"nbf 61s ahead", NotBeforeState, s(61 * time.Second), TimeInvalid},
		// 60.5s ahead truncates to 60s: still within the leeway.
		{"nbf 60.5s ahead", NotBeforeState, s(60*time.Second + 500*time.Millisecond), TimeInLeeway},
		{"iat an hour ago", IssuedAtState, s(-time.Hour), TimeValid},
		{"iat 30s ahead", IssuedAtState, s(30 * time.Second), TimeInLeeway},
		{"iat 5m ahead", IssuedAtState, s(5 * time.Minute), TimeInvalid},
	} {
		if got := tc.state(tc.claim, now); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}
