package lint

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aio-authn/kubectl-aio-authn/internal/corpus"
)

// BenchmarkValidateCorpus reads and lints the corpus of internal/corpus
// (1,000 documents), the way `validate DIR` does (LintPaths): in files of 10
// documents, and in one file of all of them. "parallel" is validate as
// shipped; "one-worker" (Options.Workers = 1) checks one file after another
// and every document in order, the plain way parallel.go is measured
// against. hack/bench-validate.sh compares the binary with kubeconform on
// 10,000 documents.
func BenchmarkValidateCorpus(b *testing.B) {
	for _, layout := range []struct {
		name    string
		perFile int
	}{{"files-of-10", 10}, {"one-file", 1000}} {
		dir := b.TempDir()
		var bytes int64
		for _, f := range corpus.Generate(1000, layout.perFile, 1) {
			bytes += int64(len(f.Data))
			if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
		for _, mode := range []struct {
			name    string
			workers int
		}{{"parallel", 0}, {"one-worker", 1}} {
			b.Run(layout.name+"/"+mode.name, func(b *testing.B) {
				b.SetBytes(bytes)
				b.ReportAllocs()
				for b.Loop() {
					res, err := LintPaths([]string{dir}, nil, Options{Now: testNow, Workers: mode.workers})
					if err != nil {
						b.Fatal(err)
					}
					if res.Summary.Documents != 1000 {
						b.Fatalf("documents = %d", res.Summary.Documents)
					}
				}
				b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "docs/s")
			})
		}
	}
}
