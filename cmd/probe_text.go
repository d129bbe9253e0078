package cmd

import (
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/authn/explain"
	"github.com/aio-authn/kubectl-aio-authn/pkg/probe"
	"github.com/aio-authn/kubectl-aio-authn/pkg/reasoncode"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// probeHeading is what the text output says besides the result.
type probeHeading struct {
	server   string
	clientID string
	hold     time.Duration
	// decision and target are explain's, when a prediction was made.
	decision *authn.Decision
	target   explain.Target
}

// The marks of probe's text output, as explain's trace uses them.
const (
	markOK      = "✓"
	markFailed  = "✗"
	markUnknown = "?"
)

// writeProbeText writes what an operator reads: the outcome first, then one
// row per thing the probe saw, then the prediction beside it. Everything
// the broker sent is escaped before it reaches the terminal.
func writeProbeText(w io.Writer, r *probe.Result, h probeHeading, st *ui.Styles) error {
	var b strings.Builder
	b.WriteString(outcomeLine(r, st) + "\n")
	row := func(label, text string) { fmt.Fprintf(&b, "  %-13s %s\n", label, text) }
	row("server", fmt.Sprintf("%s, client id %q", ui.Escape(h.server), h.clientID))
	tr := r.Transport
	switch {
	case !tr.TLS:
		row("transport", "plain TCP, no TLS")
	case tr.Version != "":
		row("TLS", tr.Version+", "+tr.Cipher+", "+certSentText(tr.ClientCertSent))
	case tr.ClientCertSent != nil:
		row("TLS", "handshake not completed, "+certSentText(tr.ClientCertSent))
	}
	for i, s := range tr.ServerChain {
		label := ""
		if i == 0 {
			label = "server chain"
		}
		row(label, ui.Escape(s))
	}
	row("timings", timingsText(r.Timings))
	if r.Connack != nil {
		row("CONNACK", connackText(r.Connack))
	}
	if ps := r.PubSub; ps != nil {
		row("pub/sub", pubsubText(ps, st))
	}
	if a := r.Reauth; a != nil {
		row("re-auth", reauthText(a, st))
	}
	switch {
	case r.Disconnect != nil:
		row("ended", disconnectText(r.Disconnect, st))
	case h.hold > 0 && r.Outcome == probe.Connected:
		row("hold", st.Success.Render(markOK)+fmt.Sprintf(" still connected after %s; the probe sent DISCONNECT 0x00", h.hold))
	}
	if r.Prediction != nil && h.decision != nil {
		label := "prediction"
		if head := explain.Heading(h.target); head != "" {
			row(label, head)
			label = ""
		}
		row(label, explain.Verdict(h.decision, st))
		row("", "because "+ui.Escape(r.Prediction.Reason))
		c := r.Comparison
		row("comparison", comparisonText(c, st))
		for _, n := range c.Notes {
			row("", "note: "+ui.Escape(n))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func outcomeLine(r *probe.Result, st *ui.Styles) string {
	switch r.Outcome {
	case probe.Connected:
		return st.Success.Render(markOK+" connected") + " — " + connackName(r.Connack)
	case probe.Refused:
		s := st.Error.Render(markFailed+" refused") + " — " + connackName(r.Connack)
		if r.Connack.ReasonString != "" {
			s += fmt.Sprintf(": %q", ui.Escape(r.Connack.ReasonString))
		}
		return s
	case probe.TLSRejected:
		return st.Error.Render(markFailed+" TLS rejected") + " — " + ui.Escape(r.Error)
	case probe.NoConnack:
		return st.Warning.Render(markUnknown+" no CONNACK") + " — " + ui.Escape(r.Error)
	}
	return st.Warning.Render(markUnknown+" unreachable") + " — " + ui.Escape(r.Error)
}

func connackName(c *probe.Connack) string {
	return fmt.Sprintf("CONNACK 0x%02X %s", c.Code, ui.Escape(c.Name))
}

func certSentText(sent *bool) string {
	if sent != nil && *sent {
		return "client certificate sent"
	}
	return "no client certificate sent"
}

func timingsText(t probe.Timings) string {
	var parts []string
	for _, x := range []struct {
		name string
		ms   *float64
	}{{"dial", t.DialMs}, {"TLS", t.TLSMs}, {"CONNECT→CONNACK", t.ConnackMs}} {
		if x.ms != nil {
			parts = append(parts, x.name+" "+msText(*x.ms))
		}
	}
	return strings.Join(parts, ", ")
}

func msText(ms float64) string { return fmt.Sprintf("%.1f ms", ms) }

// connackText lists the CONNACK's flags and the properties it carried, by
// their JSON names.
func connackText(c *probe.Connack) string {
	parts := []string{"session present " + yesNo(c.SessionPresent)}
	if c.ReasonString != "" {
		parts = append(parts, fmt.Sprintf("reasonString %q", ui.Escape(c.ReasonString)))
	}
	v := reflect.ValueOf(c.Properties)
	for i := 0; i < v.NumField(); i++ {
		f, name := v.Field(i), strings.Split(v.Type().Field(i).Tag.Get("json"), ",")[0]
		switch {
		case f.Kind() == reflect.Pointer && !f.IsNil():
			parts = append(parts, name+" "+ui.Escape(fmt.Sprint(f.Elem().Interface())))
		case f.Kind() == reflect.Slice:
			for _, u := range c.Properties.UserProperties {
				parts = append(parts, fmt.Sprintf("userProperty %q=%q", ui.Escape(u.Key), ui.Escape(u.Value)))
			}
		}
	}
	if len(parts) == 1 {
		parts = append(parts, "no properties")
	}
	return strings.Join(parts, ", ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func codeText(kind string, code *uint8) string {
	if code == nil {
		return "no " + kind
	}
	return fmt.Sprintf("%s 0x%02X %s", kind, *code, reasoncode.Name(kind, *code))
}

func pubsubText(ps *probe.PubSub, st *ui.Styles) string {
	parts := []string{codeText(reasoncode.Suback, ps.SubscribeCode)}
	if ps.SubscribeCode != nil {
		parts = append(parts, codeText(reasoncode.Puback, ps.PublishCode))
	}
	mark := st.Success.Render(markOK)
	switch {
	case ps.Received:
		parts = append(parts, "own message back in "+msText(*ps.RoundTripMs))
	case probe.RefusalCode(ps.SubscribeCode) || probe.RefusalCode(ps.PublishCode):
		mark = st.Error.Render(markFailed)
	default:
		mark = st.Warning.Render(markUnknown)
	}
	if ps.ReasonString != "" {
		parts = append(parts, fmt.Sprintf("reason %q", ui.Escape(ps.ReasonString)))
	}
	if ps.Error != "" {
		parts = append(parts, ui.Escape(ps.Error))
	}
	return mark + " " + strings.Join(parts, ", ")
}

func reauthText(a *probe.Reauth, st *ui.Styles) string {
	var s string
	switch a.Result {
	case probe.ReauthSuccess:
		s = st.Success.Render(markOK) + " success: " + codeText(reasoncode.Auth, a.Code)
	case probe.ReauthFailed:
		s = st.Error.Render(markFailed) + " failed: the broker answered " + codeText(reasoncode.Disconnect, a.Code)
	case probe.ReauthContinue:
		s = st.Warning.Render(markUnknown) + " continue: the broker answered " + codeText(reasoncode.Auth, a.Code) + ", it could not decide for now"
	case probe.ReauthTimeout:
		s = st.Warning.Render(markUnknown) + " timeout: no answer"
	default:
		s = st.Warning.Render(markUnknown) + " connection lost: closed without an answer"
	}
	if a.ReasonString != "" {
		s += fmt.Sprintf(": %q", ui.Escape(a.ReasonString))
	}
	return s
}

func disconnectText(d *probe.Disconnect, st *ui.Styles) string {
	after := fmt.Sprintf(" after %s", msText(d.AfterMs))
	if d.By == probe.ByServer {
		s := st.Error.Render(markFailed) + " the broker sent " + codeText(reasoncode.Disconnect, d.Code)
		if d.ReasonString != "" {
			s += fmt.Sprintf(": %q", ui.Escape(d.ReasonString))
		}
		return s + after
	}
	s := st.Error.Render(markFailed) + " closed without DISCONNECT" + after
	if d.Error != "" {
		s += " (" + ui.Escape(d.Error) + ")"
	}
	return s
}

func comparisonText(c *probe.Comparison, st *ui.Styles) string {
	switch {
	case c.Agree && c.CodeMatch:
		return st.Success.Render(markOK+" agree") + ", same CONNACK code"
	case c.Agree:
		return st.Success.Render(markOK+" agree") + ", CONNACK codes differ"
	case c.Decided():
		return st.Error.Render(markFailed + " disagree")
	}
	return st.Warning.Render(markUnknown + " cannot compare")
}

// writeRateText writes a connect-rate run: counts, rate, latency.
func writeRateText(w io.Writer, r *probe.RateResult, server string, concurrency int, st *ui.Styles) error {
	var b strings.Builder
	mark := st.Success.Render(markOK)
	switch r.Verdict() {
	case probe.Fail:
		mark = st.Error.Render(markFailed)
	case probe.NoVerdict:
		mark = st.Warning.Render(markUnknown)
	}
	errors := 0
	kinds := make([]string, 0, len(r.Errors))
	for k, n := range r.Errors {
		errors += n
		kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
	}
	sort.Strings(kinds)
	fmt.Fprintf(&b, "%s %d connects to %s, %d at a time: %d ok, %d refused, %d errors\n", mark, r.Connects, ui.Escape(server), concurrency, r.OK, r.Refused, errors)
	if len(kinds) > 0 {
		fmt.Fprintf(&b, "  %-9s %s (probe once without --count to see why)\n", "errors", strings.Join(kinds, ", "))
	}
	fmt.Fprintf(&b, "  %-9s %.1f connects/s\n", "rate", r.ConnectsPerSec)
	l := r.LatencyMs
	fmt.Fprintf(&b, "  %-9s p50 %s, p90 %s, p99 %s, max %s (dial to CONNACK)\n", "latency", msText(l.P50), msText(l.P90), msText(l.P99), msText(l.Max))
	_, err := io.WriteString(w, b.String())
	return err
}
