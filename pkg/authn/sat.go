package authn

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
	"github.com/aio-authn/kubectl-aio-authn/pkg/sat"
)

// TokenExpiringSoon is how close to its exp a token earns a warning: the
// broker disconnects the client at exp unless it re-authenticates.
const TokenExpiringSoon = 10 * time.Minute

// AttributeAnnotationPrefix marks the ServiceAccount annotations that become
// a SAT client's authorization attributes.
const AttributeAnnotationPrefix = "aio-broker-auth/"

type satMethod struct {
	index           int
	audiences       []string
	serviceAccounts map[string]*corev1.ServiceAccount
	keys            *sat.KeySet
	review          TokenReviewer
	// verifiedOffline is the signature check's detail, built once.
	verifiedOffline string
}

func newSATMethod(index int, s *v1.BrokerAuthenticatorMethodSat, sas map[string]*corev1.ServiceAccount, opts Options) *satMethod {
	m := &satMethod{index: index, serviceAccounts: sas, keys: opts.Keys, review: opts.TokenReview}
	if opts.Keys != nil {
		m.verifiedOffline = "verified offline with " + opts.Keys.Describe() +
			" (a TokenReview would also check that the objects the token is bound to still exist)"
	}
	if s != nil {
		m.audiences = s.Audiences
	}
	return m
}

func (m *satMethod) evaluate(ctx context.Context, creds *Credentials, now time.Time) outcome {
	if creds.AuthMethod != SATMethod {
		if strings.HasPrefix(creds.Username, SATMethod) && creds.Password != nil {
			// [decision] reference §3.3: v1 reads tokens only from
			// enhanced authentication; the username form is legacy.
			return outcome{reason: "username " + quote(creds.Username) + " with the token as password is the legacy form, which v1 does not read [decision]: " +
				"send the token with MQTT v5 enhanced authentication, method K8S-SAT, data = the token (--sat-file F)"}
		}
		if creds.AuthMethod != "" {
			return outcome{reason: "enhanced authentication method " + quote(creds.AuthMethod) + " is not K8S-SAT"}
		}
		return outcome{reason: "no enhanced authentication method K8S-SAT"}
	}
	o := outcome{relevant: true, checks: make([]Check, 0, 7)}
	token := strings.TrimSpace(string(creds.AuthData))
	// With offline keys, verifying decodes the token too: one parse, not
	// two, which matters for a batch of thousands of tokens.
	var header sat.Header
	var claims sat.Claims
	var err, verifyErr error
	if m.keys != nil {
		header, claims, verifyErr = m.keys.VerifyTyped(token)
		if verifyErr != nil {
			header, claims, err = sat.Decode(token)
		}
	} else {
		header, claims, err = sat.Decode(token)
	}
	if err != nil {
		o.result = Denied
		o.reason = "the authentication data is not a service account token: " + err.Error()
		o.checks = []Check{{Name: "token", OK: false, Detail: err.Error()}}
		return o
	}
	o.checks = append(o.checks, Check{Name: "token", OK: true, Detail: describeClaims(header, claims)})

	signature, verified := m.verifySignature(ctx, token, verifyErr)
	o.checks = append(o.checks, signature)

	if claims.NotBefore != nil {
		ok := !now.Before(*claims.NotBefore)
		detail := "nbf " + claims.NotBefore.UTC().Format(time.RFC3339)
		if !ok {
			detail = "not valid before " + claims.NotBefore.UTC().Format(time.RFC3339) + " (now is " + now.UTC().Format(time.RFC3339) + ")"
		}
		o.checks = append(o.checks, Check{Name: "not-before", OK: ok, Detail: detail})
	}
	if claims.Expiry != nil {
		ok := now.Before(*claims.Expiry)
		detail := "expires " + pki.Relative(*claims.Expiry, now) + ", at " + claims.Expiry.UTC().Format(time.RFC3339)
		if !ok {
			detail = "expired " + pki.Relative(*claims.Expiry, now) + ", at " + claims.Expiry.UTC().Format(time.RFC3339)
		}
		o.checks = append(o.checks, Check{Name: "expiry", OK: ok, Detail: detail})
	} else {
		o.checks = append(o.checks, Check{Name: "expiry", OK: true, Detail: "no exp: the token does not expire"})
	}
	o.checks = append(o.checks, m.audienceCheck(claims.Audience))

	for _, c := range o.checks {
		if !c.OK && c.Name != "signature" {
			o.result, o.reason = Denied, c.Detail
			return o
		}
	}
	if !signature.OK {
		if verified == signatureUnknown {
			o.result, o.reason = Indeterminate, signature.Detail
		} else {
			o.result, o.reason = Denied, signature.Detail
		}
		return o
	}

	o.result = Granted
	o.reason = "token for " + quote(claims.Subject) + " verified, audience " + quote(firstShared(claims.Audience, m.audiences))
	subject := claims.Subject
	o.username = &subject
	o.expiresAt = claims.Expiry
	o.attributes, o.checks = m.attributesFor(claims, o.checks)
	if claims.Expiry != nil && claims.Expiry.Sub(now) < TokenExpiringSoon {
		o.warnings = append(o.warnings, fmt.Sprintf("the token expires %s (%s): the broker disconnects the client then unless it re-authenticates with a fresh token",
			pki.Relative(*claims.Expiry, now), claims.Expiry.UTC().Format(time.RFC3339)))
	}
	if k := claims.Kubernetes; k != nil && k.WarnAfter != nil && !now.Before(*k.WarnAfter) {
		o.warnings = append(o.warnings, fmt.Sprintf("the token's warnafter (%s) has passed: the client should have read a refreshed token from its projected volume",
			k.WarnAfter.UTC().Format(time.RFC3339)))
	}
	return o
}

type signatureState int

const (
	signatureUnknown signatureState = iota
	signatureBad
	signatureGood
)

// verifySignature checks the token offline with the given keys, or with a
// TokenReview; without either, the signature is unknown and the step can
// only be indeterminate.
func (m *satMethod) verifySignature(ctx context.Context, token string, offlineErr error) (Check, signatureState) {
	switch {
	case m.keys != nil:
		if offlineErr != nil {
			return Check{Name: "signature", OK: false, Detail: offlineErr.Error()}, signatureBad
		}
		return Check{Name: "signature", OK: true, Detail: m.verifiedOffline}, signatureGood
	case m.review != nil:
		status, err := m.review.Review(ctx, token, m.audiences)
		if err != nil {
			return Check{Name: "signature", OK: false, Detail: "TokenReview with " + m.review.Describe() + " failed: " + err.Error()}, signatureUnknown
		}
		if !status.Authenticated {
			detail := "TokenReview: not authenticated"
			if status.Error != "" {
				detail += ": " + status.Error
			}
			return Check{Name: "signature", OK: false, Detail: detail}, signatureBad
		}
		return Check{Name: "signature", OK: true, Detail: "TokenReview with " + m.review.Describe() + ": authenticated as " + quote(status.Username)}, signatureGood
	}
	return Check{Name: "signature", OK: false, Detail: "no way to verify the token's signature: add --sat-issuer-key F (the cluster's service account public key in PEM, or its JWKS from `kubectl get --raw /openid/v1/jwks`)"}, signatureUnknown
}

func (m *satMethod) audienceCheck(aud []string) Check {
	if shared := firstShared(aud, m.audiences); shared != "" {
		return Check{Name: "audience", OK: true, Detail: "aud " + jsonList(aud) + " includes " + quote(shared)}
	}
	if len(aud) == 0 {
		return Check{Name: "audience", OK: false, Detail: fmt.Sprintf("the token has no aud; the BrokerAuthentication accepts %s", jsonList(m.audiences))}
	}
	return Check{Name: "audience", OK: false, Detail: fmt.Sprintf("aud %s has none of the configured audiences %s: request the token with --audience %s",
		jsonList(aud), jsonList(m.audiences), firstOr(m.audiences, "AUDIENCE"))}
}

// attributesFor reads the client's ServiceAccount annotations, when the
// ServiceAccount is in the bundle.
func (m *satMethod) attributesFor(claims sat.Claims, checks []Check) (map[string]string, []Check) {
	ns, name := claims.ServiceAccount()
	if name == "" {
		return map[string]string{}, append(checks, Check{Name: "attributes", OK: true, Detail: "the token names no service account: no attributes"})
	}
	sa, ok := m.serviceAccounts[ns+"/"+name]
	if !ok {
		return map[string]string{}, append(checks, Check{Name: "attributes", OK: true, Detail: fmt.Sprintf(
			"ServiceAccount %s/%s is not in the bundle: its %s annotations, which give the attributes, are unknown", ns, name, AttributeAnnotationPrefix)})
	}
	attrs := map[string]string{}
	for k, v := range sa.Annotations {
		if rest, ok := strings.CutPrefix(k, AttributeAnnotationPrefix); ok && rest != "" {
			attrs[rest] = v
		}
	}
	return attrs, append(checks, Check{Name: "attributes", OK: true, Detail: "ServiceAccount " + ns + "/" + name + ": " + FormatAttributes(attrs, "(none)")})
}

// describeClaims shows what the token claims, never its signature.
func describeClaims(h sat.Header, c sat.Claims) string {
	var buf [256]byte
	b := append(buf[:0], h.Alg...)
	if h.Kid != "" {
		b = append(b, " kid "...)
		b = append(b, h.Kid...)
	}
	if c.Issuer != "" {
		b = append(b, ", iss "...)
		b = append(b, c.Issuer...)
	}
	b = append(b, ", sub "...)
	b = strconv.AppendQuote(b, c.Subject)
	if k := c.Kubernetes; k != nil && k.Pod != nil {
		b = append(b, ", pod "...)
		b = append(b, k.Namespace...)
		b = append(b, '/')
		b = append(b, k.Pod.Name...)
	}
	return string(b)
}

func firstShared(a, b []string) string {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return x
			}
		}
	}
	return ""
}

func firstOr(list []string, fallback string) string {
	if len(list) > 0 {
		return list[0]
	}
	return fallback
}

func jsonList(list []string) string {
	var buf [128]byte
	b := append(buf[:0], '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendQuote(b, s)
	}
	return string(append(b, ']'))
}
