// Package sat works with Kubernetes service account tokens (SATs): the signed
// JWTs a pod presents to the broker with MQTT v5 enhanced authentication
// method K8S-SAT. This file decodes tokens without verifying them; verify.go
// checks signatures against offline keys.
package sat

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// Header is the part of a token's JOSE header that matters for verification.
type Header struct {
	// Alg is the signature algorithm the token claims, e.g. RS256. It is a
	// claim of the token, not a fact: Verify never lets it choose the key type.
	Alg string
	// Kid names the signing key; Kubernetes sets it to a hash of the public key.
	Kid string
	// Typ is usually "JWT" or empty.
	Typ string
}

// Ref names a Kubernetes object a bound token is tied to.
type Ref struct {
	Name, UID string
}

// KubernetesClaims is the "kubernetes.io" claim of a bound token: what the
// token is bound to.
type KubernetesClaims struct {
	Namespace      string
	ServiceAccount Ref
	// Pod and Node are set when the token is bound to them.
	Pod  *Ref
	Node *Ref
	// WarnAfter is when the API server starts warning about a token that a
	// client keeps using past its refresh time (set for extended tokens).
	WarnAfter *time.Time
}

// Claims are a token's registered claims plus the Kubernetes claim. Times are
// nil when the claim is absent.
type Claims struct {
	Issuer, Subject string
	// Audience is always a list: a single string "aud" becomes one element.
	Audience                    []string
	Expiry, NotBefore, IssuedAt *time.Time
	ID                          string
	Kubernetes                  *KubernetesClaims
	// Raw is every claim as decoded from JSON (numbers as json.Number), for
	// printing claims this type does not model.
	Raw map[string]any
}

// ServiceAccount names the token's service account: from the kubernetes.io
// claim when present, else from the subject, system:serviceaccount:NS:NAME.
// Both are empty for a token of no service account.
func (c Claims) ServiceAccount() (namespace, name string) {
	if k := c.Kubernetes; k != nil && k.ServiceAccount.Name != "" {
		return k.Namespace, k.ServiceAccount.Name
	}
	parts := strings.Split(c.Subject, ":")
	if len(parts) == 4 && parts[0] == "system" && parts[1] == "serviceaccount" {
		return parts[2], parts[3]
	}
	return "", ""
}

// MalformedError reports a token that is not a well-formed compact JWS with
// the claims a service account token has.
type MalformedError struct{ Msg string }

func (e *MalformedError) Error() string { return "malformed token: " + e.Msg }

func malformed(format string, args ...any) error {
	return &MalformedError{Msg: fmt.Sprintf(format, args...)}
}

// splitToken splits a compact JWS into its three parts. Surrounding white
// space is ignored because tokens are usually read from files that end in a
// newline.
func splitToken(token string) (header, payload, signature string, err error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return "", "", "", malformed("empty")
	}
	switch parts := strings.Count(token, ".") + 1; parts {
	case 3:
	case 5:
		return "", "", "", malformed("5 parts: this is an encrypted token (JWE), not a signed one")
	default:
		return "", "", "", malformed("%d dot-separated parts, want 3 (header.payload.signature)", parts)
	}
	header, rest, _ := strings.Cut(token, ".")
	payload, signature, _ = strings.Cut(rest, ".")
	return header, payload, signature, nil
}

// decodeSegment decodes one base64url part. JWS uses unpadded base64url;
// padded input is accepted because some tools emit it.
func decodeSegment(name, s string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, malformed("%s is not base64url: %v", name, err)
	}
	return b, nil
}

// Decode parses a token without verifying its signature. It is what
// "sat decode" shows and what Verify builds on. "aud" may be a string or a
// list of strings.
func Decode(token string) (Header, Claims, error) {
	h, p, _, err := splitToken(token)
	if err != nil {
		return Header{}, Claims{}, err
	}
	return decodeParts(h, p)
}

func decodeParts(headerPart, payloadPart string) (Header, Claims, error) {
	hb, err := decodeSegment("header", headerPart)
	if err != nil {
		return Header{}, Claims{}, err
	}
	header, err := parseHeader(hb)
	if err != nil {
		return Header{}, Claims{}, err
	}
	pb, err := decodeSegment("payload", payloadPart)
	if err != nil {
		return header, Claims{}, err
	}
	claims, err := parseClaims(pb)
	return header, claims, err
}

func parseHeader(b []byte) (Header, error) {
	if h, ok := scanHeader(b); ok {
		return h, nil
	}
	return parseHeaderMap(b)
}

// parseHeaderMap reads any header and explains what is wrong with it.
func parseHeaderMap(b []byte) (Header, error) {
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return Header{}, malformed("header is not a JSON object: %v", err)
	}
	var h Header
	var err error
	if h.Alg, err = optionalString(raw, "alg", "header"); err != nil {
		return Header{}, err
	}
	if h.Kid, err = optionalString(raw, "kid", "header"); err != nil {
		return Header{}, err
	}
	if h.Typ, err = optionalString(raw, "typ", "header"); err != nil {
		return Header{}, err
	}
	if _, ok := raw["alg"]; !ok {
		return Header{}, malformed(`header has no "alg"`)
	}
	if _, ok := raw["crit"]; ok {
		// RFC 7515 §4.1.11: extensions we do not understand must make the
		// token invalid, and we understand none.
		return Header{}, malformed(`header has "crit" extensions, which are not supported`)
	}
	return h, nil
}

func parseClaims(b []byte) (Claims, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return Claims{}, malformed("payload is not a JSON object: %v", err)
	}
	if raw == nil {
		return Claims{}, malformed("payload is not a JSON object")
	}
	c := Claims{Raw: raw}
	var err error
	if c.Issuer, err = optionalString(raw, "iss", "claim"); err != nil {
		return Claims{}, err
	}
	if c.Subject, err = optionalString(raw, "sub", "claim"); err != nil {
		return Claims{}, err
	}
	if c.ID, err = optionalString(raw, "jti", "claim"); err != nil {
		return Claims{}, err
	}
	if c.Audience, err = audience(raw["aud"]); err != nil {
		return Claims{}, err
	}
	for _, t := range []struct {
		name string
		into **time.Time
	}{{"exp", &c.Expiry}, {"nbf", &c.NotBefore}, {"iat", &c.IssuedAt}} {
		if *t.into, err = numericDate(raw, t.name); err != nil {
			return Claims{}, err
		}
	}
	if k, ok := raw["kubernetes.io"]; ok {
		if c.Kubernetes, err = kubernetesClaims(k); err != nil {
			return Claims{}, err
		}
	}
	return c, nil
}

func optionalString(raw map[string]any, key, where string) (string, error) {
	v, ok := raw[key]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", malformed("%s %q is %s, want a string", where, key, jsonType(v))
	}
	return s, nil
}

func audience(v any) ([]string, error) {
	switch a := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{a}, nil
	case []any:
		out := make([]string, 0, len(a))
		for i, e := range a {
			s, ok := e.(string)
			if !ok {
				return nil, malformed(`claim "aud"[%d] is %s, want a string`, i, jsonType(e))
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, malformed(`claim "aud" is %s, want a string or a list of strings`, jsonType(v))
	}
}

// numericDate reads a JWT NumericDate: seconds since the epoch, possibly
// fractional.
func numericDate(raw map[string]any, key string) (*time.Time, error) {
	v, ok := raw[key]
	if !ok || v == nil {
		return nil, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return nil, malformed("claim %q is %s, want seconds since 1970 (a number)", key, jsonType(v))
	}
	return numberDate(key, n)
}

func numberDate(key string, n json.Number) (*time.Time, error) {
	var t time.Time
	if i, err := n.Int64(); err == nil {
		t = time.Unix(i, 0).UTC()
	} else {
		f, err := n.Float64()
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > 1e15 {
			return nil, malformed("claim %q is not a usable time: %s", key, n)
		}
		sec, frac := math.Modf(f)
		t = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	}
	return &t, nil
}

func kubernetesClaims(v any) (*KubernetesClaims, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, malformed(`claim "kubernetes.io" is %s, want an object`, jsonType(v))
	}
	k := &KubernetesClaims{}
	var err error
	if k.Namespace, err = optionalString(m, "namespace", `claim "kubernetes.io"`); err != nil {
		return nil, err
	}
	refs := []struct {
		key  string
		into **Ref
	}{{"pod", &k.Pod}, {"node", &k.Node}}
	sa, err := ref(m, "serviceaccount")
	if err != nil {
		return nil, err
	}
	if sa != nil {
		k.ServiceAccount = *sa
	}
	for _, r := range refs {
		if *r.into, err = ref(m, r.key); err != nil {
			return nil, err
		}
	}
	if k.WarnAfter, err = numericDate(m, "warnafter"); err != nil {
		return nil, err
	}
	return k, nil
}

func ref(m map[string]any, key string) (*Ref, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return nil, nil
	}
	o, ok := v.(map[string]any)
	if !ok {
		return nil, malformed(`claim "kubernetes.io".%s is %s, want an object`, key, jsonType(v))
	}
	where := `claim "kubernetes.io".` + key
	name, err := optionalString(o, "name", where)
	if err != nil {
		return nil, err
	}
	uid, err := optionalString(o, "uid", where)
	if err != nil {
		return nil, err
	}
	return &Ref{Name: name, UID: uid}, nil
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
