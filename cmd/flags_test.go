package cmd

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// renamedFlags are the flags whose names changed so that one idea has one
// name in every command; the old names work for one release.
var renamedFlags = []struct{ command, old, new string }{
	{"sat decode", "verify-key", "sat-issuer-key"},
	{"sat mint", "issuer", "sat-issuer"},
	{"sat mint", "pod", "bound-pod"},
	{"generate sat-client", "expiration", "duration"},
	{"serve custom-auth", "cert", "server-cert"},
	{"serve custom-auth", "key", "server-key"},
}

// forceShorthands are the commands whose --force had -f, which is a file
// everywhere else.
var forceShorthands = []string{"certs chain", "certs create", "sat keygen"}

func commandTree(t *testing.T) (*cobra.Command, *bytes.Buffer) {
	t.Helper()
	var errOut bytes.Buffer
	return NewRootCmd(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &errOut}, pluginName), &errOut
}

func findCommand(t *testing.T, root *cobra.Command, path string) *cobra.Command {
	t.Helper()
	c, _, err := root.Find(strings.Fields(path))
	if err != nil || c.Name() != strings.Fields(path)[len(strings.Fields(path))-1] {
		t.Fatalf("no command %q", path)
	}
	return c
}

// TestRenamedFlagsStillWork: each old name sets the new flag (which counts
// as given), is hidden from help, and says it is deprecated on standard
// error.
func TestRenamedFlagsStillWork(t *testing.T) {
	for _, r := range renamedFlags {
		t.Run(r.command+" --"+r.old, func(t *testing.T) {
			root, errOut := commandTree(t)
			c := findCommand(t, root, r.command)
			value := "value-given"
			if c.Flags().Lookup(r.new).Value.Type() == "duration" {
				value = "2h0m0s"
			}
			if err := c.ParseFlags([]string{"--" + r.old, value}); err != nil {
				t.Fatal(err)
			}
			f := c.Flags().Lookup(r.new)
			if got := f.Value.String(); got != value || !f.Changed {
				t.Errorf("--%s %s left --%s = %q (given %v)", r.old, value, r.new, got, f.Changed)
			}
			if want := "Flag --" + r.old + " has been deprecated, use --" + r.new + " instead\n"; errOut.String() != want {
				t.Errorf("stderr %q, want %q", errOut.String(), want)
			}
			if old := c.Flags().Lookup(r.old); !old.Hidden {
				t.Errorf("--%s shows in help", r.old)
			}
			if strings.Contains(c.UsageString(), "--"+r.old+" ") {
				t.Errorf("--%s is in the usage:\n%s", r.old, c.UsageString())
			}
		})
	}
	for _, path := range forceShorthands {
		t.Run(path+" -f", func(t *testing.T) {
			root, errOut := commandTree(t)
			c := findCommand(t, root, path)
			if err := c.ParseFlags([]string{"-f"}); err != nil {
				t.Fatal(err)
			}
			if !c.Flags().Changed("force") {
				t.Error("-f does not set --force")
			}
			if !strings.HasPrefix(errOut.String(), "Flag shorthand -f has been deprecated, use --force") {
				t.Errorf("stderr %q", errOut.String())
			}
			if strings.Contains(c.UsageString(), "-f, --force") {
				t.Errorf("-f shows in the usage:\n%s", c.UsageString())
			}
		})
	}
}

// TestOldSpellingsEndToEnd runs commands with the old spellings: they do
// what the new ones do, standard output holds only the data, and standard
// error says what to write instead.
func TestOldSpellingsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	runCmd(t, "", "sat", "keygen", "--out-dir", keys).mustSucceed(t)
	r := runCmd(t, "", "sat", "keygen", "--out-dir", keys, "-f").mustSucceed(t)
	if !strings.Contains(r.stderr, "Flag shorthand -f has been deprecated, use --force") {
		t.Errorf("sat keygen -f: stderr lacks the deprecation notice:\n%s", r.stderr)
	}

	r = runCmd(t, "", "sat", "mint", "--signing-key", filepath.Join(keys, "sa_key.pem"), "--service-account", "fan",
		"--audience", "aio-internal", "--pod", "fan-0", "--issuer", "https://old.example").mustSucceed(t)
	token := r.stdout
	if strings.Count(token, "\n") != 1 || !strings.Contains(r.stderr, "Flag --pod has been deprecated, use --bound-pod instead") ||
		!strings.Contains(r.stderr, "Flag --issuer has been deprecated, use --sat-issuer instead") {
		t.Errorf("sat mint --pod --issuer: stdout %q\nstderr:\n%s", token, r.stderr)
	}
	r = runCmd(t, token, "sat", "decode", "-", "-o", "json", "--verify-key", filepath.Join(keys, "jwks.json")).mustSucceed(t)
	var decoded struct {
		Claims struct {
			Iss  string `json:"iss"`
			Kube struct {
				Pod struct{ Name string } `json:"pod"`
			} `json:"kubernetes.io"`
		} `json:"claims"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &decoded); err != nil {
		t.Fatalf("sat decode -o json: %v\n%s", err, r.stdout)
	}
	if decoded.Claims.Iss != "https://old.example" || decoded.Claims.Kube.Pod.Name != "fan-0" {
		t.Errorf("minted with --issuer and --pod: %+v", decoded.Claims)
	}
	if !strings.Contains(r.stderr, "signature verified") || !strings.Contains(r.stderr, "Flag --verify-key has been deprecated, use --sat-issuer-key instead") {
		t.Errorf("sat decode --verify-key: stderr:\n%s", r.stderr)
	}

	r = runCmd(t, "", "generate", "sat-client", "--expiration", "2h").mustSucceed(t)
	if !strings.Contains(r.stdout, "expirationSeconds: 7200") || !strings.Contains(r.stderr, "Flag --expiration has been deprecated, use --duration instead") {
		t.Errorf("generate sat-client --expiration 2h: stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
}

// TestOneFlagPerIdea: every -o is the one output format flag, checked as
// it is parsed and completed from its formats; every --now is the one time
// flag; -f is --filename wherever it is not the deprecated shorthand of
// --force; and the only deprecated names are those renamed above.
func TestOneFlagPerIdea(t *testing.T) {
	root, _ := commandTree(t)
	var deprecated []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		path := strings.TrimPrefix(c.CommandPath(), root.CommandPath()+" ")
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			switch {
			case f.Deprecated != "":
				deprecated = append(deprecated, path+" --"+f.Name)
			case f.Name == "output" && path != "ca import": // kubectl's printer flags
				o, ok := f.Value.(*outputFormat)
				if !ok {
					t.Errorf("%s: -o is a %T, not the output format flag", path, f.Value)
					break
				}
				complete, _ := c.GetFlagCompletionFunc("output")
				if complete == nil {
					t.Errorf("%s: -o completes nothing", path)
					break
				}
				if got, _ := complete(c, nil, ""); !slices.Equal(got, o.formats) {
					t.Errorf("%s: -o completes %v, accepts %v", path, got, o.formats)
				}
			case f.Name == "now":
				if _, ok := f.Value.(nowValue); !ok {
					t.Errorf("%s: --now is a %T, not the time flag", path, f.Value)
				}
			}
			if f.Shorthand == "f" && f.Name != "filename" && f.ShorthandDeprecated == "" {
				t.Errorf("%s: -f is --%s; -f is a file (--filename) everywhere", path, f.Name)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	var want []string
	for _, r := range renamedFlags {
		want = append(want, r.command+" --"+r.old)
	}
	slices.Sort(want)
	slices.Sort(deprecated)
	if !slices.Equal(deprecated, want) {
		t.Errorf("deprecated flags %v, want %v", deprecated, want)
	}
}
