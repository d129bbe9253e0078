package input

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// Note is something a walk skipped, for the user to know: a FIFO in a
// manifests directory, a dangling link, a directory reached twice.
type Note struct {
	Path string
	Msg  string
}

// String is the note for a terminal, escaped (a file name may hold anything).
func (n Note) String() string { return ui.Escape(n.Path + ": " + n.Msg) }

// Walk returns the regular files under dir whose names match, sorted so that
// output is stable. Symbolic links are followed, to files and to
// directories; each directory is walked once however many links lead to it,
// which ends link loops. Hidden directories (.git) are skipped. Matching
// names that cannot be read as regular files (FIFOs, devices, sockets,
// dangling links, link loops) are skipped with a Note, so that walking a
// directory never blocks and never hides what it left out. An unreadable
// directory is an *Error.
func Walk(dir string, match func(name string) bool) ([]string, []Note, error) {
	w := walker{match: match, seen: map[string]string{}}
	if err := w.dir(dir, true); err != nil {
		return nil, nil, err
	}
	sort.Strings(w.files)
	return w.files, w.notes, nil
}

type walker struct {
	match func(string) bool
	// seen maps the real path of each walked directory to the path it was
	// walked as.
	seen  map[string]string
	files []string
	notes []Note
}

func (w *walker) dir(path string, root bool) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		if root {
			return &Error{Path: path, Err: err}
		}
		w.note(path, "skipped: "+linkProblem(err))
		return nil
	}
	if real, err = filepath.Abs(real); err != nil {
		return &Error{Path: path, Err: err}
	}
	if first, ok := w.seen[real]; ok {
		if !root {
			w.note(path, "skipped: the same directory as "+first+" (a symbolic link), read once")
		}
		return nil
	}
	w.seen[real] = path
	entries, err := os.ReadDir(path)
	if err != nil {
		return &Error{Path: path, Err: err}
	}
	for _, e := range entries {
		p := filepath.Join(path, e.Name())
		mode := e.Type()
		if mode&fs.ModeSymlink != 0 {
			info, err := os.Stat(p)
			if err != nil {
				if w.match(e.Name()) {
					w.note(p, "skipped: "+linkProblem(err))
				}
				continue
			}
			mode = info.Mode().Type()
		}
		switch {
		case mode.IsDir():
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			if err := w.dir(p, false); err != nil {
				return err
			}
		case !w.match(e.Name()):
		case mode.IsRegular():
			w.files = append(w.files, p)
		default:
			w.note(p, "skipped: "+notRegular(mode).Error()+"; name it directly to read it")
		}
	}
	return nil
}

func (w *walker) note(path, msg string) { w.notes = append(w.notes, Note{Path: path, Msg: msg}) }

// linkProblem says why a link found while walking cannot be followed.
func linkProblem(err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return "a dangling symbolic link"
	}
	var errno syscall.Errno
	if errors.As(err, &errno) && errno == syscall.ELOOP {
		return "a loop of symbolic links"
	}
	return err.Error()
}
