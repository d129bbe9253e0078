package cmd

import (
	"bytes"
	"strings"
	"testing"
)

func TestDisplayName(t *testing.T) {
	for arg0, want := range map[string]string{
		"/usr/local/bin/kubectl-aio_authn":   pluginName,
		"kubectl-aio_authn":                  pluginName,
		"":                                   pluginName,
		"/home/me/go/bin/kubectl-aio-authn":  pluginName,
		"./aio-authn":                        "aio-authn",
		"/tmp/go-build123/b001/cmd.test":     "cmd.test",
		"/tmp/go-build123/b001/exe/main.exe": "main",
	} {
		if got := displayName(arg0); got != want {
			t.Errorf("displayName(%q) = %q, want %q", arg0, got, want)
		}
	}
}

// TestHelpNamesTheBinaryRun: run under another name than the plugin's, help
// and its examples name that binary.
func TestHelpNamesTheBinaryRun(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Execute("aio-authn", []string{"--help"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	help := out.String()
	for _, want := range []string{"Usage:\n  aio-authn [command]", "\n  aio-authn validate ./manifests\n"} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q:\n%s", want, help)
		}
	}
	if strings.Contains(help, pluginName+" validate") {
		t.Errorf("an example still names %q:\n%s", pluginName, help)
	}
}
