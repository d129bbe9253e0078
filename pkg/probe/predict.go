package probe

import (
	"fmt"
	"time"

	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
)

// Prediction is the authentication engine's decision for the probe's
// credentials, abridged: the verdict, the entry that decided and why, and
// the CONNACK it implies. explain shows the whole trace.
type Prediction struct {
	Decision    authn.Result   `json:"decision"`
	Method      *v1.Method     `json:"method"`
	MethodIndex *int           `json:"methodIndex"`
	Username    *string        `json:"username,omitempty"`
	ExpiresAt   *time.Time     `json:"expiresAt,omitempty"`
	Connack     *authn.Connack `json:"connack"`
	// Reason is the deciding entry's reason, or why no entry decided.
	Reason string `json:"reason"`
}

// Abridge keeps what a probe shows of a decision.
func Abridge(d *authn.Decision) *Prediction {
	p := &Prediction{
		Decision:    d.Decision,
		Method:      d.Method,
		MethodIndex: d.MethodIndex,
		Username:    d.Username,
		ExpiresAt:   d.ExpiresAt,
		Connack:     d.Connack,
	}
	switch {
	case d.MethodIndex != nil && *d.MethodIndex < len(d.Steps):
		p.Reason = d.Steps[*d.MethodIndex].Reason
	case d.Decision == authn.Granted:
		p.Reason = "authentication is disabled on this port"
	default:
		p.Reason = "no method is relevant to these credentials"
	}
	return p
}

// Comparison puts the live result beside the prediction.
type Comparison struct {
	// Agree: both let the client in, or both kept it out.
	Agree bool `json:"agree"`
	// CodeMatch: the live CONNACK code is the predicted one.
	CodeMatch bool `json:"codeMatch"`
	// Notes explain a difference, or an agreement that is not obvious.
	Notes []string `json:"notes"`

	decided bool
}

// Decided reports whether both sides gave a verdict, so that Agree says
// something: false when the live probe got no verdict or the prediction is
// indeterminate.
func (c *Comparison) Decided() bool { return c.decided }

// Compare says whether the live result and the prediction agree. A TLS
// rejection agrees with a denial: the broker checks a client chain in the
// TLS handshake, so a chain it does not trust never reaches CONNACK.
// Without a live verdict, or with an indeterminate prediction, they cannot
// agree.
func Compare(r *Result, p *Prediction) *Comparison {
	c := &Comparison{Notes: []string{}}
	live := "no verdict"
	if r.Connack != nil {
		live = fmt.Sprintf("CONNACK 0x%02X %s", r.Connack.Code, r.Connack.Name)
	}
	predicted := "no CONNACK"
	if p.Connack != nil {
		predicted = fmt.Sprintf("CONNACK %s %s", p.Connack.Hex(), p.Connack.Name)
	}
	c.CodeMatch = r.Connack != nil && p.Connack != nil && r.Connack.Code == p.Connack.Code
	if p.Decision == authn.Indeterminate {
		c.Notes = append(c.Notes, "the prediction is indeterminate: "+p.Reason)
		return c
	}
	c.decided = true
	switch r.Outcome {
	case Connected:
		c.Agree = p.Decision == authn.Granted
	case Refused:
		c.Agree = p.Decision == authn.Denied
	case TLSRejected:
		c.Agree = p.Decision == authn.Denied
		if c.Agree {
			if p.Method != nil && *p.Method == v1.MethodX509 {
				c.Notes = append(c.Notes, "the broker checks the client chain in the TLS handshake and refuses a chain it does not trust there, before any CONNACK; "+predicted+" is what the X509 entry answers at CONNECT")
			} else {
				c.Notes = append(c.Notes, "the live broker refused the TLS handshake; the prediction refuses at CONNECT with "+predicted)
			}
		}
	default:
		c.decided = false
		c.Notes = append(c.Notes, "no live verdict ("+string(r.Outcome)+") to compare with")
		return c
	}
	if !c.Agree {
		c.Notes = append(c.Notes, fmt.Sprintf("the live broker answered %s (%s), the prediction is %s with %s", live, r.Outcome, p.Decision, predicted))
	} else if r.Outcome == Refused && !c.CodeMatch {
		c.Notes = append(c.Notes, fmt.Sprintf("both refuse, with different codes: live %s, predicted %s", live, predicted))
	}
	if sent := r.Transport.ClientCertSent; sent != nil && !*sent && p.Method != nil && *p.Method == v1.MethodX509 {
		c.Notes = append(c.Notes, "the server did not ask for a client certificate, so the probe sent none; the prediction assumed the broker saw it")
	}
	return c
}
