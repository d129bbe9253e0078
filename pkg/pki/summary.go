package pki

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// DefaultCAConfigMap is the ConfigMap name x509Settings.trustedClientCaCert
// defaults to.
const DefaultCAConfigMap = "client-ca"

// listedClients is how many clients the summary names one by one before it
// abbreviates a fleet.
const listedClients = 3

// WriteSummary tells the operator what was minted and what to do next: the
// files, each subject, validity, the `ca import` command, the mosquitto
// command of the operator page, and an authorizationAttributes snippet whose
// subjects match the minted certificates. It is written for stderr.
func (c *Chain) WriteSummary(w io.Writer, st *ui.Styles) {
	p := c.Plan
	dir := c.Dir()
	fmt.Fprintf(w, "%s in %s (%s keys, private keys mode 0600):\n", st.Bold.Render("Minted a test chain"), ui.Escape(dir), p.Key)
	rows := [][2]string{
		{"root CA", SubjectString(c.Root)},
		{"", RootCertFile + ", " + RootKeyFile},
		{"intermediate CA", SubjectString(c.Intermediate)},
		{"", IntermediateCertFile + ", " + IntermediateKeyFile},
	}
	for i, name := range c.Clients {
		if i == listedClients && len(c.Clients) > listedClients+1 {
			rest := len(c.Clients) - listedClients
			rows = append(rows, [2]string{"clients", fmt.Sprintf("... and %d more, %s to %s", rest, c.Clients[listedClients], c.Clients[len(c.Clients)-1])})
			break
		}
		rows = append(rows, [2]string{"client", "CN = " + name},
			[2]string{"", ClientCertFile(name) + ", " + ClientKeyFile(name)})
	}
	if c.Server != nil {
		rows = append(rows, [2]string{"server", SubjectString(c.Server) + " (" + sanList(c.Server) + ")"},
			[2]string{"", ServerCertFile + " (server + intermediate), " + ServerKeyFile})
	}
	rows = append(rows, [2]string{ChainFile, "intermediate + root: the client's --cafile"},
		[2]string{ClientCAFile, "root: the CA the broker trusts"})
	for _, r := range rows {
		fmt.Fprintf(w, "  %-16s %s\n", r[0], ui.Escape(r[1]))
	}
	fmt.Fprintf(w, "Valid from %s; the CAs until %s, %s until %s (%s).\n",
		formatTime(c.Root.NotBefore), formatTime(c.Root.NotAfter), leafWords(c), formatTime(p.LeafNotAfter),
		roundDuration(p.LeafNotAfter.Sub(p.NotBefore.Add(Backdate))))
	if p.Key.Type == KeyTypeOKP {
		fmt.Fprintf(w, "%s Ed25519 keys: the broker documents EC and RSA only; use this chain for local tests (--kty EC or RSA for the broker).\n", st.Warning.Render("warning:"))
	}

	fmt.Fprintf(w, "\n%s\n", st.Bold.Render("Next:"))
	fmt.Fprintf(w, "  # 1. Trust the root CA: the ConfigMap x509Settings.trustedClientCaCert names\n")
	fmt.Fprintf(w, "  %s\n", st.Code.Render(fmt.Sprintf("kubectl aio-authn ca import %s --name %s -n %s",
		ui.ShellQuote(filepath.Join(dir, ClientCAFile)), DefaultCAConfigMap, api.BrokerNamespace)))
	first := c.Clients[0]
	host := "<broker-address>"
	if c.Server != nil {
		host = c.Plan.Spec.ServerSANs[0]
	}
	fmt.Fprintf(w, "  # 2. Connect as %s (chain.pem must also verify the broker's own server certificate)\n", first)
	cd := ""
	if filepath.Clean(dir) != "." {
		cd = "cd " + ui.ShellQuote(dir) + " && "
	}
	fmt.Fprintf(w, "  %s\n", st.Code.Render(fmt.Sprintf("%smosquitto_pub -q 1 -t hello -d -V mqttv5 -m world -i %s -h %s --cert %s --key %s --cafile %s",
		cd, first, host, ClientCertFile(first), ClientKeyFile(first), ChainFile)))
	fmt.Fprintf(w, "  # 3. Attributes for these subjects, under x509Settings in the BrokerAuthentication\n")
	fmt.Fprintf(w, "  #    (attribute names and values are yours to choose)\n")
	for _, line := range strings.Split(strings.TrimRight(c.AttributesSnippet(), "\n"), "\n") {
		fmt.Fprintf(w, "  %s\n", line)
	}
}

func leafWords(c *Chain) string {
	s := "the client"
	if len(c.Clients) > 1 {
		s += "s"
	}
	if c.Server != nil {
		s += " and the server"
	}
	return s
}

// AttributesSnippet is an authorizationAttributes block whose subjects are
// exactly the minted CAs' and the named clients' (a fleet's leaves inherit
// the intermediate's entry: the broker stops at the first match walking up
// from the leaf).
func (c *Chain) AttributesSnippet() string {
	var b strings.Builder
	b.WriteString("authorizationAttributes:\n")
	entry := func(key, subject, attrKey, attrValue string) {
		fmt.Fprintf(&b, "  %s:\n    subject: %s\n    attributes:\n      %s: %s\n", key, quote(subject), attrKey, quote(attrValue))
	}
	entry("root", SubjectString(c.Root), "ca", "root")
	entry("intermediate", SubjectString(c.Intermediate), "ca", "intermediate")
	named := c.Clients
	if c.Plan.Spec.Count > 0 {
		named = c.Clients[:len(c.Clients)-c.Plan.Spec.Count]
	}
	for i, name := range named {
		if i == listedClients {
			break
		}
		entry(name, "CN = "+name, "device", name)
	}
	return b.String()
}

// quote writes s as a YAML double-quoted scalar (JSON strings are valid YAML).
func quote(s string) string {
	out, _ := json.Marshal(s)
	return string(out)
}

func sanList(c *x509.Certificate) string {
	var parts []string
	for _, d := range c.DNSNames {
		parts = append(parts, "DNS:"+d)
	}
	for _, ip := range c.IPAddresses {
		parts = append(parts, "IP:"+ip.String())
	}
	for _, e := range c.EmailAddresses {
		parts = append(parts, "email:"+e)
	}
	for _, u := range c.URIs {
		parts = append(parts, "URI:"+u.String())
	}
	return strings.Join(parts, ", ")
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// roundDuration says a lifetime in days when it is whole days, else as a Go
// duration.
func roundDuration(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return ui.Plural(int(d/(24*time.Hour)), "day")
	}
	return d.String()
}
