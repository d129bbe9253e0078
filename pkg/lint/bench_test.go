package lint

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aio-authn/kubectl-aio-authn/internal/corpus"
)

// BenchmarkValidateCorpus reads and lints the corpus of hack/corpusgen
// (1,000 documents in files of 10), the way `validate DIR` does (LintPaths). hack/bench-validate.sh compares the binary with
// kubeconform on 10,000 documents.
func BenchmarkValidateCorpus(b *testing.B) {
	dir := b.TempDir()
	var bytes int64
	for _, f := range corpus.Generate(1000, 10, 1) {
		bytes += int64(len(f.Data))
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(bytes)
	b.ReportAllocs()
	for b.Loop() {
		res, err := LintPaths([]string{dir}, nil, Options{Now: testNow})
		if err != nil {
			b.Fatal(err)
		}
		if res.Summary.Documents != 1000 {
			b.Fatalf("documents = %d", res.Summary.Documents)
		}
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "docs/s")
}
