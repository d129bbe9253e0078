package e2e

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// releaseDownloads stands in for github.com's downloads of the pinned
// repository's releases, so that the documented commands run as written:
// GitHub is out of the tests' reach. It is an HTTPS proxy that accepts
// CONNECT to github.com:443 only, and tunnels it to a local TLS server whose
// certificate for github.com comes from a CA of the test's own (minted by
// `certs chain`). That server holds the release's assets at
//
//	/aio-authn/kubectl-aio-authn/releases/download/<releaseTag>/<asset>
//	/aio-authn/kubectl-aio-authn/releases/latest/download/<asset>
//
// and nothing else. curl and krew reach it through HTTPS_PROXY and trust its
// CA through CURL_CA_BUNDLE and SSL_CERT_FILE (env).
type releaseDownloads struct {
	// env is what a command needs to download through it.
	env []string

	mu      sync.Mutex
	fetched []string
}

func serveReleaseDownloads(t *testing.T, rel *release) *releaseDownloads {
	t.Helper()
	certs := t.TempDir()
	if r := run(t, "", "kubectl-aio_authn", "certs", "chain", "--out-dir", certs, "--client", "unused", "--server-san", "github.com"); r.code != 0 {
		t.Fatalf("certs chain: exit %d: %s", r.code, r.stderr)
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(certs, "server_cert.pem"), filepath.Join(certs, "server_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	d := &releaseDownloads{}
	site := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.serve(w, r, rel)
	}))
	site.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	site.StartTLS()
	t.Cleanup(site.Close)

	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect || r.Host != "github.com:443" {
			http.Error(w, "this proxy reaches github.com:443 only", http.StatusForbidden)
			return
		}
		tunnel(w, site.Listener.Addr().String())
	}))
	t.Cleanup(proxy.Close)

	ca := filepath.Join(certs, "client_ca.pem") // the root
	d.env = []string{"HTTPS_PROXY=" + proxy.URL, "https_proxy=" + proxy.URL, "SSL_CERT_FILE=" + ca, "CURL_CA_BUNDLE=" + ca}
	return d
}

func (d *releaseDownloads) serve(w http.ResponseWriter, r *http.Request, rel *release) {
	d.mu.Lock()
	d.fetched = append(d.fetched, r.URL.Path)
	d.mu.Unlock()
	rest, ok := strings.CutPrefix(r.URL.Path, "/"+pinnedOwner+"/"+pinnedName+"/releases/")
	if ok {
		if name, latest := strings.CutPrefix(rest, "latest/download/"); latest {
			rest = name
		} else {
			rest, ok = strings.CutPrefix(rest, "download/"+releaseTag+"/")
		}
	}
	path, found := rel.assets[rest]
	if !ok || !found {
		http.NotFound(w, r)
		return
	}
	http.ServeFile(w, r, path)
}

// tunnel answers a CONNECT and joins the client's connection to addr.
func tunnel(w http.ResponseWriter, addr string) {
	upstream, err := net.Dial("tcp", addr)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		upstream.Close()
		return
	}
	if _, err := conn.Write([]byte("HTTP/1.1 200 Connection Established\r\n\r\n")); err != nil {
		conn.Close()
		upstream.Close()
		return
	}
	go func() {
		// What the client sent after its CONNECT may sit in buf already.
		io.Copy(upstream, io.MultiReader(io.LimitReader(buf, int64(buf.Reader.Buffered())), conn))
		upstream.Close()
	}()
	go func() {
		io.Copy(conn, upstream)
		conn.Close()
	}()
}

// served reports whether path was requested.
func (d *releaseDownloads) served(path string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Contains(d.fetched, path)
}

// TestReadmeInstallFromRelease runs the README's release-archive and krew
// blocks as written, against the release the tests cut, and checks that
// kubectl then runs the released binary.
func TestReadmeInstallFromRelease(t *testing.T) {
	requireKubectl(t)
	rel := releaseFixture(t)
	version := " " + strings.TrimPrefix(releaseTag, "v") + " "

	t.Run("archive", func(t *testing.T) {
		d := serveReleaseDownloads(t, rel)
		block := installBlock(t, "os=$(uname")
		home := t.TempDir()
		env := setEnv(commandEnv(home, filepath.Join(home, ".local", "bin")), d.env...)
		r := runEnv(t, home, env, "bash", "-euo", "pipefail", "-c", block.text())
		if r.code != 0 {
			t.Fatalf("README.md:%d: the release block exited %d\n%s%s", block.line, r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, version) {
			t.Errorf("kubectl aio-authn version printed %q, want the release's version", r.stdout)
		}
	})

	t.Run("krew", func(t *testing.T) {
		d := serveReleaseDownloads(t, rel)
		block := installBlock(t, "kubectl krew install")
		home := t.TempDir()
		// krew as kubectl finds it, and its bin directory on PATH as its
		// own setup asks.
		krewDir := t.TempDir()
		if err := os.Symlink(releaseTool(t, "AIO_AUTHN_KREW"), filepath.Join(krewDir, "kubectl-krew")); err != nil {
			t.Fatal(err)
		}
		// krew clones and updates its plugin index (from GitHub) before an
		// install from a manifest URL; a local one stands in for it.
		index := t.TempDir()
		if err := os.WriteFile(filepath.Join(index, "README.md"), []byte("plugin index\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := commitAll(index, testEnv(t), "an empty plugin index"); err != nil {
			t.Fatal(err)
		}
		env := setEnv(commandEnv(home, filepath.Join(home, ".krew", "bin"), krewDir), d.env...)
		env = append(env, "KREW_NO_UPGRADE_CHECK=1", "KREW_DEFAULT_INDEX_URI="+index)
		r := runEnv(t, home, env, "bash", "-euo", "pipefail", "-c", block.text())
		if r.code != 0 {
			t.Fatalf("README.md:%d: the krew block exited %d\n%s%s", block.line, r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, version) {
			t.Errorf("kubectl aio-authn version printed %q, want the release's version", r.stdout)
		}
		// krew took the archive from the URL the manifest names.
		archive := "/" + pinnedOwner + "/" + pinnedName + "/releases/download/" + releaseTag + "/" + archiveName(runtime.GOOS, runtime.GOARCH)
		if !d.served(archive) {
			t.Errorf("krew did not download %s; requests: %v", archive, d.fetched)
		}
	})
}
