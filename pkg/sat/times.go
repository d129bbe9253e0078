package sat

import (
	"time"

	"k8s.io/apimachinery/pkg/util/duration"
)

// Leeway is the clock skew kube-apiserver allows on a token's exp, nbf and
// iat. Its service account validator checks the time claims with go-jose's
// jwt.Claims.Validate, whose leeway is jwt.DefaultLeeway, one minute: a
// token expired 30 seconds ago is still accepted, and so is one that
// becomes valid, or says it was issued, up to a minute from now.
const Leeway = time.Minute

// LeewayWords names the leeway in messages: "the API server's 60s leeway".
var LeewayWords = "the API server's " + duration.HumanDuration(Leeway) + " leeway"

// TimeState is where a time claim stands at a moment, by the API server's
// rules.
type TimeState int

// The time states.
const (
	// TimeValid: the claim allows the token without any leeway.
	TimeValid TimeState = iota
	// TimeInLeeway: the claim alone would refuse the token, but by no more
	// than Leeway, so the API server accepts it.
	TimeInLeeway
	// TimeInvalid: the API server refuses the token.
	TimeInvalid
)

// wholeSeconds reads a claim the way go-jose does: a NumericDate is whole
// seconds, and a fractional one is truncated.
func wholeSeconds(t time.Time) time.Time { return time.Unix(t.Unix(), 0) }

// ExpiryState says whether a token with this exp is accepted at now: until
// exp, and for Leeway after it.
func ExpiryState(exp, now time.Time) TimeState {
	exp = wholeSeconds(exp)
	switch {
	case now.Before(exp):
		return TimeValid
	case now.Add(-Leeway).After(exp):
		return TimeInvalid
	}
	return TimeInLeeway
}

// NotBeforeState says whether a token with this nbf is accepted at now:
// from Leeway before nbf on.
func NotBeforeState(nbf, now time.Time) TimeState { return notAfterNow(nbf, now) }

// IssuedAtState says whether a token with this iat is accepted at now: the
// API server refuses a token "issued in the future" by more than Leeway
// (go-jose's ErrIssuedInTheFuture), which means the signer's clock, or the
// token, is wrong.
func IssuedAtState(iat, now time.Time) TimeState { return notAfterNow(iat, now) }

func notAfterNow(t, now time.Time) TimeState {
	t = wholeSeconds(t)
	switch {
	case !now.Before(t):
		return TimeValid
	case now.Add(Leeway).Before(t):
		return TimeInvalid
	}
	return TimeInLeeway
}
