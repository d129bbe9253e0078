package sat

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// rawToken builds an unsigned-looking token from literal JSON so the decoder
// is tested on exactly the bytes a cluster or a hand-made tool would send.
func rawToken(header, payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + "." + enc([]byte("sig"))
}

func TestDecodeBoundToken(t *testing.T) {
	tok := rawToken(`{"alg":"RS256","kid":"k1","typ":"JWT"}`, `{
		"aud":["aio-internal","https://kubernetes.default.svc"],
		"exp":1767225600,"iat":1767222000,"nbf":1767222000.5,
		"iss":"https://kubernetes.default.svc.cluster.local",
		"jti":"j-1",
		"kubernetes.io":{"namespace":"azure-iot-operations",
			"node":{"name":"n1","uid":"u-node"},
			"pod":{"name":"mqtt-client","uid":"u-pod"},
			"serviceaccount":{"name":"mqtt-client","uid":"u-sa"},
			"warnafter":1767222600},
		"sub":"system:serviceaccount:azure-iot-operations:mqtt-client"}`)
	h, c, err := Decode(tok + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if h != (Header{Alg: "RS256", Kid: "k1", Typ: "JWT"}) {
		t.Errorf("header = %+v", h)
	}
	if got := strings.Join(c.Audience, ","); got != "aio-internal,https://kubernetes.default.svc" {
		t.Errorf("aud = %s", got)
	}
	if c.Subject != "system:serviceaccount:azure-iot-operations:mqtt-client" || c.Issuer != "https://kubernetes.default.svc.cluster.local" || c.ID != "j-1" {
		t.Errorf("claims = %+v", c)
	}
	if !c.Expiry.Equal(time.Unix(1767225600, 0)) || !c.IssuedAt.Equal(time.Unix(1767222000, 0)) {
		t.Errorf("exp/iat = %v %v", c.Expiry, c.IssuedAt)
	}
	if !c.NotBefore.Equal(time.Unix(1767222000, 5e8)) {
		t.Errorf("fractional nbf = %v", c.NotBefore)
	}
	k := c.Kubernetes
	if k == nil || k.Namespace != "azure-iot-operations" || k.ServiceAccount != (Ref{"mqtt-client", "u-sa"}) ||
		k.Pod == nil || *k.Pod != (Ref{"mqtt-client", "u-pod"}) || k.Node == nil || k.Node.Name != "n1" ||
		k.WarnAfter == nil || !k.WarnAfter.Equal(time.Unix(1767222600, 0)) {
		t.Errorf("kubernetes.io = %+v", k)
	}
	if _, ok := c.Raw["kubernetes.io"]; !ok {
		t.Error("Raw lacks kubernetes.io")
	}
}

func TestDecodeAudienceString(t *testing.T) {
	_, c, err := Decode(rawToken(`{"alg":"ES256"}`, `{"aud":"only-one","sub":"s"}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Audience) != 1 || c.Audience[0] != "only-one" {
		t.Errorf("aud = %q", c.Audience)
	}
	if c.Expiry != nil || c.Kubernetes != nil {
		t.Errorf("absent claims should be nil: %+v", c)
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, tc := range []struct {
		name, token, want string
	}{
		{"empty", "  ", "empty"},
		{"two parts", "a.b", "2 dot-separated parts"},
		{"jwe", "a.b.c.d.e", "encrypted token"},
		{"header not base64", "!!.e30.c2ln", "header is not base64url"},
		{"header not json", rawToken(`nope`, `{}`), "header is not a JSON object"},
		{"no alg", rawToken(`{"typ":"JWT"}`, `{}`), `no "alg"`},
		{"alg number", rawToken(`{"alg":1}`, `{}`), `header "alg" is a number`},
		{"crit", rawToken(`{"alg":"RS256","crit":["x"]}`, `{}`), `"crit"`},
		{"payload array", rawToken(`{"alg":"RS256"}`, `[1]`), "payload is not a JSON object"},
		{"payload null", rawToken(`{"alg":"RS256"}`, `null`), "payload is not a JSON object"},
		{"aud number", rawToken(`{"alg":"RS256"}`, `{"aud":5}`), `"aud" is a number`},
		{"aud list of numbers", rawToken(`{"alg":"RS256"}`, `{"aud":["a",5]}`), `"aud"[1] is a number`},
		{"exp string", rawToken(`{"alg":"RS256"}`, `{"exp":"tomorrow"}`), `"exp" is a string`},
		{"exp huge", rawToken(`{"alg":"RS256"}`, `{"exp":1e300}`), `"exp" is not a usable time`},
		{"k8s not object", rawToken(`{"alg":"RS256"}`, `{"kubernetes.io":"x"}`), `"kubernetes.io" is a string`},
		{"pod not object", rawToken(`{"alg":"RS256"}`, `{"kubernetes.io":{"pod":[]}}`), `.pod is a list`},
		{"sa name number", rawToken(`{"alg":"RS256"}`, `{"kubernetes.io":{"serviceaccount":{"name":3}}}`), `"name" is a number`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Decode(tc.token)
			var me *MalformedError
			if !errors.As(err, &me) {
				t.Fatalf("err = %v, want a MalformedError", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

// FuzzScannersMatchMapDecoder: whatever the scanners accept, the map
// decoders accept with the same result, so the batch path reads every
// token exactly as `sat decode` does.
func FuzzScannersMatchMapDecoder(f *testing.F) {
	for _, s := range []string{
		`{"aud":["a","b"],"exp":1767225600,"nbf":1.5,"iss":"i","sub":"s\u00e9","jti":null,"kubernetes.io":{"namespace":"n","pod":{"name":"p","uid":"u"},"serviceaccount":null,"warnafter":3}}`,
		`{"aud":"x","aud":null,"exp":1,"exp":null,"EXP":5}`,
		`{"alg":"RS256","kid":"k","typ":"JWT","x":[1,{"y":true}]}`,
		`{"kubernetes.io":null}`, `{} trailing`, `{"aud":[1]}`, `{"exp":1e400}`, "{\"s\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if c, ok := scanClaims(b); ok {
			want, err := parseClaims(b)
			if err != nil {
				t.Fatalf("scanner accepted claims the map decoder rejects (%v): %q", err, b)
			}
			want.Raw = nil
			if !reflect.DeepEqual(c, want) {
				t.Fatalf("claims differ for %q:\nscan %+v\nmap  %+v", b, c, want)
			}
		}
		if h, ok := scanHeader(b); ok {
			var raw map[string]any
			if json.Unmarshal(b, &raw) != nil {
				t.Fatalf("scanner accepted a header that is not JSON: %q", b)
			}
			want, err := parseHeaderMap(b)
			if err != nil || h != want {
				t.Fatalf("header %q: scan %+v, map %+v (%v)", b, h, want, err)
			}
		}
	})
}

func TestClaimsServiceAccount(t *testing.T) {
	tests := []struct {
		name     string
		claims   Claims
		ns, want string
	}{
		{"kubernetes.io claim wins", Claims{Subject: "system:serviceaccount:other:sub",
			Kubernetes: &KubernetesClaims{Namespace: "aio", ServiceAccount: Ref{Name: "mqtt-client"}}}, "aio", "mqtt-client"},
		{"subject when no claim", Claims{Subject: "system:serviceaccount:aio:sensor"}, "aio", "sensor"},
		{"claim without a service account name", Claims{Subject: "system:serviceaccount:aio:sensor",
			Kubernetes: &KubernetesClaims{Namespace: "aio"}}, "aio", "sensor"},
		{"not a service account", Claims{Subject: "alice"}, "", ""},
		{"too many parts", Claims{Subject: "system:serviceaccount:a:b:c"}, "", ""},
	}
	for _, tt := range tests {
		ns, name := tt.claims.ServiceAccount()
		if ns != tt.ns || name != tt.want {
			t.Errorf("%s: ServiceAccount() = %q/%q, want %q/%q", tt.name, ns, name, tt.ns, tt.want)
		}
	}
}
