// Package input reads what users hand the tool: files named on the command
// line or by a flag, files found in the directories they name, files named
// inside their files (batch cases), and standard input. Every such input is
// treated as hostile, with the same rules everywhere:
//
//   - each kind of input has a size cap (a manifest file, a PEM file, a
//     token...), checked before anything is parsed, so neither /dev/zero nor
//     a 10 GB file can exhaust memory;
//   - symbolic links are followed, to files and to directories, and a link
//     loop is an error (named directly) or skipped with a note (found while
//     walking), never a hang;
//   - a FIFO, device or socket is read only when the user named it (the cap
//     still applies); found while walking a directory, or named by a file,
//     it is skipped or refused, since reading it could block forever.
package input

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"syscall"

	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// Kind is a kind of input and the most bytes one input of it may hold.
type Kind struct {
	// Name says what the input is, in errors: "manifest file".
	Name string
	// Max is the cap, in bytes.
	Max int64
	// Flag is the command-line flag that raises the cap, "" when none does.
	Flag string
}

// The kinds of input and their caps. The caps are far above anything
// legitimate (a PEM bundle of 4 MiB holds thousands of certificates, MQTT
// carries at most 65,535 bytes of password or authentication data) and far
// below what would hurt. Manifests have flags, since a `kubectl get -o yaml`
// dump of a large cluster can be big.
var (
	// Manifest is one manifest file or standard input, read document by
	// document: the cap bounds time, Document bounds memory.
	Manifest = Kind{Name: "manifest file", Max: 1 << 30, Flag: "--max-manifest-size"}
	// Document is one YAML document of a manifest, also measured with its
	// aliases expanded.
	Document = Kind{Name: "YAML document", Max: 16 << 20, Flag: "--max-document-size"}
	// PEM is a file of PEM certificates (a client chain, a CA bundle).
	PEM = Kind{Name: "PEM file", Max: 4 << 20}
	// PrivateKey is a PEM private key (a CA key, a token signing key).
	PrivateKey = Kind{Name: "private key file", Max: 1 << 20}
	// KeySet is a file of PEM public keys or a JWKS.
	KeySet = Kind{Name: "public key or JWKS file", Max: 4 << 20}
	// Token is a service account token or other authentication data.
	Token = Kind{Name: "token file", Max: 1 << 20}
	// Password is an MQTT password file.
	Password = Kind{Name: "password file", Max: 1 << 20}
	// Attributes is an --x509-attributes file.
	Attributes = Kind{Name: "attributes file", Max: 4 << 20}
	// Kubeconfig is one kubeconfig file, checked before client-go reads it.
	Kubeconfig = Kind{Name: "kubeconfig file", Max: 16 << 20}
	// Users is the users file of serve custom-auth, read whole (and
	// again on every reload).
	Users = Kind{Name: "users file", Max: 4 << 20}
	// BatchLine is one line of an explain --batch file.
	BatchLine = Kind{Name: "batch line", Max: 4 << 20}
	// Batch is a whole --batch file, read a line at a time: the cap bounds
	// time (/dev/zero is one endless line).
	Batch = Kind{Name: "batch file", Max: 1 << 30}
)

// StdinName is how errors and findings name standard input.
const StdinName = "<stdin>"

// Error is an input that could not be read: missing, unreadable, a link
// loop, a directory where a file was wanted, or a special file where only a
// regular file may be read.
type Error struct {
	Path string
	Err  error
}

// ErrNotRegular is the Err of an Error for a FIFO, device or socket that
// was not named directly.
var ErrNotRegular = errors.New("not a regular file")

// ErrIsDir is the Err of an Error for a directory where a file was wanted.
var ErrIsDir = errors.New("is a directory")

func (e *Error) Error() string {
	p := ui.Escape(e.Path)
	var errno syscall.Errno
	switch {
	case errors.Is(e.Err, fs.ErrNotExist):
		return p + ": no such file or directory"
	case errors.Is(e.Err, fs.ErrPermission):
		return p + ": permission denied"
	case errors.As(e.Err, &errno) && errno == syscall.ELOOP:
		return p + ": a loop of symbolic links"
	case errors.Is(e.Err, ErrNotRegular):
		return p + ": " + e.Err.Error()
	case errors.Is(e.Err, ErrIsDir):
		return p + ": is a directory"
	}
	var pe *fs.PathError
	if errors.As(e.Err, &pe) {
		return p + ": " + pe.Err.Error()
	}
	return p + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// TooLargeError is an input over its kind's cap.
type TooLargeError struct {
	Path string
	Kind Kind
	// What, when set, replaces "larger than" to say which part is over
	// the cap ("document 3 (line 120) is larger than").
	What string
}

func (e *TooLargeError) Error() string {
	what := e.What
	if what == "" {
		what = "larger than"
	}
	msg := fmt.Sprintf("%s: %s %s, the cap for a %s", ui.Escape(e.Path), what, FormatSize(e.Kind.Max), e.Kind.Name)
	if e.Kind.Flag != "" {
		msg += ": raise it with " + e.Kind.Flag
	}
	return msg
}

// FormatSize writes a byte count the way the caps are documented: 16 MiB,
// 1 GiB, 65535 bytes.
func FormatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + " GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// Opened is an input opened for reading, its size already checked when it is
// a regular file, and its reads bounded by the cap otherwise.
type Opened struct {
	io.Reader
	Path string
	// Size is the file's size for a regular file, -1 otherwise.
	Size int64
	kind Kind
	lim  *io.LimitedReader
	c    io.Closer
}

// Close closes the file (nothing for standard input).
func (o *Opened) Close() error {
	if o.c == nil {
		return nil
	}
	return o.c.Close()
}

// Over reports whether more than the cap was read: the reader stops one byte
// past the cap, so a caller that reads to the end knows the input was cut.
func (o *Opened) Over() bool { return o.lim.N <= 0 }

// Err returns the *TooLargeError for o when Over.
func (o *Opened) Err() error {
	if o.Over() {
		return &TooLargeError{Path: o.Path, Kind: o.kind}
	}
	return nil
}

// Open opens a file the user named (on the command line or in a flag) for
// reading. Symbolic links are followed; a directory is an *Error wrapping
// ErrIsDir; a regular file larger than k.Max is a *TooLargeError before
// anything is read; a FIFO, device or socket is read too, but no further
// than one byte past k.Max (see Opened.Over).
func Open(path string, k Kind) (*Opened, error) {
	return open(path, k, true)
}

// OpenRegular is Open for a file found in a directory or named by another
// file (a batch case): a FIFO, device or socket is an *Error wrapping
// ErrNotRegular, found without blocking, since opening a FIFO waits for a
// writer that may never come.
func OpenRegular(path string, k Kind) (*Opened, error) {
	return open(path, k, false)
}

func open(path string, k Kind, special bool) (*Opened, error) {
	f, err := openFile(path, special)
	if err != nil {
		return nil, &Error{Path: path, Err: err}
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, &Error{Path: path, Err: err}
	}
	size := int64(-1)
	switch mode := info.Mode(); {
	case mode.IsDir():
		f.Close()
		return nil, &Error{Path: path, Err: ErrIsDir}
	case mode.IsRegular():
		size = info.Size()
		if size > k.Max {
			f.Close()
			return nil, &TooLargeError{Path: path, Kind: k}
		}
	case !special:
		f.Close()
		return nil, &Error{Path: path, Err: notRegular(mode)}
	}
	// A regular file may grow while it is read: the cap holds anyway.
	lim := &io.LimitedReader{R: f, N: k.Max + 1}
	return &Opened{Reader: lim, Path: path, Size: size, kind: k, lim: lim, c: f}, nil
}

// Reader bounds a stream the program was handed (standard input) like a
// named special file.
func Reader(r io.Reader, name string, k Kind) *Opened {
	lim := &io.LimitedReader{R: r, N: k.Max + 1}
	return &Opened{Reader: lim, Path: name, Size: -1, kind: k, lim: lim}
}

// notRegular says what kind of special file mode is.
func notRegular(mode fs.FileMode) error {
	what := "a special file"
	switch {
	case mode&fs.ModeNamedPipe != 0:
		what = "a FIFO"
	case mode&fs.ModeSocket != 0:
		what = "a socket"
	case mode&fs.ModeCharDevice != 0:
		what = "a character device"
	case mode&fs.ModeDevice != 0:
		what = "a device"
	}
	return fmt.Errorf("%w (%s)", ErrNotRegular, what)
}

// ReadAll reads what o holds, to the cap.
func (o *Opened) ReadAll() ([]byte, error) {
	var buf bytes.Buffer
	if o.Size >= 0 {
		// The size is known: one allocation, and a byte to see growth.
		buf.Grow(int(o.Size) + 1)
	}
	if _, err := buf.ReadFrom(o); err != nil {
		return nil, &Error{Path: o.Path, Err: err}
	}
	if o.Over() {
		return nil, o.Err()
	}
	return buf.Bytes(), nil
}

// ReadFile reads a file the user named, with Open's rules.
func ReadFile(path string, k Kind) ([]byte, error) {
	o, err := Open(path, k)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	return o.ReadAll()
}

// ReadRegular reads a file named by another file, with OpenRegular's rules.
func ReadRegular(path string, k Kind) ([]byte, error) {
	o, err := OpenRegular(path, k)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	return o.ReadAll()
}

// ReadStream reads a stream (standard input) to k's cap.
func ReadStream(r io.Reader, name string, k Kind) ([]byte, error) {
	return Reader(r, name, k).ReadAll()
}

// Stat is os.Stat, with errors as *Error.
func Stat(path string) (fs.FileInfo, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, &Error{Path: path, Err: err}
	}
	return info, nil
}
