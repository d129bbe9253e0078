package probe

import (
	"math"
	"time"
)

// Outcome is how a connection attempt ended.
type Outcome string

// The outcomes of a probe.
const (
	// Connected: the broker sent CONNACK 0x00.
	Connected Outcome = "connected"
	// Refused: the broker sent a CONNACK with a failure reason code.
	Refused Outcome = "refused"
	// TLSRejected: the broker ended the TLS handshake with an alert, in
	// the handshake (TLS 1.2) or on the first read after it (TLS 1.3,
	// where the server checks the client certificate after the client
	// has finished).
	TLSRejected Outcome = "tls-rejected"
	// NoConnack: the connection was up but no CONNACK came: the broker
	// closed it, or the timeout passed.
	NoConnack Outcome = "no-connack"
	// Unreachable: no MQTT conversation could start: no TCP connection,
	// a TLS handshake that failed on our side (the server's certificate
	// is not trusted, or the port does not speak TLS), or a timeout.
	Unreachable Outcome = "unreachable"
)

// Verdict is what a result means for a script: every asked step succeeded,
// the broker said no somewhere, or no verdict could be had.
type Verdict int

// The verdicts, from best to worst.
const (
	// Pass: connected, and every asked step succeeded.
	Pass Verdict = iota
	// Fail: refused, TLS-rejected, or a step the broker answered with a
	// refusal (re-authentication failed, subscribe or publish refused,
	// the connection ended during --hold).
	Fail
	// NoVerdict: unreachable, no CONNACK, or a step that timed out or
	// lost its connection without an answer.
	NoVerdict
)

// Worse returns the worse of two verdicts.
func (v Verdict) Worse(o Verdict) Verdict { return max(v, o) }

// Result is what one probe saw; its JSON is probe's stable -o json
// contract. Steps that were not asked for are absent.
type Result struct {
	Outcome Outcome `json:"outcome"`
	// Error says why the outcome is not "connected" when no CONNACK says
	// it: the network or TLS error, with a hint.
	Error     string    `json:"error,omitempty"`
	Transport Transport `json:"transport"`
	Timings   Timings   `json:"timings"`
	// Connack is the CONNACK as it was on the wire; nil when none came.
	Connack *Connack `json:"connack"`
	PubSub  *PubSub  `json:"pubsub,omitempty"`
	Reauth  *Reauth  `json:"reauth,omitempty"`
	// Disconnect is how the broker or the network ended the connection
	// before the probe closed it; nil when the probe closed it (or it
	// never opened).
	Disconnect *Disconnect `json:"disconnect"`
	// Prediction and Comparison are set when the probe also ran the
	// authentication engine on the same credentials.
	Prediction *Prediction `json:"prediction,omitempty"`
	Comparison *Comparison `json:"comparison,omitempty"`

	hold bool
}

// Transport is what the connection ran over.
type Transport struct {
	TLS bool `json:"tls"`
	// Version and Cipher are the negotiated TLS version ("TLS 1.3") and
	// cipher suite, once the handshake completed.
	Version string `json:"version,omitempty"`
	Cipher  string `json:"cipher,omitempty"`
	// ClientCertSent says whether a client certificate went out: the
	// server asked for one and the probe had one. Absent without TLS.
	ClientCertSent *bool `json:"clientCertSent,omitempty"`
	// ServerChain are the subjects of the certificates the server
	// presented, its own first.
	ServerChain []string `json:"serverChain,omitempty"`
}

// Timings are how long each network step took, in milliseconds, including
// a step that failed (until it failed). Steps not reached are absent.
type Timings struct {
	DialMs    *float64 `json:"dialMs,omitempty"`
	TLSMs     *float64 `json:"tlsMs,omitempty"`
	ConnackMs *float64 `json:"connackMs,omitempty"`
}

// Connack is the CONNACK packet as the broker sent it.
type Connack struct {
	Code           uint8  `json:"code"`
	Name           string `json:"name"`
	ReasonString   string `json:"reasonString,omitempty"`
	SessionPresent bool   `json:"sessionPresent"`
	// Properties holds only the properties present in the packet (the
	// reason string aside), not the defaults a missing one implies.
	Properties ConnackProperties `json:"properties"`
}

// ConnackProperties are the CONNACK properties of MQTT 5.0 §3.2.2.3, each
// set only when the broker sent it. Authentication data is reported by its
// length: it may be a secret.
type ConnackProperties struct {
	SessionExpiryInterval            *uint32        `json:"sessionExpiryInterval,omitempty"`
	ReceiveMaximum                   *uint16        `json:"receiveMaximum,omitempty"`
	MaximumQoS                       *uint8         `json:"maximumQoS,omitempty"`
	RetainAvailable                  *bool          `json:"retainAvailable,omitempty"`
	MaximumPacketSize                *uint32        `json:"maximumPacketSize,omitempty"`
	AssignedClientIdentifier         *string        `json:"assignedClientIdentifier,omitempty"`
	TopicAliasMaximum                *uint16        `json:"topicAliasMaximum,omitempty"`
	WildcardSubscriptionAvailable    *bool          `json:"wildcardSubscriptionAvailable,omitempty"`
	SubscriptionIdentifiersAvailable *bool          `json:"subscriptionIdentifiersAvailable,omitempty"`
	SharedSubscriptionAvailable      *bool          `json:"sharedSubscriptionAvailable,omitempty"`
	ServerKeepAlive                  *uint16        `json:"serverKeepAlive,omitempty"`
	ResponseInformation              *string        `json:"responseInformation,omitempty"`
	ServerReference                  *string        `json:"serverReference,omitempty"`
	AuthenticationMethod             *string        `json:"authenticationMethod,omitempty"`
	AuthenticationDataBytes          *int           `json:"authenticationDataBytes,omitempty"`
	UserProperties                   []UserProperty `json:"userProperties,omitempty"`
}

// UserProperty is one user property (name and value; names may repeat).
type UserProperty struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// PubSub is the publish/subscribe round trip: subscribe to a topic,
// publish to it (both QoS 1) and receive the message back.
type PubSub struct {
	// SubscribeCode is the SUBACK reason code (0x01: granted QoS 1);
	// PublishCode the PUBACK's (0x10: no subscribers matched). Nil when no
	// acknowledgement came.
	SubscribeCode *uint8 `json:"subscribeCode"`
	PublishCode   *uint8 `json:"publishCode"`
	// ReasonString is the refusing acknowledgement's reason string.
	ReasonString string `json:"reasonString,omitempty"`
	Received     bool   `json:"received"`
	// RoundTripMs is from sending PUBLISH to receiving it back.
	RoundTripMs *float64 `json:"roundTripMs,omitempty"`
	// Error says what went wrong when no refusal code says it.
	Error string `json:"error,omitempty"`
}

// ReauthResult is how a re-authentication ended.
type ReauthResult string

// The results of a re-authentication.
const (
	// ReauthSuccess: the broker answered AUTH 0x00.
	ReauthSuccess ReauthResult = "success"
	// ReauthFailed: the broker answered with DISCONNECT.
	ReauthFailed ReauthResult = "failed"
	// ReauthContinue: the broker answered AUTH 0x18 (continue
	// authentication), which the broker sends when it could not decide
	// for now (its custom auth server is unreachable).
	ReauthContinue ReauthResult = "continue"
	// ReauthTimeout: no answer within the timeout.
	ReauthTimeout ReauthResult = "timeout"
	// ReauthConnectionLost: the connection closed without an answer.
	ReauthConnectionLost ReauthResult = "connection-lost"
)

// Reauth is the re-authentication step (AUTH 0x19).
type Reauth struct {
	Result ReauthResult `json:"result"`
	// Code is the reason code of the answer (AUTH or DISCONNECT); nil
	// when none came.
	Code         *uint8 `json:"code"`
	ReasonString string `json:"reasonString,omitempty"`
}

// Who ended a connection.
const (
	ByServer  = "server"
	ByNetwork = "network"
)

// Disconnect is how the connection ended when the probe did not end it.
type Disconnect struct {
	// By is "server" (a DISCONNECT packet) or "network" (closed without
	// one, as the broker does when a credential expires).
	By string `json:"by"`
	// Code and ReasonString are the DISCONNECT's.
	Code         *uint8 `json:"code,omitempty"`
	ReasonString string `json:"reasonString,omitempty"`
	// Error is the network error of a close without DISCONNECT.
	Error string `json:"error,omitempty"`
	// AfterMs is the time from CONNACK to the end.
	AfterMs float64 `json:"afterMs"`
}

// Verdict is what the result means: Pass when connected and every asked
// step succeeded. Without a verdict from the broker (no CONNACK, or a step
// left unanswered) it is NoVerdict, which outranks a refusal seen in
// another step.
func (r *Result) Verdict() Verdict {
	switch r.Outcome {
	case Refused, TLSRejected:
		return Fail
	case NoConnack, Unreachable:
		return NoVerdict
	}
	v := Pass
	if p := r.PubSub; p != nil {
		switch {
		case RefusalCode(p.SubscribeCode) || RefusalCode(p.PublishCode):
			v = v.Worse(Fail)
		case !p.Received:
			v = v.Worse(NoVerdict)
		}
	}
	if a := r.Reauth; a != nil {
		switch a.Result {
		case ReauthFailed:
			v = v.Worse(Fail)
		case ReauthContinue, ReauthTimeout, ReauthConnectionLost:
			v = v.Worse(NoVerdict)
		}
	}
	if r.hold && r.Disconnect != nil {
		// Asked to stay connected, and the broker (or the network) ended
		// the connection: the step did not succeed, and what ended it is
		// in Disconnect.
		v = v.Worse(Fail)
	}
	return v
}

// RefusalCode reports whether an MQTT reason code (SUBACK, PUBACK) says no:
// 0x80 and above are failures in MQTT 5.
func RefusalCode(code *uint8) bool { return code != nil && *code >= 0x80 }

// ms is d in milliseconds, to the microsecond.
func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}

func msPtr(d time.Duration) *float64 {
	v := ms(d)
	return &v
}
