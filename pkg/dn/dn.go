// Package dn reads, writes and compares X.509 distinguished names in the
// notation BrokerAuthentication's authorizationAttributes use:
//
//	CN = Contoso Root CA Cert, OU = Engineering, C = US
//
// The broker's documentation does not say how it compares subjects; this
// package compares them as distinguished names (docs/assumptions.md,
// subjects-compare-as-names): split on unescaped commas, ignore spaces
// around '=' and ',', compare attribute types case-insensitively (CN, cn and
// 2.5.4.3 are the same type) and values exactly, in any order.
package dn

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"sort"
	"strings"
)

// Attribute is one type=value pair of a name.
type Attribute struct {
	// OID is the attribute type's object identifier, dotted ("2.5.4.3").
	OID string
	// Value is the attribute's value, unescaped.
	Value string
}

// Name is a distinguished name as a list of attributes, most specific first
// (CN before OU before C), which is the order people write them in.
type Name []Attribute

// types maps the short names people write to OIDs, and back.
var types = []struct{ short, oid string }{
	{"CN", "2.5.4.3"},
	{"SERIALNUMBER", "2.5.4.5"},
	{"C", "2.5.4.6"},
	{"L", "2.5.4.7"},
	{"ST", "2.5.4.8"},
	{"STREET", "2.5.4.9"},
	{"O", "2.5.4.10"},
	{"OU", "2.5.4.11"},
	{"TITLE", "2.5.4.12"},
	{"POSTALCODE", "2.5.4.17"},
	{"GN", "2.5.4.42"},
	{"SN", "2.5.4.4"},
	{"DC", "0.9.2342.19200300.100.1.25"},
	{"UID", "0.9.2342.19200300.100.1.1"},
	{"EMAILADDRESS", "1.2.840.113549.1.9.1"},
}

var aliases = map[string]string{"S": "2.5.4.8", "E": "1.2.840.113549.1.9.1", "EMAIL": "1.2.840.113549.1.9.1",
	"COMMONNAME": "2.5.4.3", "ORGANIZATION": "2.5.4.10", "ORGANIZATIONALUNIT": "2.5.4.11", "COUNTRY": "2.5.4.6"}

func oidFor(typ string) (string, bool) {
	u := strings.ToUpper(strings.TrimSpace(typ))
	for _, t := range types {
		if t.short == u {
			return t.oid, true
		}
	}
	if oid, ok := aliases[u]; ok {
		return oid, true
	}
	if isDottedOID(u) {
		return u, true
	}
	return "", false
}

func shortFor(oid string) string {
	for _, t := range types {
		if t.oid == oid {
			if t.short == "EMAILADDRESS" {
				return "emailAddress"
			}
			return t.short
		}
	}
	return oid
}

func isDottedOID(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || !strings.Contains(s, ".") {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' {
			return false
		}
	}
	return !strings.Contains(s, "..")
}

// Parse reads a name written as "CN = x, OU = y, C = US". '+' joins attributes
// of one RDN and is treated like ','. A backslash escapes the next character.
func Parse(s string) (Name, error) {
	var out Name
	for _, part := range splitUnescaped(s) {
		part = strings.TrimSpace(part)
		if part == "" {
			if strings.TrimSpace(s) == "" {
				return nil, fmt.Errorf("empty distinguished name")
			}
			return nil, fmt.Errorf("empty attribute in %q (a stray ','?)", s)
		}
		typ, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("attribute %q in %q has no '=': write TYPE = value, e.g. CN = my-device", part, s)
		}
		oid, known := oidFor(typ)
		if !known {
			return nil, fmt.Errorf("unknown attribute type %q in %q: use CN, OU, O, L, ST, C, DC, UID, emailAddress or a dotted OID", strings.TrimSpace(typ), s)
		}
		out = append(out, Attribute{OID: oid, Value: unescape(strings.TrimSpace(val))})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty distinguished name")
	}
	return out, nil
}

// splitUnescaped splits on ',' and '+' not preceded by a backslash and not
// inside double quotes.
func splitUnescaped(s string) []string {
	var parts []string
	var b strings.Builder
	escaped, quoted := false, false
	for _, r := range s {
		switch {
		case escaped:
			b.WriteRune('\\')
			b.WriteRune(r)
			escaped = false
		case r == '\\':
			escaped = true
		case r == '"':
			quoted = !quoted
			b.WriteRune(r)
		case (r == ',' || r == '+') && !quoted:
			parts = append(parts, b.String())
			b.Reset()
		default:
			b.WriteRune(r)
		}
	}
	if escaped {
		b.WriteRune('\\')
	}
	return append(parts, b.String())
}

func unescape(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	var b strings.Builder
	escaped := false
	for _, r := range v {
		if escaped {
			b.WriteRune(r)
			escaped = false
			continue
		}
		if r == '\\' {
			escaped = true
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// FromRDNs converts an encoded subject (in certificate order, least specific
// first) to a Name (most specific first).
func FromRDNs(seq pkix.RDNSequence) Name {
	var out Name
	for i := len(seq) - 1; i >= 0; i-- {
		for _, atv := range seq[i] {
			out = append(out, Attribute{OID: atv.Type.String(), Value: fmt.Sprint(atv.Value)})
		}
	}
	return out
}

// FromRawSubject parses a certificate's RawSubject (or RawIssuer).
func FromRawSubject(raw []byte) (Name, error) {
	var seq pkix.RDNSequence
	rest, err := asn1.Unmarshal(raw, &seq)
	if err != nil {
		return nil, fmt.Errorf("parsing subject: %w", err)
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("parsing subject: trailing data")
	}
	return FromRDNs(seq), nil
}

// FromPKIX converts a pkix.Name built in code (not parsed from a
// certificate) to a Name.
func FromPKIX(n pkix.Name) Name { return FromRDNs(n.ToRDNSequence()) }

// PKIX returns the name as a pkix.Name ready for a certificate template. The
// attributes are encoded in the order given, reversed (certificates store the
// least specific attribute first).
func (n Name) PKIX() (pkix.Name, error) {
	var seq pkix.RDNSequence
	for i := len(n) - 1; i >= 0; i-- {
		oid, err := parseOID(n[i].OID)
		if err != nil {
			return pkix.Name{}, err
		}
		seq = append(seq, pkix.RelativeDistinguishedNameSET{{Type: oid, Value: n[i].Value}})
	}
	var out pkix.Name
	out.FillFromRDNSequence(&seq)
	// ExtraNames keeps the exact order and every attribute when encoding.
	for _, rdn := range seq {
		out.ExtraNames = append(out.ExtraNames, rdn...)
	}
	return out, nil
}

func parseOID(s string) (asn1.ObjectIdentifier, error) {
	var oid asn1.ObjectIdentifier
	for _, p := range strings.Split(s, ".") {
		var v int
		if _, err := fmt.Sscanf(p, "%d", &v); err != nil {
			return nil, fmt.Errorf("bad OID %q", s)
		}
		oid = append(oid, v)
	}
	return oid, nil
}

// CommonName returns the first CN, or "".
func (n Name) CommonName() string {
	for _, a := range n {
		if a.OID == "2.5.4.3" {
			return a.Value
		}
	}
	return ""
}

// String writes the name in the authorizationAttributes notation, escaping
// characters that would change its meaning.
func (n Name) String() string {
	parts := make([]string, len(n))
	for i, a := range n {
		parts[i] = shortFor(a.OID) + " = " + escape(a.Value)
	}
	return strings.Join(parts, ", ")
}

func escape(v string) string {
	var b strings.Builder
	for i, r := range v {
		switch {
		case strings.ContainsRune(`,+"\<>;=`, r),
			(r == ' ' || r == '#') && i == 0,
			r == ' ' && i == len(v)-1:
			b.WriteRune('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Equal reports whether two names have the same attributes, in any order.
func Equal(a, b Name) bool {
	if len(a) != len(b) {
		return false
	}
	return key(a) == key(b)
}

func key(n Name) string {
	parts := make([]string, len(n))
	for i, a := range n {
		parts[i] = a.OID + "\x00" + a.Value
	}
	sort.Strings(parts)
	return strings.Join(parts, "\x01")
}
