// Checking files and documents in parallel.
//
// FAST PATH. validate reads its inputs on a pool of workers, one file per
// worker, and hands groups of a file's documents to idle cores; the plain
// way is one file after another with every document checked in order, which
// is what Options.Workers = 1 does. Measured with BenchmarkValidateCorpus
// (`go test ./pkg/lint -run '^$' -bench ValidateCorpus -benchmem -count 3`,
// 2-core machine shared with other work, load 1.2-1.8, Go 1.26): parallel
// takes 32.5 ms per 1,000 documents in files of 10 against one worker's
// 40.3 ms (1.24x), and 29.9 ms against 36.1 ms in one file (1.21x).
// Checking allocates 31 MB per 1,000 documents (-benchmem; 45 MB before
// the fast path described the common errors itself, 140 MB when this was
// first measured, when the one-worker run's garbage collector kept the
// second core busy and parallel was no faster). Groups also bound memory
// (one per core in flight).

package lint

import (
	"errors"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

// checkSources checks every source and returns what each yielded, in the
// order of sources. Workers (GOMAXPROCS when zero) read files at once; a
// token per core bounds how many goroutines check documents.
func checkSources(sources []source, opts *Options) []fileOutcome {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	cores := max(workers, 1)
	workers = max(min(workers, len(sources)), 1)

	perFile := make([]fileOutcome, len(sources))
	jobs := make(chan int)
	// cpu holds a token per goroutine checking documents, so that a
	// worker reading a large file can use the cores other workers leave
	// idle, and so that no more groups of documents are in memory at once
	// than there are cores (plus one per worker).
	cpu := make(chan struct{}, cores)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				cpu <- struct{}{}
				perFile[i] = checkSource(sources[i], opts, cpu)
				<-cpu
			}
		}()
	}
	for i := range sources {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	return perFile
}

// A group is the documents one core parses and checks at once: at most
// groupDocs documents, and no more text than groupBytes unless one document
// is longer. Groups keep every core busy on a file of thousands of
// documents (a List from kubectl get, a generated bundle) while bounding
// what is in memory.
const (
	groupDocs  = 64
	groupBytes = 256 << 10
)

type group struct {
	chunks []manifest.Chunk
	out    fileOutcome
	// docs counts the documents parsed; err is the syntax error that
	// stopped parsing, found in the text errText.
	docs    int
	err     *manifest.SyntaxError
	errText *text
}

// checkSource reads one input a group of documents at a time. Each group is
// checked on an idle core when there is one (never waiting for one, so
// that workers cannot block each other), else by the reader itself, which
// then reads no further until it is done.
func checkSource(s source, opts *Options, cpu chan struct{}) fileOutcome {
	r, closeFn, err := s.open()
	if err != nil {
		return fileOutcome{err: err}
	}
	defer closeFn()
	sp := manifest.NewSplitter(s.path, r, opts.Limits.Document)
	var groups []*group
	var wg sync.WaitGroup
	// broken is set at a syntax error: the documents after it are not
	// checked, so reading stops.
	var broken atomic.Bool
	var readErr error
	for !broken.Load() {
		g := &group{}
		size := 0
		for len(g.chunks) < groupDocs && size < groupBytes {
			c, err := sp.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					readErr = err
				}
				break
			}
			g.chunks = append(g.chunks, c)
			size += len(c.Data)
		}
		if len(g.chunks) == 0 {
			break
		}
		groups = append(groups, g)
		select {
		case cpu <- struct{}{}:
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-cpu }()
				g.check(s.path, opts, &broken)
			}()
		default:
			g.check(s.path, opts, &broken)
		}
		if readErr != nil {
			break
		}
	}
	wg.Wait()
	if readErr != nil {
		return fileOutcome{err: readErr}
	}
	var out fileOutcome
	for _, g := range groups {
		out.add(&g.out, out.documents)
		out.documents += g.docs
		if g.err != nil {
			out.parts = append(out.parts, []Finding{syntaxFinding(g.err, out.documents, g.errText)})
			break
		}
	}
	return out
}

// check parses the group's chunks and checks their documents. Document
// indexes count from the group's first document; checkSource shifts them.
func (g *group) check(path string, opts *Options, broken *atomic.Bool) {
	type parsed struct {
		docs []*manifest.Document
		src  *text
		c    manifest.Chunk
	}
	var all []parsed
	for _, c := range g.chunks {
		docs, err := manifest.ParseChunk(path, c, g.docs, opts.Limits.Document)
		g.docs += len(docs)
		src := &text{first: c.Line, data: c.Data}
		all = append(all, parsed{docs: manifest.ExpandLists(docs), src: src, c: c})
		if err != nil {
			g.err, g.errText = err, src
			broken.Store(true)
			break
		}
	}
	g.chunks = nil
	for _, p := range all {
		for i, d := range p.docs {
			c := &docCheck{doc: d, opts: opts, src: p.src, chunk: p.c, item: i, gen: api.GenV1}
			c.run(&g.out)
			g.out.findings = append(g.out.findings, c.findings...)
		}
	}
	// The findings stay until the end of the run: in a slice of their
	// size, and with one copy of the messages, hints and field paths that
	// a large input repeats many thousands of times.
	g.out.findings = slices.Clone(g.out.findings)
	for i := range g.out.findings {
		f := &g.out.findings[i]
		f.Field, f.Message, f.Hint = intern(f.Field), intern(f.Message), intern(f.Hint)
	}
}
