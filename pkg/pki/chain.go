package pki

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/pkg/dn"
)

// The files `certs chain` writes (DESIGN.md "certs chain"). The names are the
// ones the operator page's mosquitto command uses.
const (
	RootCertFile         = "root_ca_cert.pem"
	RootKeyFile          = "root_ca_key.pem"
	IntermediateCertFile = "intermediate_ca_cert.pem"
	IntermediateKeyFile  = "intermediate_ca_key.pem"
	ServerCertFile       = "server_cert.pem"
	ServerKeyFile        = "server_key.pem"
	// ChainFile holds the intermediate then the root: mosquitto's --cafile,
	// from which the client both builds the chain it presents and verifies
	// the server.
	ChainFile = "chain.pem"
	// ClientCAFile holds the root: what `ca import` puts in the trusted-CA
	// ConfigMap.
	ClientCAFile = "client_ca.pem"
)

// ClientCertFile is the certificate file of client name.
func ClientCertFile(name string) string { return name + "_cert.pem" }

// ClientKeyFile is the private key file of client name.
func ClientKeyFile(name string) string { return name + "_key.pem" }

// Default subjects of the chain's CAs.
const (
	DefaultRootSubject         = "CN = Test Root CA, O = kubectl-aio-authn"
	DefaultIntermediateSubject = "CN = Test Intermediate CA, O = kubectl-aio-authn"
	// DefaultClientPrefix names fleet clients when --count is given
	// without --client-prefix.
	DefaultClientPrefix = "device-"
)

// clientName is what a client name may be: it becomes a file name and the
// certificate's CN (the MQTT username), so it stays within characters that
// are safe in both.
var clientName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// maxCommonName is the X.509 upper bound on a CN's length (RFC 5280).
const maxCommonName = 64

// ChainSpec says what `certs chain` mints.
type ChainSpec struct {
	// OutDir is where the files go; created if missing.
	OutDir string
	// Clients are the names of client leaves (CN and SAN = name).
	Clients []string
	// Count adds a fleet of Count clients named ClientPrefix + a number
	// (dev-0001 ... dev-1000).
	Count        int
	ClientPrefix string
	// ServerSANs, when given, add a server certificate for these DNS names
	// and IP addresses.
	ServerSANs []string
	Key        KeySpec
	// RootSubject and IntermediateSubject default to DefaultRootSubject
	// and DefaultIntermediateSubject.
	RootSubject         dn.Name
	IntermediateSubject dn.Name
	// LeafNotAfter ends the client and server certificates; zero means
	// DefaultLeafValidity from Now.
	LeafNotAfter time.Time
	// Force overwrites existing files.
	Force bool
	// Now is the minting time; zero means time.Now().
	Now time.Time
	// Workers sign leaves in parallel; zero means one per CPU.
	Workers int
	// Progress, when set, is called from one goroutine after each client
	// certificate is written.
	Progress func(done, total int)
}

// FleetNames are the client names of a fleet: prefix + a number zero-padded
// to the width of count, so they sort in order.
func FleetNames(prefix string, count int) []string {
	width := len(strconv.Itoa(count))
	names := make([]string, count)
	for i := range names {
		names[i] = fmt.Sprintf("%s%0*d", prefix, width, i+1)
	}
	return names
}

// ChainPlan is a checked ChainSpec: every name, subject and date decided,
// every file to write known.
type ChainPlan struct {
	Spec                ChainSpec
	Key                 KeySpec
	RootSubject         dn.Name
	IntermediateSubject dn.Name
	Clients             []string
	NotBefore           time.Time
	CANotAfter          time.Time
	LeafNotAfter        time.Time
	// Files are the paths that will be written, in writing order.
	Files []string
}

// Plan checks spec and decides everything MintChain will do, without
// touching the disk beyond checking which files exist. Its errors are the
// user's to fix (bad flags, names, or files in the way).
func (spec ChainSpec) Plan() (*ChainPlan, error) {
	p := &ChainPlan{Spec: spec}
	var err error
	if p.Key, err = spec.Key.Normalize(); err != nil {
		return nil, err
	}
	if spec.OutDir == "" {
		return nil, fmt.Errorf("flag --out-dir is required: the directory to write the chain into")
	}
	now := spec.Now
	if now.IsZero() {
		now = time.Now()
	}
	// Certificates hold whole seconds; deciding in whole seconds keeps
	// "ends no later than its issuer" exact.
	now = now.UTC().Truncate(time.Second)
	p.NotBefore = now.Add(-Backdate)
	p.CANotAfter = now.Add(DefaultCAValidity)
	p.LeafNotAfter = spec.LeafNotAfter.UTC().Truncate(time.Second)
	if spec.LeafNotAfter.IsZero() {
		p.LeafNotAfter = now.Add(DefaultLeafValidity)
	}
	if !p.LeafNotAfter.After(now) {
		return nil, fmt.Errorf("--not-after %s is not in the future", p.LeafNotAfter.UTC().Format(time.RFC3339))
	}
	if p.LeafNotAfter.After(p.CANotAfter) {
		return nil, fmt.Errorf("--not-after %s is after the CAs end (%s, 10 years from now): choose an earlier --not-after",
			p.LeafNotAfter.UTC().Format(time.RFC3339), p.CANotAfter.UTC().Format(time.RFC3339))
	}

	p.RootSubject, p.IntermediateSubject = spec.RootSubject, spec.IntermediateSubject
	if len(p.RootSubject) == 0 {
		p.RootSubject, _ = dn.Parse(DefaultRootSubject)
	}
	if len(p.IntermediateSubject) == 0 {
		p.IntermediateSubject, _ = dn.Parse(DefaultIntermediateSubject)
	}
	if dn.Equal(p.RootSubject, p.IntermediateSubject) {
		return nil, fmt.Errorf("--root-subject and --intermediate-subject are the same name %q: give the CAs different subjects, or verifiers cannot tell them apart", p.RootSubject)
	}

	if spec.Count < 0 {
		return nil, fmt.Errorf("--count %d: give a positive number of clients", spec.Count)
	}
	if spec.ClientPrefix != "" && spec.Count == 0 {
		return nil, fmt.Errorf("flag --client-prefix requires flag --count")
	}
	p.Clients = append(p.Clients, spec.Clients...)
	if spec.Count > 0 {
		prefix := spec.ClientPrefix
		if prefix == "" {
			prefix = DefaultClientPrefix
		}
		if !clientName.MatchString(prefix + "0") {
			return nil, fmt.Errorf("invalid --client-prefix %q: use letters, digits, '.', '_' and '-', starting with a letter or digit", prefix)
		}
		p.Clients = append(p.Clients, FleetNames(prefix, spec.Count)...)
	}
	if len(p.Clients) == 0 {
		return nil, fmt.Errorf("no clients to mint: add --client NAME (repeatable) or --count N")
	}
	for _, n := range p.Clients {
		if !clientName.MatchString(n) {
			return nil, fmt.Errorf("invalid --client %q: a client name becomes a file name and the certificate's CN, so use letters, digits, '.', '_' and '-', starting with a letter or digit", n)
		}
		if len(n) > maxCommonName {
			return nil, fmt.Errorf("--client %q is %d characters long: a CN holds at most %d", n, len(n), maxCommonName)
		}
	}
	for _, san := range spec.ServerSANs {
		if err := checkServerSAN(san); err != nil {
			return nil, err
		}
	}

	files := []string{RootCertFile, RootKeyFile, IntermediateCertFile, IntermediateKeyFile, ChainFile, ClientCAFile}
	if len(spec.ServerSANs) > 0 {
		files = append(files, ServerCertFile, ServerKeyFile)
	}
	owner := map[string]string{}
	for _, f := range files {
		owner[f] = "the chain"
	}
	for _, n := range p.Clients {
		for _, f := range []string{ClientCertFile(n), ClientKeyFile(n)} {
			if o, taken := owner[f]; taken {
				if o == "the chain" {
					return nil, fmt.Errorf("client name %q would overwrite %s, one of the chain's own files: choose another name", n, f)
				}
				return nil, fmt.Errorf("client %q is given twice (or also produced by --count): names must be unique", n)
			}
			owner[f] = n
			files = append(files, f)
		}
	}
	for _, f := range files {
		p.Files = append(p.Files, filepath.Join(spec.OutDir, f))
	}
	// In a directory that does not exist yet, nothing is in the way.
	if _, err := os.Stat(spec.OutDir); err == nil && !spec.Force {
		if err := CheckFree(p.Files); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// checkServerSAN accepts an IP address or a DNS name (wildcards allowed in
// the first label).
func checkServerSAN(s string) error {
	if net.ParseIP(s) != nil {
		return nil
	}
	host := strings.TrimPrefix(s, "*.")
	ok := host != "" && len(host) <= 253
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			ok = false
			break
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				ok = false
			}
		}
	}
	if !ok {
		return fmt.Errorf("invalid --server-san %q: give a DNS name (broker.local, *.example.com) or an IP address", s)
	}
	return nil
}

// Chain is what MintChain made.
type Chain struct {
	Plan         *ChainPlan
	Root         *x509.Certificate
	Intermediate *x509.Certificate
	// Server is nil unless server SANs were given.
	Server *x509.Certificate
	// Clients are the client names, in the order minted.
	Clients []string
}

// Dir is the output directory.
func (c *Chain) Dir() string { return c.Plan.Spec.OutDir }

// MintChain mints a root CA, an intermediate CA, the client leaves and the
// optional server certificate of spec, and writes them. The CA keys are made
// and parsed once; client leaves are signed in parallel, one worker per CPU,
// each writing its own files.
func MintChain(spec ChainSpec) (*Chain, error) {
	plan, err := spec.Plan()
	if err != nil {
		return nil, err
	}
	return plan.Mint()
}

// Mint carries out the plan.
//
// A new output directory is filled under a temporary name and renamed into
// place at the end, so it appears complete or not at all; into an existing
// directory each file is written atomically on its own.
func (p *ChainPlan) Mint() (chain *Chain, err error) {
	w, err := newWriter(p.Spec.OutDir, p.Spec.Force)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err == nil {
			err = w.publish()
		}
		if err != nil {
			w.abandon()
			chain = nil
		}
	}()
	return p.mint(w)
}

func (p *ChainPlan) mint(w *writer) (*Chain, error) {
	spec := p.Spec
	var m Minter
	out := &Chain{Plan: p, Clients: p.Clients}

	rootKey, err := p.Key.Generate()
	if err != nil {
		return nil, err
	}
	out.Root, err = m.SelfSign(Request{Profile: ProfileRootCA, Subject: p.RootSubject, NotBefore: p.NotBefore, NotAfter: p.CANotAfter}, rootKey)
	if err != nil {
		return nil, err
	}
	interKey, err := p.Key.Generate()
	if err != nil {
		return nil, err
	}
	root := &CA{Certificate: out.Root, Key: rootKey}
	out.Intermediate, err = m.Issue(Request{Profile: ProfileIntermediateCA, Subject: p.IntermediateSubject, NotBefore: p.NotBefore, NotAfter: p.CANotAfter}, interKey.Public(), root)
	if err != nil {
		return nil, err
	}
	inter := &CA{Certificate: out.Intermediate, Key: interKey}

	if err := w.pair(RootCertFile, RootKeyFile, rootKey, out.Root); err != nil {
		return nil, err
	}
	if err := w.pair(IntermediateCertFile, IntermediateKeyFile, interKey, out.Intermediate); err != nil {
		return nil, err
	}
	if err := w.file(ChainFile, EncodeCertificates(out.Intermediate, out.Root), PublicFileMode); err != nil {
		return nil, err
	}
	if err := w.file(ClientCAFile, EncodeCertificates(out.Root), PublicFileMode); err != nil {
		return nil, err
	}

	if len(spec.ServerSANs) > 0 {
		key, err := p.Key.Generate()
		if err != nil {
			return nil, err
		}
		subject := dn.Name{{OID: "2.5.4.3", Value: spec.ServerSANs[0]}}
		out.Server, err = m.Issue(Request{Profile: ProfileServer, Subject: subject, SANs: spec.ServerSANs,
			NotBefore: p.NotBefore, NotAfter: p.LeafNotAfter}, key.Public(), inter)
		if err != nil {
			return nil, err
		}
		// The server presents its intermediate too, so clients that trust
		// only the root (client_ca.pem) can verify it.
		if err := w.pair(ServerCertFile, ServerKeyFile, key, out.Server, out.Intermediate); err != nil {
			return nil, err
		}
	}

	if err := p.mintClients(&m, inter, w); err != nil {
		return nil, err
	}
	return out, nil
}

// mintClients signs and writes the client leaves on a pool of workers. The
// first error stops the pool.
func (p *ChainPlan) mintClients(m *Minter, inter *CA, w *writer) error {
	workers := p.Spec.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(p.Clients))
	jobs := make(chan string)
	done := make(chan error, workers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range jobs {
				done <- p.mintClient(m, inter, w, name)
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, name := range p.Clients {
			select {
			case jobs <- name:
			case <-stop:
				return
			}
		}
	}()
	go func() { wg.Wait(); close(done) }()

	var first error
	n := 0
	for err := range done {
		if err != nil && first == nil {
			first = err
			close(stop)
		}
		n++
		if first == nil && p.Spec.Progress != nil {
			p.Spec.Progress(n, len(p.Clients))
		}
	}
	return first
}

func (p *ChainPlan) mintClient(m *Minter, inter *CA, w *writer, name string) error {
	key, err := p.Key.Generate()
	if err != nil {
		return err
	}
	cert, err := m.Issue(Request{Profile: ProfileLeaf, Subject: dn.Name{{OID: "2.5.4.3", Value: name}}, SANs: []string{name},
		NotBefore: p.NotBefore, NotAfter: p.LeafNotAfter}, key.Public(), inter)
	if err != nil {
		return fmt.Errorf("client %q: %w", name, err)
	}
	return w.pair(ClientCertFile(name), ClientKeyFile(name), key, cert)
}

// writer writes the chain's files into one directory: a new directory is
// staged under a hidden name beside it (each file created once, no
// temporary files) and renamed into place by publish; an existing one gets
// each file through WriteFile.
type writer struct {
	dir    string // where files are written now
	outDir string // where they end up
	force  bool
	staged bool
}

func newWriter(outDir string, force bool) (*writer, error) {
	w := &writer{dir: outDir, outDir: outDir, force: force}
	if _, err := os.Stat(outDir); err == nil {
		return w, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("--out-dir: %w", err)
	}
	parent := filepath.Dir(filepath.Clean(outDir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("creating --out-dir: %w", err)
	}
	staging, err := os.MkdirTemp(parent, "."+filepath.Base(filepath.Clean(outDir))+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("creating --out-dir: %w", err)
	}
	// MkdirTemp makes it 0700; the directory is for sharing certificates.
	if err := os.Chmod(staging, 0o755); err != nil {
		os.Remove(staging)
		return nil, fmt.Errorf("creating --out-dir: %w", err)
	}
	w.dir, w.staged = staging, true
	return w, nil
}

func (w *writer) file(name string, data []byte, perm os.FileMode) error {
	if !w.staged {
		return WriteFile(filepath.Join(w.dir, name), data, perm, w.force)
	}
	if err := writeNewFile(filepath.Join(w.dir, name), data, perm); err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Join(w.outDir, name), err)
	}
	return nil
}

// publish moves a staged directory into place. Should the directory have
// appeared meanwhile, the files move one by one, none overwritten without
// force.
func (w *writer) publish() error {
	if !w.staged {
		return nil
	}
	if _, err := os.Lstat(w.outDir); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(w.dir, w.outDir); err == nil {
			w.staged = false
			return nil
		}
	}
	entries, err := os.ReadDir(w.dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(w.outDir, 0o755); err != nil {
		return fmt.Errorf("creating --out-dir: %w", err)
	}
	for _, e := range entries {
		from, to := filepath.Join(w.dir, e.Name()), filepath.Join(w.outDir, e.Name())
		if w.force {
			err = os.Rename(from, to)
		} else if err = os.Link(from, to); errors.Is(err, fs.ErrExist) {
			err = &ExistsError{Path: to}
		}
		if err != nil {
			return err
		}
	}
	return os.RemoveAll(w.dir)
}

// abandon removes a staged directory after a failure, so nothing of an
// incomplete chain is left.
func (w *writer) abandon() {
	if w.staged {
		os.RemoveAll(w.dir)
	}
}

// pair writes a certificate (followed by extra certificates, e.g. its
// issuer) and its private key, the key 0600.
func (w *writer) pair(certName, keyName string, key crypto.Signer, cert *x509.Certificate, extra ...*x509.Certificate) error {
	keyPEM, err := EncodePrivateKey(key)
	if err != nil {
		return err
	}
	if err := w.file(keyName, keyPEM, PrivateFileMode); err != nil {
		return err
	}
	return w.file(certName, EncodeCertificates(append([]*x509.Certificate{cert}, extra...)...), PublicFileMode)
}
