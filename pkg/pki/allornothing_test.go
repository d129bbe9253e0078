package pki

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aio-authn/kubectl-aio-authn/internal/testfs"
	"github.com/aio-authn/kubectl-aio-authn/pkg/atomicfile"
)

// TestCancelledMintLeavesNothing: a chain cancelled while its clients are
// minted leaves no staging directory, no key, and an existing directory as
// it was.
func TestCancelledMintLeavesNothing(t *testing.T) {
	for _, existing := range []bool{false, true} {
		parent, out := testfs.OutDir(t, existing)
		ctx, cancel := context.WithCancel(context.Background())
		plan, err := ChainSpec{OutDir: out, Count: 200, Workers: 2,
			Progress: func(done, _ int) {
				if done == 20 {
					cancel()
				}
			}}.Plan()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := plan.Mint(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("existing=%v: err = %v, want context.Canceled", existing, err)
		}
		testfs.LeftAsBefore(t, parent, existing)
	}
}

// TestPublishPutsBackWhatItMoved: a file that appears in the way while the
// staged files move in stops the move, and the files already moved go again.
func TestPublishPutsBackWhatItMoved(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := newWriter(out, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.pem", "b.pem", "c.pem"} {
		if err := w.file(name, []byte(name), PublicFileMode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(out, "b.pem"), []byte("theirs"), 0o644); err != nil {
		t.Fatal(err)
	}
	var exists *atomicfile.ExistsError
	if err := w.publish(); !errors.As(err, &exists) {
		t.Fatalf("publish: %v, want *atomicfile.ExistsError", err)
	}
	w.abandon()
	inside, _ := os.ReadDir(out)
	if len(inside) != 1 || inside[0].Name() != "b.pem" {
		t.Errorf("out holds %d entries, want only their b.pem", len(inside))
	}
}

func TestCheckSpaceRefusesWhatCannotFit(t *testing.T) {
	err := checkSpace(filepath.Join(t.TempDir(), "new", "dir"), 1<<40, KeySpec{Type: KeyTypeEC})
	if err == nil || !strings.Contains(err.Error(), "not enough") {
		t.Fatalf("err = %v, want not enough space or inodes", err)
	}
	if err := checkSpace(t.TempDir(), 10, KeySpec{Type: KeyTypeEC}); err != nil {
		t.Fatalf("10 files: %v", err)
	}
}
