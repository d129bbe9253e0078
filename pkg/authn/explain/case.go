// Package explain turns what an operator types (explain's flags, or one line
// of a --batch file) into the engine's input, runs the engine, and writes the
// trace. It reads the credential files a case names, caching them, so that a
// batch of thousands of cases parses each certificate and the trusted CAs
// once.
package explain

import (
	"context"
	"crypto/x509"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/pkg/authn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/bundle"
	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

// Case is one client to explain. Its JSON fields are explain's flags in
// camelCase, which is what a --batch line holds.
type Case struct {
	Authn        string  `json:"authn,omitempty"`
	Listener     string  `json:"listener,omitempty"`
	Port         *int32  `json:"port,omitempty"`
	Username     string  `json:"username,omitempty"`
	Password     *string `json:"password,omitempty"`
	PasswordFile string  `json:"passwordFile,omitempty"`
	AuthMethod   string  `json:"authMethod,omitempty"`
	AuthData     *string `json:"authData,omitempty"`
	AuthDataFile string  `json:"authDataFile,omitempty"`
	SATFile      string  `json:"satFile,omitempty"`
	Cert         string  `json:"cert,omitempty"`
	CustomResult string  `json:"customResult,omitempty"`
	ADRDevice    string  `json:"adrDevice,omitempty"`
	Now          string  `json:"now,omitempty"`
}

// Over returns c with every field of override that is set replacing c's:
// a batch line's fields win over the command line's flags.
func (c Case) Over(base Case) Case {
	out := base
	if c.Authn != "" || c.Listener != "" {
		out.Authn, out.Listener, out.Port = c.Authn, c.Listener, c.Port
	}
	if c.Port != nil {
		out.Port = c.Port
	}
	if c.Username != "" {
		out.Username = c.Username
	}
	if c.Password != nil || c.PasswordFile != "" {
		out.Password, out.PasswordFile = c.Password, c.PasswordFile
	}
	if c.AuthMethod != "" || c.AuthData != nil || c.AuthDataFile != "" || c.SATFile != "" {
		out.AuthMethod, out.AuthData, out.AuthDataFile, out.SATFile = c.AuthMethod, c.AuthData, c.AuthDataFile, c.SATFile
	}
	if c.Cert != "" {
		out.Cert = c.Cert
	}
	if c.CustomResult != "" {
		out.CustomResult = c.CustomResult
	}
	if c.ADRDevice != "" {
		out.ADRDevice = c.ADRDevice
	}
	if c.Now != "" {
		out.Now = c.Now
	}
	return out
}

// InputError is a case that cannot be explained as given (exit 2).
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func inputErrorf(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// Runner explains cases against one bundle. It is safe for concurrent use:
// its caches are locked, and engines do not change once built.
type Runner struct {
	Bundle  *bundle.Bundle
	Options authn.Options
	// Cluster, when the bundle was read from one, is asked per case for
	// what the case needs that the bundle does not hold: the ServiceAccount
	// and Pod a token is bound to, and, the first time a case presents a
	// token that neither Options.Keys nor Options.TokenReview verifies, the
	// keys the cluster signs tokens with.
	Cluster Cluster
	// Note, when set, is told what the Runner decided to verify with, once
	// (a line for standard error).
	Note func(string)
	// Dir resolves relative file paths of batch cases; "" for the working
	// directory.
	Dir string
	// Clock gives the time for cases without "now".
	Clock func() time.Time
	// Workers is how many batch lines are explained at once; GOMAXPROCS
	// when zero, 1 for strictly one after the other.
	Workers int

	mu      sync.Mutex
	engines map[string]*authn.Engine
	files   map[string][]byte
	certs   map[string][]*x509.Certificate
	// regularOnly is set while a batch runs: files named by its cases must
	// be regular files, since reading a FIFO could block the batch forever.
	regularOnly bool

	keysOnce sync.Once
	keysErr  error
}

// Target says which BrokerAuthentication (and listener port) a decision is
// about, for the trace's first line.
type Target struct {
	Authentication *bundle.Authentication
	Port           *bundle.Port
}

// Explain resolves c and runs the engine. The error is an *InputError (or a
// bundle error) for a case that cannot be explained.
func (r *Runner) Explain(ctx context.Context, c Case) (*authn.Decision, Target, error) {
	now, err := r.now(c.Now)
	if err != nil {
		return nil, Target{}, err
	}
	whatIf, err := parseCustomResult(c.CustomResult)
	if err != nil {
		return nil, Target{}, err
	}
	device, err := parseADRDevice(c.ADRDevice)
	if err != nil {
		return nil, Target{}, err
	}
	creds, err := r.credentials(c)
	if err != nil {
		return nil, Target{}, err
	}
	var keysErr error
	if creds.AuthMethod == authn.SATMethod && creds.AuthData != nil {
		keysErr = r.clusterKeys(ctx)
	}
	var target Target
	name := c.Authn
	switch {
	case c.Listener != "" && c.Authn != "":
		return nil, target, inputErrorf("--authn and --listener both choose the authentication: give one")
	case c.Listener != "" && c.Port == nil:
		return nil, target, inputErrorf("--listener requires --port")
	case c.Listener == "" && c.Port != nil:
		return nil, target, inputErrorf("--port requires --listener")
	case c.Listener != "":
		port, err := r.Bundle.Port(c.Listener, *c.Port)
		if err != nil {
			return nil, target, err
		}
		target.Port = port
		if port.Port.AuthenticationRef == "" {
			return authn.Disabled(c.Listener, *c.Port), target, nil
		}
		name = port.Port.AuthenticationRef
		creds.PlainTCP = !port.TLS()
	}
	a, err := r.Bundle.Authentication(name)
	if err != nil {
		if target.Port != nil {
			return nil, target, inputErrorf("port %d of BrokerListener %s references BrokerAuthentication %q: %v", *c.Port, c.Listener, name, err)
		}
		return nil, target, err
	}
	target.Authentication = a
	d := r.engine(a, whatIf, device).Explain(ctx, creds, now)
	for _, n := range a.Notes {
		d.Warnings = append(d.Warnings, "conversion: "+n) // a.APIVersion is v1 already
	}
	d.Warnings = append(d.Warnings, r.Bundle.Warnings...)
	if keysErr != nil {
		d.Warnings = append(d.Warnings, keysWarning(keysErr))
	}
	return d, target, nil
}

func (r *Runner) now(s string) (time.Time, error) {
	if s == "" {
		if r.Clock != nil {
			return r.Clock(), nil
		}
		return time.Now(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, inputErrorf("--now %q: want an RFC 3339 time such as 2026-01-02T15:04:05Z", s)
	}
	return t, nil
}

func parseCustomResult(s string) (authn.CustomResult, error) {
	switch r := authn.CustomResult(s); r {
	case authn.CustomCall, authn.CustomPass, authn.CustomFail, authn.CustomUnreachable:
		return r, nil
	}
	return "", inputErrorf("--custom-result %q: want pass, fail or unreachable", s)
}

func parseADRDevice(s string) (authn.ADRDevice, error) {
	switch d := authn.ADRDevice(s); d {
	case authn.ADRUnknown, authn.ADREnabled, authn.ADRDisabled, authn.ADRMissing:
		return d, nil
	}
	return "", inputErrorf("--adr-device %q: want enabled, disabled or missing", s)
}

// engine returns the engine for a, built once per authentication and
// what-if answers.
func (r *Runner) engine(a *bundle.Authentication, whatIf authn.CustomResult, device authn.ADRDevice) *authn.Engine {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.engines == nil {
		r.engines = map[string]*authn.Engine{}
	}
	if whatIf == authn.CustomCall {
		whatIf = r.Options.CustomResult
	}
	if device == authn.ADRUnknown {
		device = r.Options.ADRDevice
	}
	key := a.Position + "|" + string(whatIf) + "|" + string(device)
	if e, ok := r.engines[key]; ok {
		return e
	}
	opts := r.Options
	if opts.Objects == nil && r.Cluster != nil {
		opts.Objects = r.Cluster
	}
	opts.CustomResult = whatIf
	opts.ADRDevice = device
	e := authn.New(r.Bundle.Config(a), opts)
	r.engines[key] = e
	return e
}

// Credentials reads what c says the client presents (password, token and
// certificate files), as Explain does, for a caller that presents them to a
// live broker too. The error is an *InputError.
func (r *Runner) Credentials(c Case) (authn.Credentials, error) { return r.credentials(c) }

func (r *Runner) credentials(c Case) (authn.Credentials, error) {
	creds := authn.Credentials{Username: c.Username}
	switch {
	case c.Password != nil && c.PasswordFile != "":
		return creds, inputErrorf("--password and --password-file both give the password: give one")
	case c.Password != nil:
		creds.Password = []byte(*c.Password)
	case c.PasswordFile != "":
		data, err := r.read(c.PasswordFile, input.Password)
		if err != nil {
			return creds, err
		}
		creds.Password = []byte(strings.TrimRight(string(data), "\r\n"))
	}
	given := 0
	for _, set := range []bool{c.AuthData != nil, c.AuthDataFile != "", c.SATFile != ""} {
		if set {
			given++
		}
	}
	if given > 1 {
		return creds, inputErrorf("--auth-data, --auth-data-file and --sat-file each give the authentication data: give one")
	}
	creds.AuthMethod = c.AuthMethod
	switch {
	case c.SATFile != "":
		if c.AuthMethod != "" && c.AuthMethod != authn.SATMethod {
			return creds, inputErrorf("--sat-file sends method %s, but --auth-method is %q", authn.SATMethod, c.AuthMethod)
		}
		creds.AuthMethod = authn.SATMethod
		data, err := r.read(c.SATFile, input.Token)
		if err != nil {
			return creds, err
		}
		creds.AuthData = data
	case c.AuthDataFile != "":
		data, err := r.read(c.AuthDataFile, input.Token)
		if err != nil {
			return creds, err
		}
		creds.AuthData = data
	case c.AuthData != nil:
		creds.AuthData = []byte(*c.AuthData)
	}
	if creds.AuthData != nil && creds.AuthMethod == "" {
		return creds, inputErrorf("authentication data needs a method: add --auth-method (K8S-SAT for a service account token, or use --sat-file)")
	}
	if c.Cert != "" {
		certs, err := r.chain(c.Cert)
		if err != nil {
			return creds, err
		}
		creds.Certificates = certs
	}
	if err := creds.CheckWire(); err != nil {
		return creds, &InputError{Msg: err.Error()}
	}
	return creds, nil
}

func (r *Runner) path(p string) string {
	if r.Dir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(r.Dir, p)
}

// read returns a file's content, read once per path, within k's cap.
func (r *Runner) read(p string, k input.Kind) ([]byte, error) {
	p = r.path(p)
	r.mu.Lock()
	defer r.mu.Unlock()
	if data, ok := r.files[p]; ok {
		return data, nil
	}
	read := input.ReadFile
	if r.regularOnly {
		read = input.ReadRegular
	}
	data, err := read(p, k)
	if err != nil {
		return nil, &InputError{Msg: err.Error()}
	}
	if r.files == nil {
		r.files = map[string][]byte{}
	}
	r.files[p] = data
	return data, nil
}

// chain parses a PEM chain (leaf first) once per path.
func (r *Runner) chain(p string) ([]*x509.Certificate, error) {
	full := r.path(p)
	r.mu.Lock()
	if certs, ok := r.certs[full]; ok {
		r.mu.Unlock()
		return certs, nil
	}
	r.mu.Unlock()
	data, err := r.read(p, input.PEM)
	if err != nil {
		return nil, err
	}
	found, err := pki.ParseBundle(full, data)
	if err != nil {
		return nil, inputErrorf("--cert %v", err)
	}
	certs := make([]*x509.Certificate, len(found))
	for i, b := range found {
		certs[i] = b.Cert
	}
	r.mu.Lock()
	if r.certs == nil {
		r.certs = map[string][]*x509.Certificate{}
	}
	r.certs[full] = certs
	r.mu.Unlock()
	return certs, nil
}
