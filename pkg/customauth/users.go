package customauth

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
	"golang.org/x/crypto/bcrypt"

	"github.com/aio-authn/kubectl-aio-authn/pkg/dn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// Users is a checked users file: the entries a custom auth server (serve
// custom-auth) answers from. Three lists, each entry either granting (with
// attributes and an expiry) or denying with a fixed reason:
//
//	users:                       # username/password CONNECTs
//	- username: alice
//	  password: wonderland       # or passwordHash: "$2a$..." (bcrypt)
//	  attributes: {group: g1}
//	  expiresAfter: 1h           # or expiry: 2030-01-01T00:00:00Z
//	- username: bob
//	  deny: {reason: 135, message: "account locked"}
//	certificates:                # CONNECTs with a client chain: the leaf
//	- subject: "CN = smart-fan"  # or sha256: <hex of the leaf's DER>
//	  attributes: {device: fan}
//	enhanced:                    # CONNECT or AUTH with enhanced authentication
//	- method: PSK-DEMO
//	  dataSha256: <hex of the SHA-256 of the data>
//
// A Users is never changed once parsed, so a server may share it between
// requests and swap in a new one on reload.
type Users struct {
	// Path names the file in errors and in the entries' positions.
	Path         string
	users        map[string]*userEntry
	certificates []*certificateEntry
	enhanced     []*enhancedEntry
}

// answer is what a matching entry says: a grant with attributes and an
// expiry, or a fixed denial.
type answer struct {
	line         int
	attributes   map[string]string
	expiresAfter time.Duration
	expiry       *time.Time
	deny         *DeniedResponse
}

type userEntry struct {
	answer
	username string
	// password is the SHA-256 of a plain password, so that comparing it
	// takes the same time whatever the length of the guess.
	password     *[sha256.Size]byte
	passwordHash []byte
}

type certificateEntry struct {
	answer
	subject dn.Name
	sha256  []byte
}

type enhancedEntry struct {
	answer
	method     string
	dataSHA256 []byte
}

// Summary counts the entries: "2 users, 1 certificate, 1 enhanced".
func (u *Users) Summary() string {
	return ui.Plural(len(u.users), "user") + ", " + ui.Plural(len(u.certificates), "certificate") + ", " +
		strconv.Itoa(len(u.enhanced)) + " enhanced"
}

// LoadUsers reads and checks a users file. Every error names the file and,
// past reading it, the line, and says what to write instead.
func LoadUsers(path string) (*Users, error) {
	data, err := input.ReadFile(path, input.Users)
	if err != nil {
		return nil, err
	}
	return ParseUsers(path, data)
}

// usersExample is the shape of a users file, for errors about its top level.
const usersExample = `users: [{username: alice, password: wonderland}]`

// ParseUsers is LoadUsers for data already read; name is used in errors.
func ParseUsers(name string, data []byte) (*Users, error) {
	f := manifest.ParseAs(name, data, input.Users)
	if f.Err != nil {
		return nil, fmt.Errorf("%w: fix the YAML", f.Err)
	}
	if len(f.Documents) == 0 {
		return nil, fmt.Errorf("%s: holds no entries: list users, certificates or enhanced, like %s", name, usersExample)
	}
	if len(f.Documents) > 1 {
		return nil, fmt.Errorf("%s:%d: a second YAML document: put every entry in one document", name, f.Documents[1].Line)
	}
	doc := f.Documents[0]
	if prob := doc.AliasProblem(); prob != nil {
		return nil, fmt.Errorf("%s:%d: %s: write the repeated parts out", name, prob.Pos.Line, prob.Msg)
	}
	p := usersParser{file: name}
	top, err := p.fields(doc.Root, "the file", []string{"users", "certificates", "enhanced"},
		"a users file has users, certificates and enhanced lists, like "+usersExample)
	if err != nil {
		return nil, err
	}
	u := &Users{Path: name, users: map[string]*userEntry{}}
	err = p.list(top["users"], "users", func(i int, n *yaml.Node) error {
		e, err := p.user(i, n)
		if err != nil {
			return err
		}
		if first, dup := u.users[e.username]; dup {
			return p.errorf(n, "users[%d]: user %q is already at line %d: keep one entry per user", i, e.username, first.line)
		}
		u.users[e.username] = e
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = p.list(top["certificates"], "certificates", func(i int, n *yaml.Node) error {
		e, err := p.certificate(i, n)
		if err != nil {
			return err
		}
		for _, o := range u.certificates {
			if (e.subject != nil && o.subject != nil && dn.Equal(e.subject, o.subject)) || (e.sha256 != nil && bytes.Equal(e.sha256, o.sha256)) {
				return p.errorf(n, "certificates[%d]: the same certificate as line %d: keep one entry per certificate", i, o.line)
			}
		}
		u.certificates = append(u.certificates, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = p.list(top["enhanced"], "enhanced", func(i int, n *yaml.Node) error {
		e, err := p.enhancedEntry(i, n)
		if err != nil {
			return err
		}
		for _, o := range u.enhanced {
			if o.method == e.method && bytes.Equal(o.dataSHA256, e.dataSHA256) {
				return p.errorf(n, "enhanced[%d]: the same method and data as line %d: keep one entry per credential", i, o.line)
			}
		}
		u.enhanced = append(u.enhanced, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// usersParser turns the YAML nodes of a users file into entries, with errors
// at file:line.
type usersParser struct{ file string }

func (p usersParser) errorf(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", p.file, n.Line, fmt.Sprintf(format, args...))
}

// field is one key of a mapping and its value.
type field struct{ key, value *yaml.Node }

// fields reads mapping n, refusing a non-mapping, a key given twice, and any
// key not in allowed (hint says what the mapping holds).
func (p usersParser) fields(n *yaml.Node, what string, allowed []string, hint string) (map[string]field, error) {
	n = manifest.Resolve(n)
	if n.Kind != yaml.MappingNode {
		return nil, p.errorf(n, "%s: expected a mapping: %s", what, hint)
	}
	out := map[string]field{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := manifest.Resolve(n.Content[i]), manifest.Resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return nil, p.errorf(k, "%s: a key that is not a string: %s", what, hint)
		}
		if first, dup := out[k.Value]; dup {
			return nil, p.errorf(k, "%s: %s appears twice (first at line %d): keep one", what, k.Value, first.key.Line)
		}
		known := false
		for _, a := range allowed {
			known = known || a == k.Value
		}
		if !known {
			return nil, p.errorf(k, "%s: unknown key %q: %s", what, k.Value, hint)
		}
		out[k.Value] = field{key: k, value: v}
	}
	return out, nil
}

// list calls each for every item of a top-level list; a missing or empty
// list has none.
func (p usersParser) list(f field, name string, each func(int, *yaml.Node) error) error {
	if f.value == nil || f.value.Tag == "!!null" {
		return nil
	}
	if f.value.Kind != yaml.SequenceNode {
		return p.errorf(f.value, "%s: expected a list of entries (each starting with \"- \")", name)
	}
	for i, item := range f.value.Content {
		if err := each(i, manifest.Resolve(item)); err != nil {
			return err
		}
	}
	return nil
}

// text is the value of a scalar key as written; a mapping, list or empty
// value is an error saying what to write.
func (p usersParser) text(f field, what, want string) (string, error) {
	v := f.value
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" || v.Value == "" {
		return "", p.errorf(v, "%s: expected %s", what, want)
	}
	return v.Value, nil
}

// answerKeys are the keys every kind of entry has.
var answerKeys = []string{"attributes", "expiresAfter", "expiry", "deny"}

// entry reads the keys of an entry: its own keys and those every entry has
// (what it answers).
func (p usersParser) entry(n *yaml.Node, what, hint string, own ...string) (map[string]field, answer, error) {
	fs, err := p.fields(n, what, append(own, answerKeys...), hint)
	if err != nil {
		return nil, answer{}, err
	}
	a, err := p.answer(n, fs, what)
	return fs, a, err
}

// answer reads the keys every entry shares: what it answers.
func (p usersParser) answer(entry *yaml.Node, fs map[string]field, what string) (answer, error) {
	a := answer{line: entry.Line, attributes: map[string]string{}}
	if f, ok := fs["attributes"]; ok && f.value.Tag != "!!null" {
		m := f.value
		if m.Kind != yaml.MappingNode {
			return a, p.errorf(m, "%s.attributes: expected a mapping of names to values, like {group: g1}", what)
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := manifest.Resolve(m.Content[i]), manifest.Resolve(m.Content[i+1])
			if k.Kind != yaml.ScalarNode || k.Value == "" {
				return a, p.errorf(k, "%s.attributes: names must be non-empty strings", what)
			}
			if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
				return a, p.errorf(v, "%s.attributes.%s: expected a value such as g1", what, k.Value)
			}
			if _, dup := a.attributes[k.Value]; dup {
				return a, p.errorf(k, "%s.attributes: %s appears twice: keep one", what, k.Value)
			}
			// The value as written: 17 and yes are the strings "17"
			// and "yes", since attributes are strings on the wire.
			a.attributes[k.Value] = v.Value
		}
	}
	after, hasAfter := fs["expiresAfter"]
	at, hasAt := fs["expiry"]
	switch {
	case hasAfter && hasAt:
		return a, p.errorf(at.key, "%s: both expiresAfter and expiry: keep one", what)
	case hasAfter:
		s, err := p.text(after, what+".expiresAfter", "a duration such as 1h or 30m")
		if err != nil {
			return a, err
		}
		d, err := pki.ParseDuration(s)
		if err != nil || d <= 0 {
			return a, p.errorf(after.value, "%s.expiresAfter: %q is not a positive duration: write one such as 1h, 30m or 7d", what, s)
		}
		a.expiresAfter = d
	case hasAt:
		s, err := p.text(at, what+".expiry", "an RFC 3339 time such as 2030-01-01T00:00:00Z")
		if err != nil {
			return a, err
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return a, p.errorf(at.value, "%s.expiry: %q is not an RFC 3339 time: write it like 2030-01-01T00:00:00Z", what, s)
		}
		t = t.UTC()
		a.expiry = &t
	}
	if f, ok := fs["deny"]; ok {
		for _, k := range answerKeys[:3] {
			if g, set := fs[k]; set {
				return a, p.errorf(g.key, "%s: %s with deny: a denial carries no %s; remove one of them", what, k, k)
			}
		}
		d, err := p.deny(f, what+".deny")
		if err != nil {
			return a, err
		}
		a.deny = d
	}
	return a, nil
}

// deny reads {reason, message}.
func (p usersParser) deny(f field, what string) (*DeniedResponse, error) {
	fs, err := p.fields(f.value, what, []string{"reason", "message"}, `write deny: {reason: 135, message: "account locked"}`)
	if err != nil {
		return nil, err
	}
	r, ok := fs["reason"]
	if !ok {
		return nil, p.errorf(f.key, "%s: reason is missing: the MQTT reason code the broker sends in CONNACK, such as 135 (not authorized)", what)
	}
	n, err := strconv.ParseUint(r.value.Value, 0, 8)
	if r.value.Kind != yaml.ScalarNode || err != nil {
		return nil, p.errorf(r.value, "%s.reason: %q is not a reason code: write a whole number from 0 to 255, such as 135 (not authorized)", what, r.value.Value)
	}
	code := uint8(n)
	d := &DeniedResponse{Reason: &code}
	if m, ok := fs["message"]; ok {
		if d.Message, err = p.text(m, what+".message", "a string for the broker's log"); err != nil {
			return nil, err
		}
	}
	return d, nil
}

const userKeys = "a user has username, password or passwordHash (or deny), attributes and expiresAfter or expiry"

func (p usersParser) user(i int, n *yaml.Node) (*userEntry, error) {
	what := fmt.Sprintf("users[%d]", i)
	fs, a, err := p.entry(n, what, userKeys, "username", "password", "passwordHash")
	if err != nil {
		return nil, err
	}
	e := &userEntry{answer: a}
	name, ok := fs["username"]
	if !ok {
		return nil, p.errorf(n, "%s: username is missing: %s", what, userKeys)
	}
	if e.username, err = p.text(name, what+".username", "the MQTT username"); err != nil {
		return nil, err
	}
	plain, hasPlain := fs["password"]
	hash, hasHash := fs["passwordHash"]
	switch {
	case hasPlain && hasHash:
		return nil, p.errorf(hash.key, "%s: both password and passwordHash: keep one", what)
	case a.deny != nil && (hasPlain || hasHash):
		k := plain.key
		if hasHash {
			k = hash.key
		}
		return nil, p.errorf(k, "%s: user %q has %s and deny: a denied user is refused whatever the password; remove one of them", what, e.username, k.Value)
	case hasPlain:
		s, err := p.text(plain, what+".password", `the password, or passwordHash: "$2a$..." (bcrypt)`)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256([]byte(s))
		e.password = &sum
	case hasHash:
		s, err := p.text(hash, what+".passwordHash", `a bcrypt hash such as "$2y$05$..." (what follows "user:" in the output of htpasswd -nbB user password)`)
		if err != nil {
			return nil, err
		}
		if _, err := bcrypt.Cost([]byte(s)); err != nil {
			return nil, p.errorf(hash.value, "%s.passwordHash: not a bcrypt hash (%v): make one with htpasswd -nbB user password (the part after \"user:\") and quote it", what, err)
		}
		e.passwordHash = []byte(s)
	case a.deny == nil:
		return nil, p.errorf(n, "%s: user %q has no password, passwordHash or deny: give one", what, e.username)
	}
	return e, nil
}

const certificateKeys = "a certificate entry has subject or sha256, attributes and expiresAfter or expiry (or deny)"

func (p usersParser) certificate(i int, n *yaml.Node) (*certificateEntry, error) {
	what := fmt.Sprintf("certificates[%d]", i)
	fs, a, err := p.entry(n, what, certificateKeys, "subject", "sha256")
	if err != nil {
		return nil, err
	}
	e := &certificateEntry{answer: a}
	subject, hasSubject := fs["subject"]
	sum, hasSum := fs["sha256"]
	switch {
	case hasSubject && hasSum:
		return nil, p.errorf(sum.key, "%s: both subject and sha256: keep one", what)
	case hasSubject:
		s, err := p.text(subject, what+".subject", `a distinguished name such as "CN = smart-fan, O = Contoso"`)
		if err != nil {
			return nil, err
		}
		if e.subject, err = dn.Parse(s); err != nil {
			return nil, p.errorf(subject.value, "%s.subject: %v", what, err)
		}
	case hasSum:
		if e.sha256, err = p.sha256(sum, what+".sha256", "the leaf certificate's DER (the SHA256 line of `kubectl aio-authn ca inspect`)"); err != nil {
			return nil, err
		}
	default:
		return nil, p.errorf(n, "%s: subject or sha256 is missing: %s", what, certificateKeys)
	}
	return e, nil
}

const enhancedKeys = "an enhanced entry has method, dataSha256, attributes and expiresAfter or expiry (or deny)"

func (p usersParser) enhancedEntry(i int, n *yaml.Node) (*enhancedEntry, error) {
	what := fmt.Sprintf("enhanced[%d]", i)
	fs, a, err := p.entry(n, what, enhancedKeys, "method", "dataSha256")
	if err != nil {
		return nil, err
	}
	e := &enhancedEntry{answer: a}
	m, ok := fs["method"]
	if !ok {
		return nil, p.errorf(n, "%s: method is missing: the MQTT authentication method, such as K8S-SAT", what)
	}
	if e.method, err = p.text(m, what+".method", "the MQTT authentication method, such as K8S-SAT"); err != nil {
		return nil, err
	}
	d, ok := fs["dataSha256"]
	if !ok {
		return nil, p.errorf(n, "%s: dataSha256 is missing: the SHA-256 of the authentication data (sha256sum of the token file)", what)
	}
	if e.dataSHA256, err = p.sha256(d, what+".dataSha256", "the authentication data (sha256sum of the token file)"); err != nil {
		return nil, err
	}
	return e, nil
}

// sha256 reads a SHA-256 in hex, with or without colons (OpenSSL writes
// them), in either case.
func (p usersParser) sha256(f field, what, of string) ([]byte, error) {
	s, err := p.text(f, what, "the SHA-256 in hex of "+of)
	if err != nil {
		return nil, err
	}
	b, err := hex.DecodeString(strings.ReplaceAll(s, ":", ""))
	if err != nil || len(b) != sha256.Size {
		return nil, p.errorf(f.value, "%s: %q is not a SHA-256 in hex (64 hex digits): give the SHA-256 of %s", what, s, of)
	}
	return b, nil
}
