package explain

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/pkg/bundle"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

func ptr[T any](v T) *T { return &v }

func TestCaseOverDefaults(t *testing.T) {
	defaults := Case{Authn: "default", Cert: "fan.pem", SATFile: "tok.jwt", Password: ptr("pw"), Now: "2026-01-01T00:00:00Z"}
	for _, tc := range []struct {
		name string
		line Case
		want Case
	}{
		{"empty line takes every default", Case{}, defaults},
		{"a listener replaces --authn", Case{Listener: "l", Port: ptr(int32(1))},
			Case{Listener: "l", Port: ptr(int32(1)), Cert: "fan.pem", SATFile: "tok.jwt", Password: ptr("pw"), Now: "2026-01-01T00:00:00Z"}},
		{"inline auth data replaces --sat-file", Case{AuthMethod: "X", AuthData: ptr("d")},
			Case{Authn: "default", Cert: "fan.pem", AuthMethod: "X", AuthData: ptr("d"), Password: ptr("pw"), Now: "2026-01-01T00:00:00Z"}},
		{"a line's adrDevice replaces --adr-device", Case{ADRDevice: "missing"},
			Case{Authn: "default", Cert: "fan.pem", SATFile: "tok.jwt", Password: ptr("pw"), ADRDevice: "missing", Now: "2026-01-01T00:00:00Z"}},
		{"a password file replaces --password", Case{PasswordFile: "p"},
			Case{Authn: "default", Cert: "fan.pem", SATFile: "tok.jwt", PasswordFile: "p", Now: "2026-01-01T00:00:00Z"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.line.Over(defaults)
			if g, w := dumpCase(got), dumpCase(tc.want); g != w {
				t.Errorf("got  %s\nwant %s", g, w)
			}
		})
	}
}

func dumpCase(c Case) string {
	s := c
	out := []string{s.Authn, s.Listener, s.Username, s.PasswordFile, s.AuthMethod, s.AuthDataFile, s.SATFile, s.Cert, s.CustomResult, s.ADRDevice, s.Now}
	if s.Port != nil {
		out = append(out, "port")
	}
	if s.Password != nil {
		out = append(out, "password="+*s.Password)
	}
	if s.AuthData != nil {
		out = append(out, "data="+*s.AuthData)
	}
	return strings.Join(out, "|")
}

// TestBatchCountsOutcomes: every line is counted once, by what became of
// it; the command layer turns the counts into the exit status.
func TestBatchCountsOutcomes(t *testing.T) {
	b, err := bundle.Read([]string{"../../../testdata/examples"}, nil, manifest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	const (
		granted   = `{"listener": "default", "port": 1883}`
		denied    = `{"username": "u", "customResult": "unreachable"}`
		undecided = `{"satFile": "../../../testdata/examples/tokens/mqtt-client.jwt", "customResult": "unreachable", "now": "2026-06-01T00:00:00Z"}`
		bad       = `{"port": "x"}`
	)
	for _, tc := range []struct {
		lines []string
		want  BatchResult
	}{
		{[]string{granted}, BatchResult{Granted: 1}},
		{[]string{granted, denied}, BatchResult{Granted: 1, Denied: 1}},
		{[]string{undecided, denied, granted, granted}, BatchResult{Granted: 2, Denied: 1, Indeterminate: 1}},
		{[]string{denied, bad, undecided}, BatchResult{Denied: 1, Indeterminate: 1, Unexplained: 1}},
		{nil, BatchResult{}},
	} {
		r := &Runner{Bundle: b, Workers: 2}
		var out, errOut bytes.Buffer
		res, err := r.Batch(context.Background(), strings.NewReader(strings.Join(tc.lines, "\n")), "cases", Case{}, &out, &errOut)
		if err != nil || res != tc.want {
			t.Errorf("%v: %+v (%v), want %+v\n%s", tc.lines, res, err, tc.want, errOut.String())
		}
		if n := strings.Count(out.String(), "\n"); n != len(tc.lines) {
			t.Errorf("%v: %d output lines", tc.lines, n)
		}
	}
}

func TestUnknownField(t *testing.T) {
	for line, want := range map[string]string{
		`{"cert": "a:b", "now" : "x"}`:           "",
		`{"cert": "x", "usrname": "u"}`:          `json: unknown field "usrname"`,
		`{"CERT": "x"}`:                          `json: unknown field "CERT"`,
		`{"c\u0065rt": "x"}`:                     "",
		`{"cert": "{\"nested\": 1}", "x\"y": 1}`: `json: unknown field "x\"y"`,
		`{}`:                                     "",
	} {
		err := unknownField([]byte(line))
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("unknownField(%s) = %q, want %q", line, got, want)
		}
	}
}

// TestBatchLinesAreEachCaseAlone: over several chunks of mixed cases, whose
// decisions differ in length and reuse the previous chunk's buffers, each
// output line is exactly what a batch of that one line writes.
func TestBatchLinesAreEachCaseAlone(t *testing.T) {
	b, err := bundle.Read([]string{"../../../testdata/examples"}, nil, manifest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }
	distinct := []string{
		`{"listener": "default", "port": 1883}`,
		`{"username": "u", "customResult": "unreachable"}`,
		`{"satFile": "../../../testdata/examples/tokens/mqtt-client.jwt", "customResult": "unreachable", "now": "2026-06-01T00:00:00Z"}`,
		`{"port": "x"}`,
	}
	alone := make([]string, len(distinct))
	for i, line := range distinct {
		var out bytes.Buffer
		r := &Runner{Bundle: b, Workers: 1, Clock: clock}
		if _, err := r.Batch(context.Background(), strings.NewReader(line), "cases", Case{}, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		alone[i] = strings.TrimSuffix(out.String(), "\n")
	}
	var lines, want []string
	for n := 1; n <= 3*chunkLines+7; n++ {
		i := (n * 7 / 3) % len(distinct)
		lines = append(lines, distinct[i])
		want = append(want, strings.Replace(alone[i], `{"line":1,`, fmt.Sprintf(`{"line":%d,`, n), 1))
	}
	var out bytes.Buffer
	r := &Runner{Bundle: b, Workers: 2, Clock: clock}
	if _, err := r.Batch(context.Background(), strings.NewReader(strings.Join(lines, "\n")), "cases", Case{}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("%d output lines for %d cases", len(got), len(want))
	}
	for n := range want {
		if got[n] != want[n] {
			t.Fatalf("line %d:\n got %s\nwant %s", n+1, got[n], want[n])
		}
	}
}
