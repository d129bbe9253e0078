package explain

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
	"github.com/aio-authn/kubectl-aio-authn/pkg/bundle"
	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

// TestBatchGoesOnPastBadLines: a line over the cap and a case naming a FIFO
// are bad cases with their line numbers; the cases around them are
// explained, in order.
func TestBatchGoesOnPastBadLines(t *testing.T) {
	b, err := bundle.Read([]string{"../../../testdata/examples"}, nil, manifest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "cert.pem")
	if err := testenv.MakeFIFO(fifo); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	granted := `{"listener": "default", "port": 1883}`
	long := `{"username": "` + strings.Repeat("u", int(input.BatchLine.Max)) + `"}`
	lines := []string{granted, long, granted, `{"cert": "` + fifo + `"}`, granted}

	r := &Runner{Bundle: b, Workers: 2}
	var out, errOut bytes.Buffer
	done := make(chan BatchResult, 1)
	go func() {
		res, err := r.Batch(context.Background(), strings.NewReader(strings.Join(lines, "\n")), "cases", Case{}, &out, &errOut)
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	select {
	case res := <-done:
		if want := (BatchResult{Granted: 3, Unexplained: 2}); res != want {
			t.Errorf("%+v, want %+v", res, want)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the batch hung on a FIFO")
	}
	got := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(got) != len(lines) {
		t.Fatalf("%d output lines for %d cases:\n%s", len(got), len(lines), out.String())
	}
	for i, want := range []string{"granted", "the line is longer than 4 MiB, the cap for a batch line", "granted", fifo + ": not a regular file (a FIFO)", "granted"} {
		var d struct {
			Decision string `json:"decision"`
			Line     int    `json:"line"`
			Error    string `json:"error"`
		}
		if err := json.Unmarshal([]byte(got[i]), &d); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, got[i])
		}
		switch {
		case d.Decision != "" && d.Decision != want:
			t.Errorf("line %d: decision %s, want %s", i+1, d.Decision, want)
		case d.Decision == "" && (d.Line != i+1 || !strings.HasPrefix(d.Error, want)):
			t.Errorf("line %d: {line %d, error %q}, want {line %d, error %q...}", i+1, d.Line, d.Error, i+1, want)
		}
	}
	if !strings.Contains(errOut.String(), "cases:2: the line is longer than") || !strings.Contains(errOut.String(), "cases:4: ") {
		t.Errorf("stderr:\n%s", errOut.String())
	}
}

// TestBatchShowsDecisionsBeforeALaterLineArrives: output is flushed after
// each chunk, so a batch fed by a slow pipe shows what it decided.
func TestBatchShowsDecisionsBeforeALaterLineArrives(t *testing.T) {
	b, err := bundle.Read([]string{"../../../testdata/examples"}, nil, manifest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	outR, outW := io.Pipe()
	r := &Runner{Bundle: b, Workers: 2}
	go func() {
		r.Batch(context.Background(), pr, "cases", Case{}, outW, io.Discard)
		outW.Close()
	}()
	go func() {
		for range chunkLines {
			pw.Write([]byte(`{"listener": "default", "port": 1883}` + "\n"))
		}
		// No more lines, and no end of input, for now.
	}()
	first := make(chan string, 1)
	go func() {
		buf := make([]byte, 64)
		n, _ := outR.Read(buf)
		first <- string(buf[:n])
	}()
	select {
	case s := <-first:
		if !strings.HasPrefix(s, `{"decision":"granted"`) {
			t.Errorf("first output %q", s)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no decision written while the input stays open")
	}
	pw.Close()
	go io.Copy(io.Discard, outR)
}
