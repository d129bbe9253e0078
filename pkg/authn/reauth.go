package authn

import (
	"context"
	"strings"
	"time"

	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
)

// Reauthentication is the engine's answer to an MQTT v5 re-authentication:
// an AUTH packet (reason 0x19, Re-authenticate) on a connection the engine
// let in. Only the entry that let the client in is asked: it owns the
// connection, and the chain is not walked again.
type Reauthentication struct {
	// Result is Granted, Denied or Indeterminate.
	Result Result `json:"result"`
	// Transient says the entry could not answer now because the custom
	// auth server is unreachable (Result is Indeterminate then). The broker
	// answers AUTH 0x18 Continue authentication and keeps the connection
	// with its old expiry; the client may try again.
	Transient bool `json:"transient"`
	// Step is the entry asked, with its checks.
	Step Step `json:"step"`
	// Username, Attributes and ExpiresAt replace the connection's on
	// grant; ExpiresAt nil means the credential does not expire.
	Username   *string           `json:"username"`
	Attributes map[string]string `json:"attributes"`
	ExpiresAt  *time.Time        `json:"expiresAt"`
	// ReasonCode is the DISCONNECT reason code of a denial: 0x87 Not
	// authorized unless a custom auth server gave another.
	ReasonCode uint8    `json:"reasonCode"`
	Warnings   []string `json:"warnings"`
}

// x509Reauthentication is why an X509 entry refuses: the broker's
// documentation says X.509 clients cannot re-authenticate, not how.
const x509Reauthentication = "X.509 clients cannot re-authenticate: the certificate is checked when the client connects, so reconnect instead " +
	"(the broker's documentation says no more; this tool assumes the broker disconnects the client with 0x87 Not authorized)"

// Reauthenticate judges the credentials of an AUTH packet (enhanced
// authentication method and data) for a client that entry index of the
// chain let in (Decision.MethodIndex). A service account token is judged as
// at CONNECT; a custom auth server gets a request of type "auth", and when
// it cannot be reached the answer is Transient; an X509 entry refuses, since
// X.509 clients cannot re-authenticate.
func (e *Engine) Reauthenticate(ctx context.Context, index int, creds Credentials, now time.Time) *Reauthentication {
	r := &Reauthentication{Result: Denied, ReasonCode: CodeNotAuthorized, Attributes: map[string]string{}, Warnings: []string{}}
	if index < 0 || index >= len(e.methods) {
		r.Result = Indeterminate
		r.Step = Step{Index: index, Result: Indeterminate, Reason: "no entry " + itoa(index) + " in the chain: the connection was not let in by this authentication"}
		return r
	}
	kind := e.kinds[index]
	r.Step = Step{Index: index, Method: kind}
	if kind == v1.MethodX509 {
		r.Step.Relevant, r.Step.Result, r.Step.Reason = true, Denied, x509Reauthentication
		return r
	}
	creds.Reauthentication = true
	o := e.methods[index].evaluate(ctx, &creds, now)
	r.Warnings = append(r.Warnings, o.warnings...)
	r.Step.Relevant, r.Step.Reason, r.Step.Checks = o.relevant, o.reason, o.checks
	switch {
	case !o.relevant && kind == v1.MethodCustom:
		// The custom step falls through at CONNECT when its server
		// cannot be reached; during re-authentication that is the
		// transient failure the broker answers with AUTH 0x18.
		r.Result, r.Transient = Indeterminate, true
		r.Step.Result = Indeterminate
	case !o.relevant:
		r.Step.Result = Denied
		r.Step.Reason = "not relevant to the re-authentication: " + o.reason
	default:
		r.Result, r.Step.Result = o.result, o.result
	}
	switch r.Result {
	case Granted:
		r.Username, r.ExpiresAt = o.username, o.expiresAt
		if o.attributes != nil {
			r.Attributes = o.attributes
		}
	case Denied:
		if o.reasonCode != nil {
			r.ReasonCode = *o.reasonCode
		}
	}
	return r
}

// Reason says in one line why the decision is what it is: the deciding
// entry and its reason, or why no entry was relevant. The local broker puts
// it in the CONNACK's reason string.
func (d *Decision) Reason() string {
	switch {
	case d.Method != nil && d.MethodIndex != nil:
		for _, s := range d.Steps {
			if s.Index == *d.MethodIndex {
				return string(s.Method) + " (entry " + itoa(s.Index) + "): " + s.Reason
			}
		}
	case d.Decision == Granted:
		return "authentication is disabled on this port"
	}
	if len(d.Steps) == 0 {
		return "the BrokerAuthentication has no authentication method"
	}
	parts := make([]string, len(d.Steps))
	for i, s := range d.Steps {
		parts[i] = string(s.Method) + ": " + s.Reason
	}
	return "no method is relevant to these credentials (" + strings.Join(parts, "; ") + ")"
}

// Reason says in one line why: the entry asked and its reason, as
// Decision.Reason does for a CONNECT.
func (r *Reauthentication) Reason() string {
	if r.Step.Method == "" {
		return r.Step.Reason
	}
	return string(r.Step.Method) + " (entry " + itoa(r.Step.Index) + "): " + r.Step.Reason
}
