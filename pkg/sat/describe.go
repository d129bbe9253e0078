package sat

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// Decoded is what `sat decode -o json` prints: the header and the claims,
// never the signature.
type Decoded struct {
	Header map[string]string `json:"header"`
	Claims map[string]any    `json:"claims"`
}

// NewDecoded builds the JSON form of a decoded token. The header holds the
// fields that are set; the claims are every claim as the token carries them.
func NewDecoded(h Header, c Claims) Decoded {
	header := map[string]string{"alg": h.Alg}
	if h.Kid != "" {
		header["kid"] = h.Kid
	}
	if h.Typ != "" {
		header["typ"] = h.Typ
	}
	claims := c.Raw
	if claims == nil {
		claims = map[string]any{}
	}
	return Decoded{Header: header, Claims: claims}
}

// modelled are the claims WriteText lays out itself; others are listed after
// them as JSON.
var modelled = map[string]bool{"iss": true, "sub": true, "aud": true, "exp": true, "nbf": true, "iat": true, "jti": true, "kubernetes.io": true}

// WriteText writes header and claims for a person: exp, nbf and iat as RFC
// 3339 times with how far they are from now.
func WriteText(w io.Writer, h Header, c Claims, now time.Time) {
	fmt.Fprintln(w, "Header:")
	row(w, 1, "alg", h.Alg)
	row(w, 1, "kid", h.Kid)
	row(w, 1, "typ", h.Typ)
	fmt.Fprintln(w, "Claims:")
	row(w, 1, "iss", c.Issuer)
	row(w, 1, "sub", c.Subject)
	row(w, 1, "aud", strings.Join(c.Audience, ", "))
	row(w, 1, "exp", timeWords(c.Expiry, now, "exp"))
	row(w, 1, "nbf", timeWords(c.NotBefore, now, "nbf"))
	row(w, 1, "iat", timeWords(c.IssuedAt, now, "iat"))
	row(w, 1, "jti", c.ID)
	if k := c.Kubernetes; k != nil {
		fmt.Fprintln(w, "  kubernetes.io:")
		row(w, 2, "namespace", k.Namespace)
		row(w, 2, "serviceaccount", refWords(&k.ServiceAccount))
		row(w, 2, "pod", refWords(k.Pod))
		row(w, 2, "node", refWords(k.Node))
		row(w, 2, "warnafter", timeWords(k.WarnAfter, now, "warnafter"))
	}
	var others []string
	for k := range c.Raw {
		if !modelled[k] {
			others = append(others, k)
		}
	}
	sort.Strings(others)
	for _, k := range others {
		v, _ := json.Marshal(c.Raw[k])
		row(w, 1, k, string(v))
	}
}

func row(w io.Writer, depth int, key, value string) {
	if value == "" {
		return
	}
	width := 4
	if depth > 1 {
		width = 15
	}
	// Claims are the token's, anyone's to write: escaped for the terminal.
	fmt.Fprintf(w, "%s%-*s %s\n", strings.Repeat("  ", depth), width, ui.Escape(key)+":", ui.Escape(value))
}

func refWords(r *Ref) string {
	if r == nil || (r.Name == "" && r.UID == "") {
		return ""
	}
	if r.UID == "" {
		return r.Name
	}
	return fmt.Sprintf("%s (uid %s)", r.Name, r.UID)
}

// timeWords writes a claim time with its distance from now, saying plainly
// when the token is expired or not valid yet.
func timeWords(t *time.Time, now time.Time, claim string) string {
	if t == nil {
		return ""
	}
	d := t.Sub(now)
	var rel string
	switch {
	case d > 0:
		rel = "in " + duration.HumanDuration(d)
	case d < 0:
		rel = duration.HumanDuration(-d) + " ago"
	default:
		rel = "now"
	}
	var state TimeState
	switch {
	case claim == "exp" && d <= 0:
		rel = "expired " + rel
		state = ExpiryState(*t, now)
	case claim == "nbf" && d > 0:
		rel = "not valid yet, " + rel
		state = NotBeforeState(*t, now)
	case claim == "iat" && d > 0:
		state = IssuedAtState(*t, now)
	}
	// Within the leeway the API server still accepts the token: say so,
	// as explain does, rather than leave "expired" to read as refused.
	if state == TimeInLeeway {
		rel += ", within " + LeewayWords
	}
	return fmt.Sprintf("%s (%s)", t.UTC().Format(time.RFC3339), rel)
}
