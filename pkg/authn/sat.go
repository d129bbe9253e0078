package authn

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"

	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/assumption"
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
	pods            map[string]*corev1.Pod
	objects         ObjectFinder
	keys            *sat.KeySet
	issuers         []string
	review          TokenReviewer
	// verifiedOffline is the signature check's detail, built once.
	verifiedOffline string
}

func newSATMethod(index int, s *v1.BrokerAuthenticatorMethodSat, cfg Config, opts Options) *satMethod {
	m := &satMethod{index: index, serviceAccounts: cfg.ServiceAccounts, pods: cfg.Pods, objects: opts.Objects,
		keys: opts.Keys, issuers: opts.Issuers, review: opts.TokenReview}
	if opts.Keys != nil {
		m.verifiedOffline = "verified offline with " + opts.Keys.Describe()
	}
	if s != nil {
		m.audiences = s.Audiences
	}
	return m
}

func (m *satMethod) evaluate(ctx context.Context, creds *Credentials, now time.Time) outcome {
	if creds.AuthMethod != SATMethod {
		if strings.HasPrefix(creds.Username, SATMethod) && creds.Password != nil {
			return outcome{reason: "username " + quote(creds.Username) + " with the token as password is the legacy form, which v1 does not read " +
				"(" + assumption.SATUsernameNotRead.Says + "): " +
				"send the token with MQTT v5 enhanced authentication, method K8S-SAT, data = the token (--sat-file F)"}
		}
		if creds.AuthMethod != "" {
			return outcome{reason: "enhanced authentication method " + quote(creds.AuthMethod) + " is not K8S-SAT"}
		}
		return outcome{reason: "no enhanced authentication method K8S-SAT"}
	}
	o := outcome{relevant: true, checks: make([]Check, 0, 10)}
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
	// A TokenReview checks the issuer and the bound objects itself, and
	// says so in its error when they are wrong.
	reviewed := m.keys == nil && m.review != nil
	if !reviewed {
		if c, ok := m.issuerCheck(claims.Issuer); ok {
			o.checks = append(o.checks, c)
		}
	}
	o.checks = append(o.checks, timeChecks(claims, now)...)
	o.checks = append(o.checks, m.audienceCheck(claims.Audience))
	// The bound objects are the API server's last checks; like it, look
	// them up only for a token that passed the others.
	var unknown []Check
	if !reviewed && verified != signatureBad && !failed(o.checks) {
		bound, undecided := m.boundChecks(ctx, claims, now)
		o.checks = append(o.checks, bound...)
		unknown = undecided
	}

	for _, c := range o.checks {
		if !c.OK && c.Name != "signature" && !slices.Contains(unknown, c) {
			o.result, o.reason = Denied, c.Detail
			return o
		}
	}
	switch {
	case !signature.OK && verified != signatureUnknown:
		o.result, o.reason = Denied, signature.Detail
		return o
	case !signature.OK:
		o.result, o.reason = Indeterminate, signature.Detail
		return o
	case len(unknown) > 0:
		o.result, o.reason = Indeterminate, unknown[0].Detail
		return o
	}

	o.result = Granted
	o.reason = "token for " + quote(claims.Subject) + " verified, audience " + quote(firstShared(claims.Audience, m.audiences))
	subject := claims.Subject
	o.username = &subject
	o.expiresAt = claims.Expiry
	o.attributes, o.checks = m.attributesFor(ctx, claims, o.checks)
	if exp := claims.Expiry; exp != nil {
		switch left := exp.Sub(now); {
		case left <= 0:
			o.warnings = append(o.warnings, fmt.Sprintf("the token expired %s (%s): the API server still accepts it within its %s leeway, but the broker disconnects a client when its token expires, so expect the connection to be closed at once unless the client re-authenticates with a fresh token",
				relative(*exp, now), exp.UTC().Format(time.RFC3339), duration.HumanDuration(sat.Leeway)))
		case left < TokenExpiringSoon:
			o.warnings = append(o.warnings, fmt.Sprintf("the token expires %s (%s): the broker disconnects the client then unless it re-authenticates with a fresh token",
				relative(*exp, now), exp.UTC().Format(time.RFC3339)))
		}
	}
	if k := claims.Kubernetes; k != nil && k.WarnAfter != nil && !now.Before(*k.WarnAfter) {
		o.warnings = append(o.warnings, fmt.Sprintf("the token's warnafter (%s) has passed: the client should have read a refreshed token from its projected volume",
			k.WarnAfter.UTC().Format(time.RFC3339)))
	}
	return o
}

func failed(checks []Check) bool {
	for _, c := range checks {
		if !c.OK && c.Name != "signature" {
			return true
		}
	}
	return false
}

// relative is pki.Relative without "in 0s" for the very moment.
func relative(t, now time.Time) string {
	if t.Equal(now) {
		return "just now"
	}
	return pki.Relative(t, now)
}

// issuerCheck compares iss with the issuers the API server accepts, when
// they are known; a token verified offline without them gets a note.
func (m *satMethod) issuerCheck(iss string) (Check, bool) {
	switch {
	case len(m.issuers) > 0:
		for _, want := range m.issuers {
			if iss == want {
				return Check{Name: "issuer", OK: true, Detail: "iss " + iss + " is the API server's issuer"}, true
			}
		}
		if iss == "" {
			return Check{Name: "issuer", OK: false, Detail: "the token has no iss: the API server accepts only tokens of its issuer " + strings.Join(m.issuers, " or ")}, true
		}
		return Check{Name: "issuer", OK: false, Detail: "iss " + iss + " is not the API server's issuer " + strings.Join(m.issuers, " or ") + ": it refuses tokens of other issuers"}, true
	case m.keys != nil:
		return Check{Name: "issuer", OK: true, Skipped: true, Detail: "iss " + iss + " not checked: give --sat-issuer URL (the API server's --service-account-issuer) to check it, as the API server does"}, true
	}
	return Check{}, false
}

// timeChecks apply the API server's rules to exp, nbf and iat, with its
// leeway, and say when the leeway is what lets the token in.
func timeChecks(c sat.Claims, now time.Time) []Check {
	at := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	nowIs := " (now is " + at(now) + ")"
	var checks []Check
	if nbf := c.NotBefore; nbf != nil {
		switch sat.NotBeforeState(*nbf, now) {
		case sat.TimeValid:
			checks = append(checks, Check{Name: "not-before", OK: true, Detail: "nbf " + at(*nbf)})
		case sat.TimeInLeeway:
			checks = append(checks, Check{Name: "not-before", OK: true, Detail: "not valid before " + at(*nbf) + ", " + relative(*nbf, now) + ": within " + sat.LeewayWords})
		default:
			checks = append(checks, Check{Name: "not-before", OK: false, Detail: "not valid before " + at(*nbf) + ", " + relative(*nbf, now) + nowIs + ": beyond " + sat.LeewayWords})
		}
	}
	switch exp := c.Expiry; {
	case exp == nil:
		checks = append(checks, Check{Name: "expiry", OK: true, Detail: "no exp: the token does not expire"})
	default:
		switch sat.ExpiryState(*exp, now) {
		case sat.TimeValid:
			checks = append(checks, Check{Name: "expiry", OK: true, Detail: "expires " + relative(*exp, now) + ", at " + at(*exp)})
		case sat.TimeInLeeway:
			checks = append(checks, Check{Name: "expiry", OK: true, Detail: "expired " + relative(*exp, now) + ", at " + at(*exp) + ", within " + sat.LeewayWords})
		default:
			checks = append(checks, Check{Name: "expiry", OK: false, Detail: "expired " + relative(*exp, now) + ", at " + at(*exp) + ", beyond " + sat.LeewayWords})
		}
	}
	if iat := c.IssuedAt; iat != nil {
		switch sat.IssuedAtState(*iat, now) {
		case sat.TimeValid:
			checks = append(checks, Check{Name: "issued-at", OK: true, Detail: "iat " + at(*iat)})
		case sat.TimeInLeeway:
			checks = append(checks, Check{Name: "issued-at", OK: true, Detail: "issued " + inTheFuture(*iat, now) + ", at " + at(*iat) + ": within " + sat.LeewayWords})
		default:
			checks = append(checks, Check{Name: "issued-at", OK: false, Detail: "issued " + inTheFuture(*iat, now) + ", at " + at(*iat) + nowIs +
				": the API server refuses a token issued more than its " + duration.HumanDuration(sat.Leeway) + " leeway ahead (the signer's clock, or the token, is wrong)"})
		}
	}
	return checks
}

func inTheFuture(t, now time.Time) string {
	return duration.HumanDuration(t.Sub(now)) + " in the future"
}

// boundChecks are the API server's service account validator's last
// checks: the ServiceAccount the token names must exist with the token's
// uid (and not have been deleted more than the leeway ago), and so must the
// Pod it is bound to. undecided are the checks explain cannot make with
// what it was given: the API server knows more.
func (m *satMethod) boundChecks(ctx context.Context, c sat.Claims, now time.Time) (checks, undecided []Check) {
	k := c.Kubernetes
	if k == nil || k.ServiceAccount.Name == "" {
		return []Check{{Name: "service-account", OK: false, Detail: "the token has no kubernetes.io serviceaccount claim: the API server looks up the ServiceAccount a token names there, finds none, and refuses the token"}}, nil
	}
	add := func(c Check, known bool) {
		checks = append(checks, c)
		if !known {
			undecided = append(undecided, c)
		}
	}
	sa, source, err := m.serviceAccount(ctx, k.Namespace, k.ServiceAccount.Name)
	add(boundCheck("service-account", "ServiceAccount", "serviceaccounts", k.Namespace, k.ServiceAccount, objectOf(sa), source, err, now))
	switch {
	case k.Pod != nil:
		pod, source, err := m.pod(ctx, k.Namespace, k.Pod.Name)
		add(boundCheck("pod", "Pod", "pods", k.Namespace, *k.Pod, objectOf(pod), source, err, now))
	case k.Node != nil:
		add(Check{Name: "node", OK: false, Detail: fmt.Sprintf("the token is bound to node %s (uid %s), which explain cannot look up: the API server accepts the token only while that node exists; ask it with --token-review",
			k.Node.Name, k.Node.UID)}, false)
	}
	return checks, undecided
}

// objectOf is a found object's metadata, nil when none was found (a nil
// pointer must not become a non-nil interface).
func objectOf[T interface {
	*corev1.ServiceAccount | *corev1.Pod
	metav1.Object
}](o T) metav1.Object {
	if o == nil {
		return nil
	}
	return o
}

// Where an object was looked up, as the checks say it.
const (
	inBundle  = "is in the bundle"
	inCluster = "exists in the cluster"
)

// boundCheck judges one bound object as the API server does. known is false
// when the object is not in the bundle, or could not be looked up.
func boundCheck(name, kind, resource, ns string, ref sat.Ref, obj metav1.Object, source string, lookupErr error, now time.Time) (Check, bool) {
	what := kind + " " + ns + "/" + ref.Name
	lower := strings.ToLower(kind)
	switch {
	case lookupErr != nil:
		return Check{Name: name, OK: false, Detail: "cannot look up " + what + ": " + lookupErr.Error() + "; the API server accepts the token only while that " + kind + " exists with uid " + orNone(ref.UID)}, false
	case obj == nil && source == inCluster:
		return Check{Name: name, OK: false, Detail: fmt.Sprintf("%s does not exist in the cluster: the API server refuses the token (%s %q not found)", what, resource, ref.Name)}, true
	case obj == nil:
		return Check{Name: name, OK: false, Detail: fmt.Sprintf("%s is not in the bundle: the API server accepts the token only while that %s exists with uid %s; "+
			"add it to the bundle (kubectl get %s %s -n %s -o yaml), or ask the cluster (--from-cluster or --token-review)", what, kind, orNone(ref.UID), lower, ref.Name, ns)}, false
	case obj.GetDeletionTimestamp() != nil && obj.GetDeletionTimestamp().Time.Before(now.Add(-sat.Leeway)):
		return Check{Name: name, OK: false, Detail: fmt.Sprintf("%s has been deleted (at %s): the API server refuses the token", what, obj.GetDeletionTimestamp().UTC().Format(time.RFC3339))}, true
	case obj.GetUID() == "":
		return Check{Name: name, OK: true, Detail: fmt.Sprintf("%s %s without a uid (a manifest not read from the cluster), so the token's uid %s is not compared; the API server compares it with the live %s's",
			what, source, orNone(ref.UID), kind)}, true
	case string(obj.GetUID()) != ref.UID:
		return Check{Name: name, OK: false, Detail: fmt.Sprintf("%s %s with uid %s, but the token names uid %s: it was issued for an earlier %s of that name, and the API server refuses it",
			what, source, obj.GetUID(), orNone(ref.UID), kind)}, true
	}
	return Check{Name: name, OK: true, Detail: fmt.Sprintf("%s %s with the token's uid %s", what, source, ref.UID)}, true
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// serviceAccount finds a token's ServiceAccount in the cluster when explain
// reads it, else in the bundle.
func (m *satMethod) serviceAccount(ctx context.Context, ns, name string) (*corev1.ServiceAccount, string, error) {
	if m.objects != nil {
		sa, err := m.objects.ServiceAccount(ctx, ns, name)
		return sa, inCluster, err
	}
	return m.serviceAccounts[ns+"/"+name], inBundle, nil
}

func (m *satMethod) pod(ctx context.Context, ns, name string) (*corev1.Pod, string, error) {
	if m.objects != nil {
		pod, err := m.objects.Pod(ctx, ns, name)
		return pod, inCluster, err
	}
	return m.pods[ns+"/"+name], inBundle, nil
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
// ServiceAccount is known (in the bundle, or read from the cluster).
func (m *satMethod) attributesFor(ctx context.Context, claims sat.Claims, checks []Check) (map[string]string, []Check) {
	ns, name := claims.ServiceAccount()
	if name == "" {
		return map[string]string{}, append(checks, Check{Name: "attributes", OK: true, Detail: "the token names no service account: no attributes"})
	}
	sa, source, err := m.serviceAccount(ctx, ns, name)
	switch {
	case err != nil:
		return map[string]string{}, append(checks, Check{Name: "attributes", OK: true, Detail: fmt.Sprintf(
			"cannot read ServiceAccount %s/%s (%v): its %s annotations, which give the attributes, are unknown", ns, name, err, AttributeAnnotationPrefix)})
	case sa == nil && source == inCluster:
		return map[string]string{}, append(checks, Check{Name: "attributes", OK: true, Detail: fmt.Sprintf(
			"ServiceAccount %s/%s does not exist in the cluster: no attributes", ns, name)})
	case sa == nil:
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
