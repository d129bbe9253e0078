// Package customauth speaks the broker's custom authentication HTTP API,
// version 0.5.0: the request the broker POSTs to a custom auth server for each
// connecting client, and the answers it understands. The wire types live here
// apart from the client so that a server (serve custom-auth) can share them.
package customauth

import (
	"fmt"
	"time"
)

// APIVersion is the version of the API this package speaks, sent as the
// api-version query parameter.
const APIVersion = "0.5.0"

// The request types.
const (
	// TypeConnect is a client's CONNECT.
	TypeConnect = "connect"
	// TypeAuth is an MQTT v5 re-authentication (AUTH packet).
	TypeAuth = "auth"
)

// Request is the JSON body the broker sends.
type Request struct {
	Type string `json:"type"`
	// Username is the MQTT username, when the client sent one.
	Username *string `json:"username,omitempty"`
	// Password is the MQTT password; encoding/json writes []byte as
	// base64, which is what the API specifies.
	Password []byte `json:"password,omitempty"`
	// Certs is the client's certificate chain from the TLS handshake, PEM,
	// leaf first.
	Certs string `json:"certs,omitempty"`
	// EnhancedAuthentication is MQTT v5 enhanced authentication.
	EnhancedAuthentication *EnhancedAuthentication `json:"enhancedAuthentication,omitempty"`
}

// EnhancedAuthentication is the MQTT v5 authentication method and data.
type EnhancedAuthentication struct {
	Method string `json:"method"`
	// Data is base64 on the wire, like Password.
	Data []byte `json:"data,omitempty"`
}

// GrantedResponse is the body of a 200 answer.
type GrantedResponse struct {
	// Expiry is when the broker disconnects the client; nil means never.
	Expiry *time.Time `json:"expiry,omitempty"`
	// Attributes are the client's authorization attributes. The API's
	// description requires them ({} when none), but Microsoft's own
	// auth-server-template leaves the key out when there are none, and the
	// broker grants such an answer with no attributes.
	Attributes map[string]string `json:"attributes"`
}

// DeniedResponse is the body of a 403 answer.
type DeniedResponse struct {
	// Reason is the MQTT reason code the broker puts in CONNACK.
	Reason *uint8 `json:"reason"`
	// Message is for logs, never sent to the client.
	Message string `json:"message,omitempty"`
}

// UnsupportedVersionResponse is the body of a 422 answer: the versions the
// server speaks, one of which the broker retries with.
type UnsupportedVersionResponse struct {
	SupportedVersions []string `json:"supportedVersions"`
}

// Outcome is what the broker makes of a server's answer.
type Outcome string

// The outcomes. Unreachable covers every answer that is neither a grant nor
// a denial; the broker then treats the method as not relevant. A 403 is
// always a denial, whatever its body.
const (
	Granted     Outcome = "granted"
	Denied      Outcome = "denied"
	Unreachable Outcome = "unreachable"
)

// Result is the answer of one authentication call, after any retry.
type Result struct {
	Outcome Outcome
	// Status is the last HTTP status received, 0 when none.
	Status int
	// Version is the api-version of the last request sent.
	Version string
	// URL is the last URL called.
	URL string
	// Attempts counts HTTP requests tried (2 after a 422 retry).
	Attempts int
	// Sent says a request was written to the server: false when the
	// connection or the TLS handshake failed first.
	Sent bool

	// Attributes and Expiry are set for Granted; Attributes is nil when
	// the answer has no "attributes".
	Attributes map[string]string
	Expiry     *time.Time

	// Reason and Message are set for Denied; Reason is nil when the server
	// gave none, or none that is a reason code.
	Reason  *uint8
	Message string
	// Problem says how a 403's body departs from the API (not JSON, a
	// reason that is no reason code); "" for a well-formed body. The
	// answer is a denial all the same.
	Problem string

	// Cause says why the server counts as unreachable.
	Cause string
}

func (r *Result) String() string {
	switch r.Outcome {
	case Granted:
		return fmt.Sprintf("%d granted", r.Status)
	case Denied:
		return fmt.Sprintf("%d denied", r.Status)
	}
	return "unreachable: " + r.Cause
}
