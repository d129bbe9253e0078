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
	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// LineError is the output line for a batch line that could not be explained.
type LineError struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

// BatchResult counts what became of a batch's lines.
type BatchResult struct {
	Granted, Denied, Indeterminate int
	// Unexplained lines could not be explained as given: not a case, too
	// long, a case naming a file that cannot be read, or a case the bundle
	// cannot answer. Each is reported on its line.
	Unexplained int
}

func (r *BatchResult) add(it *batchItem) {
	switch {
	case it.err != nil:
		r.Unexplained++
	case it.result == authn.Granted:
		r.Granted++
	case it.result == authn.Denied:
		r.Denied++
	default:
		r.Indeterminate++
	}
}

// chunkLines is how many lines are explained concurrently before their
// results are written, in order.
const chunkLines = 512

// batchItem is one line of a batch and what became of it.
type batchItem struct {
	n    int
	line []byte
	// bad is why the line could not even be read (it is too long).
	bad error
	// out is the line's output, written into the buffer of the item that
	// held this place in the previous chunk (push).
	out    []byte
	result authn.Result
	err    error
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
// cases name must be regular files. The result counts the lines' outcomes;
// the error is why the batch stopped before its end.
func (r *Runner) Batch(ctx context.Context, in io.Reader, name string, defaults Case, out, errOut io.Writer) (BatchResult, error) {
	var res BatchResult
	for _, f := range []struct {
		path string
		kind input.Kind
	}{{defaults.PasswordFile, input.Password}, {defaults.AuthDataFile, input.Token}, {defaults.SATFile, input.Token}, {defaults.Cert, input.PEM}} {
		if f.path != "" {
			if _, err := r.read(f.path, f.kind); err != nil {
				return res, err
			}
		}
	}
	r.mu.Lock()
	r.regularOnly = true
	r.mu.Unlock()
	lines := bufio.NewReaderSize(in, 64<<10)
	w := bufio.NewWriter(out)
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
			res.add(&it)
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
					return res, err
				}
				return res, o.Err()
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
			return res, &input.Error{Path: fmt.Sprintf("%s:%d", name, n), Err: err}
		default:
			line = bytes.TrimSpace(line)
			if len(line) == 0 {
				continue
			}
			item = batchItem{n: n, line: line}
		}
		chunk = push(chunk, item)
		if len(chunk) == chunkLines {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	return res, flush()
}

// push appends item to chunk, keeping the output buffer of the item that
// held its place in the previous chunk: a batch of thousands of lines
// writes its decisions into a chunk's worth of buffers.
func push(chunk []batchItem, item batchItem) []batchItem {
	if len(chunk) < cap(chunk) {
		item.out = chunk[:len(chunk)+1][len(chunk)].out[:0]
	}
	return append(chunk, item)
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
		return
	}
	d, err := r.batchLine(ctx, it.line, defaults)
	if err == nil {
		it.out, err = d.AppendJSON(it.out[:0])
		it.result = d.Decision
	}
	if err != nil {
		it.err = err
		it.out, _ = json.Marshal(LineError{Line: it.n, Error: err.Error()})
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
