package customauth

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/aio-authn/kubectl-aio-authn/pkg/dn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

// NotAuthorized is the reason of a denial no entry asked for: MQTT's 0x87,
// what the broker's own auth server sample sends.
const NotAuthorized uint8 = 135

// Decision is a server's answer to one request, with what an events log
// records about it. It never holds a password or authentication data.
type Decision struct {
	// Status is the HTTP status: 200 granted, 403 denied, 4xx a request
	// that breaks the API.
	Status int
	// Body is the JSON body of a 200, 403 or 422, or the text of another
	// 4xx.
	Body []byte
	// JSON says Body is JSON.
	JSON bool
	// Type is the request's type (connect, auth), "" when the request did
	// not get that far.
	Type string
	// Username is the username of a connect request that carried one.
	Username *string
	// Reason is a 403's reason code.
	Reason *uint8
	// Message is a 403's message, or the text of another 4xx.
	Message string
	// Entry is "file:line" of the users file entry that decided, "" when
	// none matched.
	Entry string
}

// Granted reports whether the decision lets the client in.
func (d *Decision) Granted() bool { return d.Status == http.StatusOK }

// Decide answers a request from the users file at time now. The first
// entry that matches decides: a connect's leaf certificate against
// certificates, then its enhanced authentication against enhanced, then its
// username and password against users; an auth request's enhanced
// authentication against enhanced. A request nothing matches is denied with
// reason 135 (not authorized). A certs field without a certificate is a bad
// request (400), as for the broker's sample server.
func (u *Users) Decide(req *Request, now time.Time) *Decision {
	d := &Decision{Type: req.Type, Username: req.Username}
	var match *answer
	switch req.Type {
	case TypeConnect:
		if req.Certs != "" {
			certs, err := pki.ParseBundle("certs", []byte(req.Certs))
			switch {
			case errors.Is(err, pki.ErrNoCertificate):
				return badRequest(d, "invalid client request body: certs: no PEM certificate")
			case err != nil:
				return badRequest(d, "invalid client request body: "+err.Error())
			}
			match = u.certificate(certs[0].Cert.Raw, certs[0].Cert.RawSubject)
		}
		if match == nil && req.EnhancedAuthentication != nil {
			match = u.enhancedMatch(req.EnhancedAuthentication)
		}
		if match == nil && req.Username != nil {
			match = u.user(*req.Username, req.Password)
		}
	case TypeAuth:
		if req.EnhancedAuthentication == nil {
			return badRequest(d, "invalid client request body: missing field `enhancedAuthentication`")
		}
		match = u.enhancedMatch(req.EnhancedAuthentication)
	default:
		return badRequest(d, fmt.Sprintf("invalid client request body: unknown variant `%s`, expected `connect` or `auth`", req.Type))
	}
	if match == nil {
		reason := NotAuthorized
		return deny(d, &DeniedResponse{Reason: &reason})
	}
	d.Entry = fmt.Sprintf("%s:%d", u.Path, match.line)
	if match.deny != nil {
		return deny(d, match.deny)
	}
	g := GrantedResponse{Attributes: match.attributes}
	switch {
	case match.expiry != nil:
		g.Expiry = match.expiry
	case match.expiresAfter > 0:
		// Whole seconds, as the broker's sample writes expiries.
		t := now.Add(match.expiresAfter).UTC().Truncate(time.Second)
		g.Expiry = &t
	}
	d.Status, d.JSON, d.Body = http.StatusOK, true, mustJSON(g)
	return d
}

func deny(d *Decision, r *DeniedResponse) *Decision {
	d.Status, d.JSON, d.Body = http.StatusForbidden, true, mustJSON(r)
	d.Reason, d.Message = r.Reason, r.Message
	return d
}

func badRequest(d *Decision, msg string) *Decision {
	return reject(d, http.StatusBadRequest, msg)
}

// certificate finds the entry of a leaf certificate, by its DER or subject.
func (u *Users) certificate(der, rawSubject []byte) *answer {
	sum := sha256.Sum256(der)
	subject, err := dn.FromRawSubject(rawSubject)
	for _, e := range u.certificates {
		if (e.sha256 != nil && bytes.Equal(e.sha256, sum[:])) || (e.subject != nil && err == nil && dn.Equal(e.subject, subject)) {
			return &e.answer
		}
	}
	return nil
}

func (u *Users) enhancedMatch(ea *EnhancedAuthentication) *answer {
	sum := sha256.Sum256(ea.Data)
	for _, e := range u.enhanced {
		if e.method == ea.Method && bytes.Equal(e.dataSHA256, sum[:]) {
			return &e.answer
		}
	}
	return nil
}

// user finds the entry of username when password is its password, or when
// the user is denied whatever the password.
func (u *Users) user(username string, password []byte) *answer {
	e, ok := u.users[username]
	if !ok {
		return nil
	}
	switch {
	case e.deny != nil:
		return &e.answer
	case password == nil:
		return nil
	case e.passwordHash != nil:
		if bcrypt.CompareHashAndPassword(e.passwordHash, password) == nil {
			return &e.answer
		}
	case e.password != nil:
		sum := sha256.Sum256(password)
		if subtle.ConstantTimeCompare(sum[:], e.password[:]) == 1 {
			return &e.answer
		}
	}
	return nil
}
