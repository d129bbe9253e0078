package pki

import (
	"context"
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

	"github.com/aio-authn/kubectl-aio-authn/pkg/atomicfile"
	"github.com/aio-authn/kubectl-aio-authn/pkg/dn"
)

// The files `certs chain` writes (docs/contracts.md). The names are the ones
// the operator page's mosquitto command uses.
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

// MaxCount bounds --count: 100,000 clients are 200,000 files, already more
// than a test fleet needs, and an unbounded count can fill a disk.
const MaxCount = 100_000

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
	if err := checkSubject("--root-subject", p.RootSubject); err != nil {
		return nil, err
	}
	if err := checkSubject("--intermediate-subject", p.IntermediateSubject); err != nil {
		return nil, err
	}
	if dn.Equal(p.RootSubject, p.IntermediateSubject) {
		return nil, fmt.Errorf("--root-subject and --intermediate-subject are the same name %q: give the CAs different subjects, or verifiers cannot tell them apart", p.RootSubject)
	}

	if spec.Count < 0 {
		return nil, fmt.Errorf("--count %d: give a positive number of clients", spec.Count)
	}
	if spec.Count > MaxCount {
		return nil, fmt.Errorf("--count %d: at most %d clients in one run; mint a larger fleet in several runs, each with its own --out-dir", spec.Count, MaxCount)
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
		if err := atomicfile.CheckFree(p.Files); err != nil {
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
	return plan.Mint(context.Background())
}

// Mint carries out the plan, all or nothing: every file is written into a
// hidden staging directory and moved into place only once all are written.
// Cancelling ctx (an interrupt) stops the minting and removes the staging
// directory, as does any failure, so no private key or partial chain is
// left behind; the error is then ctx's. Once the files are being moved into
// place, the move is finished whatever ctx says.
func (p *ChainPlan) Mint(ctx context.Context) (chain *Chain, err error) {
	if err := checkSpace(p.Spec.OutDir, len(p.Files), p.Key); err != nil {
		return nil, err
	}
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
	return p.mint(ctx, w)
}

func (p *ChainPlan) mint(ctx context.Context, w *writer) (*Chain, error) {
	spec := p.Spec
	var m Minter
	out := &Chain{Plan: p, Clients: p.Clients}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

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

	if err := p.mintClients(ctx, &m, inter, w); err != nil {
		return nil, err
	}
	return out, ctx.Err()
}

// mintClients signs and writes the client leaves on a pool of workers. The
// first error, or ctx's end, stops the pool.
func (p *ChainPlan) mintClients(ctx context.Context, m *Minter, inter *CA, w *writer) error {
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
				if err := ctx.Err(); err != nil {
					done <- err
					continue
				}
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
			case <-ctx.Done():
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

// writer stages the chain's files in a hidden directory and moves them into
// place only once all are written, so that an interrupted or failed run
// leaves nothing behind. A new --out-dir is staged beside it (the same file
// system) and renamed into place in one step; an existing one gets a
// staging directory inside it, whose files are moved in at the end (as hard
// links unless --force, so that a file that appeared meanwhile is never
// overwritten) and which is then removed.
type writer struct {
	outDir  string
	staging string
	// fresh says outDir did not exist.
	fresh bool
	force bool
}

func newWriter(outDir string, force bool) (*writer, error) {
	w := &writer{outDir: outDir, force: force}
	parent := outDir
	switch info, err := os.Stat(outDir); {
	case err == nil && !info.IsDir():
		return nil, fmt.Errorf("--out-dir %s is not a directory", outDir)
	case errors.Is(err, fs.ErrNotExist):
		w.fresh = true
		parent = filepath.Dir(filepath.Clean(outDir))
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return nil, fmt.Errorf("creating --out-dir: %w", err)
		}
	case err != nil:
		return nil, fmt.Errorf("--out-dir: %w", err)
	}
	// MkdirTemp makes the directory 0700: the keys in it stay private
	// until they are in place.
	staging, err := os.MkdirTemp(parent, "."+filepath.Base(filepath.Clean(outDir))+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("creating a staging directory for --out-dir: %w", err)
	}
	w.staging = staging
	return w, nil
}

func (w *writer) file(name string, data []byte, perm os.FileMode) error {
	if err := atomicfile.CreateNew(filepath.Join(w.staging, name), data, perm); err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Join(w.outDir, name), err)
	}
	return nil
}

// publish moves the staged files into place. Should a new directory have
// appeared meanwhile, the files move one by one like into an existing one;
// if one of them cannot (a file in the way without --force), those already
// moved are removed again.
func (w *writer) publish() error {
	if w.fresh {
		// The directory is for sharing certificates; the keys are 0600.
		if err := os.Chmod(w.staging, 0o755); err != nil {
			return err
		}
		if _, err := os.Lstat(w.outDir); errors.Is(err, fs.ErrNotExist) {
			if err := os.Rename(w.staging, w.outDir); err == nil {
				w.staging = ""
				return nil
			}
		}
		if err := os.MkdirAll(w.outDir, 0o755); err != nil {
			return fmt.Errorf("creating --out-dir: %w", err)
		}
	}
	entries, err := os.ReadDir(w.staging)
	if err != nil {
		return err
	}
	from, to := make([]string, len(entries)), make([]string, len(entries))
	for i, e := range entries {
		from[i], to[i] = filepath.Join(w.staging, e.Name()), filepath.Join(w.outDir, e.Name())
	}
	if err := atomicfile.MoveAll(from, to, w.force); err != nil {
		return err
	}
	return os.RemoveAll(w.staging)
}

// abandon removes the staging directory after a failure or an interrupt, so
// nothing of an incomplete chain is left.
func (w *writer) abandon() {
	if w.staging != "" {
		os.RemoveAll(w.staging)
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
