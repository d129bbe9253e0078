package authn

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
)

func sampleDecision(text, user, key, value string, unix int64, code uint8) *Decision {
	m, i := v1.MethodX509, 2
	at := time.Unix(unix, unix%1000).UTC()
	return &Decision{
		Decision: Granted, Method: &m, MethodIndex: &i, Username: &user,
		Attributes: map[string]string{key: value, "b": text}, ExpiresAt: &at,
		Connack: connack(code),
		Steps: []Step{
			{Index: 0, Method: "Custom", Result: NotRelevant, Reason: text},
			{Index: 1, Method: "X509", Relevant: true, Result: Granted, Reason: value,
				Checks: []Check{{Name: "chain", OK: true, Detail: text}, {Name: key, OK: false}, {Name: "issuer", OK: true, Skipped: true, Detail: value}}},
		},
		Warnings: []string{text, user},
	}
}

// FuzzAppendJSON: the batch encoder writes exactly what json.Marshal
// writes, whatever the strings hold.
func FuzzAppendJSON(f *testing.F) {
	f.Add("plain", "smart-fan", "building", "17", int64(2051222400), uint8(0))
	f.Add("<&>\"\\\n\t\b\f\x00\x7f é \u2028\u2029 \xff\xfe", "\x01", "", "💡", int64(-62135596800), uint8(0x86))
	f.Add("", "", "k", "v", int64(253402300799), uint8(0x8C))
	f.Fuzz(func(t *testing.T, text, user, key, value string, unix int64, code uint8) {
		d := sampleDecision(text, user, key, value, unix, code)
		want, werr := json.Marshal(d)
		got, gerr := d.AppendJSON(nil)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("errors differ: %v / %v", werr, gerr)
		}
		if werr == nil && !bytes.Equal(got, want) {
			t.Fatalf("AppendJSON\n%s\njson.Marshal\n%s", got, want)
		}
	})
}

func TestAppendJSONNulls(t *testing.T) {
	for _, d := range []*Decision{
		{Decision: Denied},
		{Decision: Indeterminate, Attributes: map[string]string{}, Steps: []Step{}, Warnings: []string{}},
		Disabled("l", 1883),
	} {
		want, _ := json.Marshal(d)
		got, err := d.AppendJSON([]byte("x"))
		if err != nil || string(got) != "x"+string(want) {
			t.Errorf("AppendJSON = %s, %v\nwant x%s", got, err, want)
		}
	}
}

// BenchmarkDecisionJSON compares AppendJSON with json.Marshal on a granted
// X.509 decision of two steps, the shape explain --batch writes most. The
// figures in decisionjson.go's opening comment come from here.
func BenchmarkDecisionJSON(b *testing.B) {
	d := sampleDecision("chain verified to trusted CA \"CN = Contoso Root CA Cert, OU = Engineering, C = US\"",
		"smart-fan", "building", "17", 2051222400, 0)
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			var err error
			if buf, err = d.AppendJSON(buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(d); err != nil {
				b.Fatal(err)
			}
		}
	})
}
