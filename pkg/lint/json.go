package lint

import (
	"bufio"
	"encoding/json"
	"io"
	"runtime"
)

// JSONReporter writes the Result as the JSON document of docs/contracts.md:
// {"summary": {...}, "findings": [...]}, indented, every finding with all
// its fields (empty strings where a field does not apply).
type JSONReporter struct{}

// Report writes the JSON document, a finding at a time: what encoding the
// whole Result at once would write, without holding all of it in memory.
func (JSONReporter) Report(w io.Writer, r *Result) error {
	bw := bufio.NewWriter(w)
	summary, err := json.MarshalIndent(r.Summary, "  ", "  ")
	if err != nil {
		return err
	}
	bw.WriteString("{\n  \"summary\": ")
	bw.Write(summary)
	bw.WriteString(",\n  \"findings\": ")
	switch {
	case r.Findings == nil:
		bw.WriteString("null")
	case len(r.Findings) == 0:
		bw.WriteString("[]")
	default:
		bw.WriteString("[")
		err := encodeFindings(r.Findings, func(i int, b []byte) {
			if i > 0 {
				bw.WriteString(",")
			}
			bw.WriteString("\n    ")
			bw.Write(b)
		})
		if err != nil {
			return err
		}
		bw.WriteString("\n  ]")
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}

// findingBatch is how many findings one core encodes at a time.
const findingBatch = 256

// encodeFindings marshals each finding as an element of the findings array
// and hands it to write, in order. Encoding is most of the report's time,
// and it comes after every other core has finished checking: a large
// result is encoded a batch at a time on every core, with a few batches
// in flight, so that memory stays bounded. Each finding is marshalled by
// itself in either case, so the bytes are the same.
func encodeFindings(fs []Finding, write func(i int, b []byte)) error {
	workers := min(runtime.GOMAXPROCS(0), (len(fs)+findingBatch-1)/findingBatch)
	if workers <= 1 {
		for i := range fs {
			b, err := json.MarshalIndent(fs[i], "    ", "  ")
			if err != nil {
				return err
			}
			write(i, b)
		}
		return nil
	}
	type batch struct {
		start int
		out   [][]byte
		err   error
		done  chan struct{}
	}
	jobs := make(chan *batch)
	// queue holds the batches in order; its capacity bounds how many are
	// encoded ahead of the writer.
	queue := make(chan *batch, 2*workers)
	go func() {
		defer close(jobs)
		defer close(queue)
		for start := 0; start < len(fs); start += findingBatch {
			b := &batch{start: start, done: make(chan struct{})}
			queue <- b
			jobs <- b
		}
	}()
	for range workers {
		go func() {
			for b := range jobs {
				for i := b.start; i < min(b.start+findingBatch, len(fs)); i++ {
					enc, err := json.MarshalIndent(fs[i], "    ", "  ")
					if err != nil {
						b.err = err
						break
					}
					b.out = append(b.out, enc)
				}
				close(b.done)
			}
		}()
	}
	var err error
	// Every batch is waited for, even after an error, so that no
	// goroutine is left behind.
	for b := range queue {
		<-b.done
		if err == nil {
			err = b.err
		}
		if err != nil {
			continue
		}
		for j, enc := range b.out {
			write(b.start+j, enc)
		}
	}
	return err
}
