// Command corpusgen writes a corpus of BrokerAuthentication and
// BrokerListener manifests, valid and invalid, for benchmarking validate:
//
//	go run ./hack/corpusgen -n 10000 -o /tmp/corpus
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aio-authn/kubectl-aio-authn/internal/corpus"
)

func main() {
	n := flag.Int("n", 10000, "number of documents")
	perFile := flag.Int("per-file", 10, "documents per file")
	seed := flag.Uint64("seed", 1, "random seed (the same seed gives the same corpus)")
	out := flag.String("o", "", "output directory (created; existing corpus files are replaced)")
	flag.Parse()
	if *out == "" || *n < 1 {
		fmt.Fprintln(os.Stderr, "usage: corpusgen -n DOCUMENTS -o DIR [-per-file N] [-seed S]")
		os.Exit(2)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(2)
	}
	files := corpus.Generate(*n, *perFile, *seed)
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(*out, f.Name), f.Data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
	}
	fmt.Fprintf(os.Stderr, "wrote %d documents in %d files to %s\n", *n, len(files), *out)
}
