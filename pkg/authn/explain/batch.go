package explain

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/exitcode"
	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// LineError is the output line for a batch line that could not be explained.
type LineError struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

// ExitCode is the exit code for one decision: 0 granted, 1 denied, 3
// indeterminate.
func ExitCode(d *authn.Decision) int {
	switch d.Decision {
	case authn.Granted:
		return exitcode.OK
	case authn.Denied:
		return exitcode.Failure
	}
	return exitcode.Indeterminate
}

// severity orders exit codes from best to worst for a batch: a bad line
// (2) is worse than an undecided case (3), which is worse than a denial.
func severity(code int) int {
	switch code {
	case exitcode.OK:
		return 0
	case exitcode.Failure:
		return 1
	case exitcode.Indeterminate:
		return 2
	}
	return 3
}

// chunkLines is how many lines are explained concurrently before their
// results are written, in order.
const chunkLines = 512

// batchItem is one line of a batch and what became of it.
type batchItem struct {
	n    int
	line []byte
	// bad is why the line could not even be read (it is too long).
	bad  error
	out  []byte
	code int
	err  error
}

// Batch explains one case per line of in (JSON, the fields of Case; blank
// lines are skipped) and writes one compact JSON decision per line to out,
// in input order. A line that cannot be explained, or is longer than
// input.BatchLine's cap, is reported on errOut as "name:line: message" and
// as a LineError on out, and the batch goes on. Lines are explained on
// Workers goroutines (GOMAXPROCS when zero): cases are independent, and
// custom auth server calls wait on the network; the decisions are written
// every chunkLines lines. The files the defaults name (explain's flags) are
// read first, and may be FIFOs (bash's process substitution); those the
// cases name must be regular files. The result is the worst exit code of
// all lines.
func (r *Runner) Batch(ctx context.Context, in io.Reader, name string, defaults Case, out, errOut io.Writer) (int, error) {
	for _, f := range []struct {
		path string
		kind input.Kind
	}{{defaults.PasswordFile, input.Password}, {defaults.AuthDataFile, input.Token}, {defaults.SATFile, input.Token}, {defaults.Cert, input.PEM}} {
		if f.path != "" {
			if _, err := r.read(f.path, f.kind); err != nil {
				return exitcode.Usage, err
			}
		}
	}
	r.mu.Lock()
	r.regularOnly = true
	r.mu.Unlock()
	lines := bufio.NewReaderSize(in, 64<<10)
	w := bufio.NewWriter(out)
	worst := exitcode.OK
	workers := r.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	chunk := make([]batchItem, 0, chunkLines)
	flush := func() error {
		r.explainChunk(ctx, chunk, defaults, workers)
		for _, it := range chunk {
			if it.err != nil {
				fmt.Fprintf(errOut, "%s:%d: %s\n", ui.Escape(name), it.n, ui.Escape(it.err.Error()))
			}
			if severity(it.code) > severity(worst) {
				worst = it.code
			}
			w.Write(it.out)
			w.WriteByte('\n')
		}
		chunk = chunk[:0]
		// What is decided is shown, even if a later line never comes.
		return w.Flush()
	}
	for n := 1; ; n++ {
		line, err := readLine(lines, input.BatchLine.Max)
		if errors.Is(err, io.EOF) {
			if o, ok := in.(*input.Opened); ok && o.Over() {
				// Cut at the cap: what was read is decided and shown.
				if err := flush(); err != nil {
					return exitcode.Usage, err
				}
				return exitcode.Usage, o.Err()
			}
			break
		}
		var item batchItem
		switch {
		case errors.Is(err, errLineTooLong):
			item = batchItem{n: n, bad: fmt.Errorf("the line is longer than %s, the cap for a %s: name files in cases (cert, satFile, passwordFile, authDataFile) instead of inlining them",
				input.FormatSize(input.BatchLine.Max), input.BatchLine.Name)}
		case err != nil:
			flush()
			return exitcode.Usage, fmt.Errorf("%s:%d: %v", ui.Escape(name), n, err)
		default:
			line = bytes.TrimSpace(line)
			if len(line) == 0 {
				continue
			}
			item = batchItem{n: n, line: line}
		}
		chunk = append(chunk, item)
		if len(chunk) == chunkLines {
			if err := flush(); err != nil {
				return exitcode.Usage, err
			}
		}
	}
	return worst, flush()
}

// errLineTooLong is readLine's error for a line over the cap.
var errLineTooLong = errors.New("line too long")

// readLine returns the next line of r (without its newline), or io.EOF. A
// line longer than max is read to its end but not kept: errLineTooLong.
func readLine(r *bufio.Reader, max int64) ([]byte, error) {
	var line []byte
	over := false
	for {
		part, err := r.ReadSlice('\n')
		if !over {
			if int64(len(line)+len(part)) > max+1 {
				over, line = true, nil
			} else {
				line = append(line, part...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(line) == 0 && !over {
				return nil, io.EOF
			}
		case err != nil:
			return nil, err
		}
		if over {
			return nil, errLineTooLong
		}
		return bytes.TrimSuffix(line, []byte("\n")), nil
	}
}

// explainChunk explains the items on workers goroutines.
func (r *Runner) explainChunk(ctx context.Context, items []batchItem, defaults Case, workers int) {
	if workers == 1 {
		for i := range items {
			r.explainItem(ctx, &items[i], defaults)
		}
		return
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(items)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r.explainItem(ctx, &items[i], defaults)
			}
		}()
	}
	for i := range items {
		next <- i
	}
	close(next)
	wg.Wait()
}

func (r *Runner) explainItem(ctx context.Context, it *batchItem, defaults Case) {
	if it.bad != nil {
		it.err = it.bad
		it.out, _ = json.Marshal(LineError{Line: it.n, Error: it.bad.Error()})
		it.code = exitcode.Usage
		return
	}
	d, err := r.batchLine(ctx, it.line, defaults)
	if err == nil {
		var scratch [2048]byte
		var out []byte
		out, err = d.AppendJSON(scratch[:0])
		it.out = append([]byte(nil), out...)
		it.code = ExitCode(d)
	}
	if err != nil {
		it.err = err
		it.out, _ = json.Marshal(LineError{Line: it.n, Error: err.Error()})
		it.code = exitcode.Usage
	}
}

func (r *Runner) batchLine(ctx context.Context, line []byte, defaults Case) (*authn.Decision, error) {
	var c Case
	err := json.Unmarshal(line, &c)
	if err == nil {
		err = unknownField(line)
	}
	if err != nil {
		return nil, fmt.Errorf("not a case: %v (want one JSON object per line with the fields of explain's flags, e.g. {\"cert\": \"client.pem\"})", err)
	}
	d, _, err := r.Explain(ctx, c.Over(defaults))
	return d, err
}
