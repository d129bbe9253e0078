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

// parseClaimsTyped decodes the claims without Raw: the scanner below when
// it can, else the map decoder, whose messages say exactly which claim is
// wrong. Decoding into maps costs most of what the batch path spends beyond
// the signature itself.
func parseClaimsTyped(b []byte) (Claims, error) {
	if c, ok := scanClaims(b); ok {
		return c, nil
	}
	c, err := parseClaims(b)
	c.Raw = nil
	return c, err
}

// claimScanner reads the claims of a token in one pass without reflection,
// for the batch path. It understands exactly the JSON the map decoder
// accepts; whenever it meets anything unusual (escapes aside, which it hands
// to encoding/json) it gives up and the caller falls back to the map
// decoder, so it can never accept what that decoder rejects.
type claimScanner struct {
	// b is the whole document as one string, so every key and value the
	// scanner returns is a substring of it: one copy per document instead
	// of one allocation per string.
	b     string
	i     int
	depth int
}

// maxScanDepth bounds nesting in skipped values; deeper input goes to the
// map decoder, which has its own limit.
const maxScanDepth = 64

func (s *claimScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *claimScanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *claimScanner) literal(lit string) bool {
	if len(s.b)-s.i >= len(lit) && s.b[s.i:s.i+len(lit)] == lit {
		s.i += len(lit)
		return true
	}
	return false
}

// str reads a string. Plain ASCII is sliced out directly; escapes and
// non-ASCII bytes go through encoding/json, which also decides how invalid
// UTF-8 reads.
func (s *claimScanner) str() (string, bool) {
	if s.peek() != '"' {
		return "", false
	}
	start := s.i
	s.i++
	plain := true
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			if plain {
				return s.b[start+1 : s.i-1], true
			}
			var out string
			if err := json.Unmarshal([]byte(s.b[start:s.i]), &out); err != nil {
				return "", false
			}
			return out, true
		case c == '\\':
			plain = false
			s.i += 2
			continue
		case c < 0x20:
			return "", false
		case c >= 0x80:
			plain = false
		}
		s.i++
	}
	return "", false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number reads a JSON number, checking its grammar.
func (s *claimScanner) number() (json.Number, bool) {
	s.ws()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case s.i < len(s.b) && s.b[s.i] >= '1' && s.b[s.i] <= '9':
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
		}
	default:
		return "", false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.i >= len(s.b) || !isDigit(s.b[s.i]) {
			return "", false
		}
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.i >= len(s.b) || !isDigit(s.b[s.i]) {
			return "", false
		}
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
		}
	}
	return json.Number(s.b[start:s.i]), true
}

// skip reads any value.
func (s *claimScanner) skip() bool {
	switch c := s.peek(); {
	case c == '"':
		_, ok := s.str()
		return ok
	case c == '{':
		return s.object(func(string) bool { return s.skip() })
	case c == '[':
		return s.array(func() bool { return s.skip() })
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	default:
		_, ok := s.number()
		return ok
	}
}

func (s *claimScanner) null() bool {
	return s.peek() == 'n' && s.literal("null")
}

func (s *claimScanner) object(member func(key string) bool) bool {
	if s.peek() != '{' || s.depth >= maxScanDepth {
		return false
	}
	s.depth++
	defer func() { s.depth-- }()
	s.i++
	if s.peek() == '}' {
		s.i++
		return true
	}
	for {
		key, ok := s.str()
		if !ok || s.peek() != ':' {
			return false
		}
		s.i++
		if !member(key) {
			return false
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

func (s *claimScanner) array(element func() bool) bool {
	if s.peek() != '[' || s.depth >= maxScanDepth {
		return false
	}
	s.depth++
	defer func() { s.depth-- }()
	s.i++
	if s.peek() == ']' {
		s.i++
		return true
	}
	for {
		if !element() {
			return false
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

// optString reads a string or null (null reads as "", as in the map
// decoder).
func (s *claimScanner) optString(into *string) bool {
	if s.null() {
		*into = ""
		return true
	}
	v, ok := s.str()
	*into = v
	return ok
}

func (s *claimScanner) optDate(key string, into **time.Time) bool {
	if s.null() {
		*into = nil
		return true
	}
	n, ok := s.number()
	if !ok {
		return false
	}
	t, err := numberDate(key, n)
	*into = t
	return err == nil
}

func (s *claimScanner) ref(into **Ref) bool {
	if s.null() {
		*into = nil
		return true
	}
	r := &Ref{}
	ok := s.object(func(key string) bool {
		switch key {
		case "name":
			return s.optString(&r.Name)
		case "uid":
			return s.optString(&r.UID)
		}
		return s.skip()
	})
	*into = r
	return ok
}

// scanClaims is parseClaimsTyped's fast path; false means "ask the map
// decoder".
func scanClaims(b []byte) (Claims, bool) {
	s := &claimScanner{b: string(b)}
	var c Claims
	ok := s.object(func(key string) bool {
		switch key {
		case "iss":
			return s.optString(&c.Issuer)
		case "sub":
			return s.optString(&c.Subject)
		case "jti":
			return s.optString(&c.ID)
		case "exp":
			return s.optDate("exp", &c.Expiry)
		case "nbf":
			return s.optDate("nbf", &c.NotBefore)
		case "iat":
			return s.optDate("iat", &c.IssuedAt)
		case "aud":
			switch s.peek() {
			case 'n':
				c.Audience = nil
				return s.null()
			case '"':
				v, ok := s.str()
				c.Audience = []string{v}
				return ok
			}
			c.Audience = []string{}
			return s.array(func() bool {
				v, ok := s.str()
				c.Audience = append(c.Audience, v)
				return ok
			})
		case "kubernetes.io":
			if s.null() {
				// The map decoder treats a null kubernetes.io as a
				// wrong type; let it say so.
				return false
			}
			k := &KubernetesClaims{}
			c.Kubernetes = k
			return s.object(func(key string) bool {
				switch key {
				case "namespace":
					return s.optString(&k.Namespace)
				case "serviceaccount":
					var r *Ref
					if !s.ref(&r) {
						return false
					}
					k.ServiceAccount = Ref{}
					if r != nil {
						k.ServiceAccount = *r
					}
					return true
				case "pod":
					return s.ref(&k.Pod)
				case "node":
					return s.ref(&k.Node)
				case "warnafter":
					return s.optDate("warnafter", &k.WarnAfter)
				}
				return s.skip()
			})
		}
		return s.skip()
	})
	s.ws()
	if !ok || s.i != len(s.b) {
		return Claims{}, false
	}
	return c, true
}

// scanHeader is parseHeader's fast path: a header with a string alg, string
// kid/typ and no crit; anything else goes to the map decoder.
func scanHeader(b []byte) (Header, bool) {
	s := &claimScanner{b: string(b)}
	var h Header
	hasAlg := false
	ok := s.object(func(key string) bool {
		switch key {
		case "alg":
			v, ok := s.str()
			h.Alg, hasAlg = v, ok
			return ok
		case "kid":
			v, ok := s.str()
			h.Kid = v
			return ok
		case "typ":
			v, ok := s.str()
			h.Typ = v
			return ok
		case "crit":
			return false
		}
		return s.skip()
	})
	s.ws()
	return h, ok && hasAlg && s.i == len(s.b)
}
