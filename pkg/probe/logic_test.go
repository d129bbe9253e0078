package probe

import (
	"strings"
	"testing"
	"time"

	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
)

func TestParseServer(t *testing.T) {
	tests := []struct {
		in   string
		want Server
		err  string
	}{
		{"mqtts://broker.example.com:18883", Server{Host: "broker.example.com", Port: 18883, TLS: true}, ""},
		{"mqtt://127.0.0.1:1883", Server{Host: "127.0.0.1", Port: 1883}, ""},
		{"MQTTS://[::1]:8883", Server{Host: "::1", Port: 8883, TLS: true}, ""},
		{"mqtts://broker", Server{Host: "broker", Port: 8883, TLS: true}, ""},
		{"mqtt://broker", Server{Host: "broker", Port: 1883}, ""},
		{"broker:1883", Server{}, "has no scheme"},
		{"ssl://broker:8883", Server{}, `unknown scheme "ssl"`},
		{"mqtt://broker:0", Server{}, "not a number from 1 to 65535"},
		{"mqtt://broker:99999", Server{}, "not a number from 1 to 65535"},
		{"mqtt://user@broker:1883", Server{}, "nothing else"},
		{"mqtt://broker:1883/topic", Server{}, "nothing else"},
		{"mqtt://:1883", Server{}, "has no host"},
	}
	for _, tt := range tests {
		got, err := ParseServer(tt.in)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseServer(%q) error %v, want %q", tt.in, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("ParseServer(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	if s := (Server{Host: "::1", Port: 8883, TLS: true}).String(); s != "mqtts://[::1]:8883" {
		t.Errorf("String() = %q", s)
	}
}

func TestCheckTopic(t *testing.T) {
	for topic, want := range map[string]string{
		"probe/hello": "",
		"probe/+":     "wildcard",
		"probe/#":     "wildcard",
		"a\x00b":      "NUL",
		"\xff":        "UTF-8",
	} {
		err := checkTopic(topic)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("checkTopic(%q) = %v, want %q", topic, err, want)
		}
	}
}

func code(c uint8) *uint8 { return &c }

func TestVerdict(t *testing.T) {
	tests := []struct {
		name string
		r    Result
		want Verdict
	}{
		{"connected", Result{Outcome: Connected}, Pass},
		{"refused", Result{Outcome: Refused}, Fail},
		{"tls-rejected", Result{Outcome: TLSRejected}, Fail},
		{"no-connack", Result{Outcome: NoConnack}, NoVerdict},
		{"unreachable", Result{Outcome: Unreachable}, NoVerdict},
		{"round trip", Result{Outcome: Connected, PubSub: &PubSub{SubscribeCode: code(1), PublishCode: code(0), Received: true}}, Pass},
		{"subscribe refused", Result{Outcome: Connected, PubSub: &PubSub{SubscribeCode: code(0x87), PublishCode: code(0)}}, Fail},
		{"message lost", Result{Outcome: Connected, PubSub: &PubSub{SubscribeCode: code(1), PublishCode: code(0)}}, NoVerdict},
		{"reauth failed", Result{Outcome: Connected, Reauth: &Reauth{Result: ReauthFailed}}, Fail},
		{"reauth continue", Result{Outcome: Connected, Reauth: &Reauth{Result: ReauthContinue}}, NoVerdict},
		{"no verdict outranks a refusal", Result{Outcome: Connected, Reauth: &Reauth{Result: ReauthTimeout}, PubSub: &PubSub{SubscribeCode: code(0x87)}}, NoVerdict},
		{"ended during hold", Result{Outcome: Connected, hold: true, Disconnect: &Disconnect{By: ByNetwork}}, Fail},
		{"ended without hold", Result{Outcome: Connected, Disconnect: &Disconnect{By: ByNetwork}}, Pass},
	}
	for _, tt := range tests {
		if got := tt.r.Verdict(); got != tt.want {
			t.Errorf("%s: verdict %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCompare(t *testing.T) {
	x509 := v1.MethodX509
	sat := v1.MethodServiceAccountToken
	zero := 0
	granted := &Prediction{Decision: authn.Granted, Method: &x509, MethodIndex: &zero, Connack: authn.ConnackFor(0)}
	denied := &Prediction{Decision: authn.Denied, Method: &x509, MethodIndex: &zero, Connack: authn.ConnackFor(0x87)}
	deniedSAT := &Prediction{Decision: authn.Denied, Method: &sat, MethodIndex: &zero, Connack: authn.ConnackFor(0x87)}
	undecided := &Prediction{Decision: authn.Indeterminate, Method: &sat, MethodIndex: &zero, Reason: "no key to verify the token"}
	connected := &Result{Outcome: Connected, Connack: &Connack{Code: 0, Name: "Success"}}
	refused87 := &Result{Outcome: Refused, Connack: &Connack{Code: 0x87, Name: "Not authorized"}}
	refused86 := &Result{Outcome: Refused, Connack: &Connack{Code: 0x86, Name: "Bad User Name or Password"}}
	sent := false
	noCert := &Result{Outcome: Connected, Connack: &Connack{Code: 0}, Transport: Transport{TLS: true, ClientCertSent: &sent}}
	tests := []struct {
		name                     string
		r                        *Result
		p                        *Prediction
		agree, codeMatch, decide bool
		note                     string
	}{
		{"both grant", connected, granted, true, true, true, ""},
		{"both refuse", refused87, denied, true, true, true, ""},
		{"codes differ", refused86, denied, true, false, true, "different codes"},
		{"live grants", connected, denied, false, false, true, "the live broker answered CONNACK 0x00"},
		{"live refuses", refused87, granted, false, false, true, "the prediction is granted"},
		{"TLS rejection of a chain", &Result{Outcome: TLSRejected}, denied, true, false, true, "in the TLS handshake"},
		{"TLS rejection, other method", &Result{Outcome: TLSRejected}, deniedSAT, true, false, true, "refused the TLS handshake"},
		{"TLS rejection, predicted grant", &Result{Outcome: TLSRejected}, granted, false, false, true, "tls-rejected"},
		{"no live verdict", &Result{Outcome: Unreachable}, granted, false, false, false, "no live verdict"},
		{"indeterminate", connected, undecided, false, false, false, "no key to verify"},
		{"certificate not asked for", noCert, granted, true, true, true, "did not ask for a client certificate"},
	}
	for _, tt := range tests {
		c := Compare(tt.r, tt.p)
		if c.Agree != tt.agree || c.CodeMatch != tt.codeMatch || c.Decided() != tt.decide {
			t.Errorf("%s: %+v (decided %v), want agree %v codeMatch %v decided %v", tt.name, c, c.Decided(), tt.agree, tt.codeMatch, tt.decide)
		}
		notes := strings.Join(c.Notes, "\n")
		if (tt.note == "") != (notes == "") || !strings.Contains(notes, tt.note) {
			t.Errorf("%s: notes %q, want %q", tt.name, notes, tt.note)
		}
	}
}

func TestAbridge(t *testing.T) {
	x509 := v1.MethodX509
	one := 1
	d := &authn.Decision{Decision: authn.Denied, Method: &x509, MethodIndex: &one, Connack: authn.ConnackFor(0x87),
		Steps: []authn.Step{{Index: 0, Reason: "not relevant"}, {Index: 1, Reason: "chain not verified"}}}
	if p := Abridge(d); p.Reason != "chain not verified" || *p.Method != x509 || p.Connack.Code != 0x87 {
		t.Errorf("Abridge = %+v", p)
	}
	none := &authn.Decision{Decision: authn.Denied, Connack: authn.ConnackFor(0x8C)}
	if p := Abridge(none); !strings.Contains(p.Reason, "no method is relevant") {
		t.Errorf("Abridge without a deciding entry: %q", p.Reason)
	}
}

func TestFirstConnack(t *testing.T) {
	// AUTH 0x18 first, then CONNACK 0x00 with Retain Available 0 and a
	// reason string.
	data := []byte{0xF0, 0x02, 0x18, 0x00, 0x20, 0x09, 0x00, 0x00, 0x06, 0x25, 0x00, 0x1F, 0x00, 0x01, 'x'}
	ca := firstConnack(data)
	if ca == nil {
		t.Fatal("no CONNACK found")
	}
	c := connackFromWire(ca)
	if c.Code != 0 || c.ReasonString != "x" || c.Properties.RetainAvailable == nil || *c.Properties.RetainAvailable || c.Properties.MaximumQoS != nil {
		t.Errorf("CONNACK %+v, properties %+v", c, c.Properties)
	}
	// An MQTT 3.1.1 broker answers without properties.
	c = connackFromWire(firstConnack([]byte{0x20, 0x02, 0x00, 0x01}))
	if c.Code != 1 || !strings.Contains(c.Name, "unacceptable protocol version") || !strings.Contains(c.Name, "MQTT 3.1.1") {
		t.Errorf("3.1.1 CONNACK %+v", c)
	}
	if firstConnack([]byte{0x20, 0x05, 0x00}) != nil {
		t.Error("a truncated packet decoded")
	}
}

func TestPercentiles(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if l := percentiles(d); l != (Latency{P50: 50, P90: 90, P99: 99, Max: 100}) {
		t.Errorf("percentiles = %+v", l)
	}
	if l := percentiles(nil); l != (Latency{}) {
		t.Errorf("percentiles(nil) = %+v", l)
	}
}

func TestSecretsInClear(t *testing.T) {
	for _, tt := range []struct {
		srv   Server
		creds Credentials
		want  bool
	}{
		{Server{Host: "broker.example.com", Port: 1883}, Credentials{Username: "u", Password: []byte("p")}, true},
		{Server{Host: "10.0.0.5", Port: 1883}, Credentials{AuthMethod: "K8S-SAT", AuthData: []byte("t")}, true},
		{Server{Host: "127.0.0.1", Port: 1883}, Credentials{Password: []byte("p")}, false},
		{Server{Host: "localhost", Port: 1883}, Credentials{Password: []byte("p")}, false},
		{Server{Host: "broker.example.com", Port: 8883, TLS: true}, Credentials{Password: []byte("p")}, false},
		{Server{Host: "broker.example.com", Port: 1883}, Credentials{Username: "u"}, false},
	} {
		p, err := New(Config{Server: tt.srv, Credentials: tt.creds})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.SecretsInClear(); got != tt.want {
			t.Errorf("%s %+v: SecretsInClear = %v", tt.srv, tt.creds, got)
		}
	}
}
