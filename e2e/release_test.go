package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestReleaseConfig checks the promises .goreleaser.yaml makes: static
// binaries for the six platforms, version data injected into the variables
// that really exist, archives named for krew, and a krew manifest that is not
// uploaded.
func TestReleaseConfig(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		ProjectName string `json:"project_name"`
		Builds      []struct {
			Binary  string   `json:"binary"`
			Env     []string `json:"env"`
			Goos    []string `json:"goos"`
			Goarch  []string `json:"goarch"`
			Ldflags []string `json:"ldflags"`
		} `json:"builds"`
		Archives []struct {
			NameTemplate string `json:"name_template"`
		} `json:"archives"`
		Checksum struct {
			NameTemplate string `json:"name_template"`
		} `json:"checksum"`
		Krews []struct {
			Name       string `json:"name"`
			SkipUpload any    `json:"skip_upload"`
		} `json:"krews"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Builds) != 1 {
		t.Fatalf("want one build, got %d", len(cfg.Builds))
	}
	b := cfg.Builds[0]
	if b.Binary != "kubectl-aio_authn" {
		t.Errorf("binary = %q, want kubectl-aio_authn (the name kubectl looks for)", b.Binary)
	}
	if !contains(b.Env, "CGO_ENABLED=0") {
		t.Errorf("builds must set CGO_ENABLED=0, env = %v", b.Env)
	}
	if strings.Join(b.Goos, ",") != "linux,darwin,windows" || strings.Join(b.Goarch, ",") != "amd64,arm64" {
		t.Errorf("platforms = %v × %v", b.Goos, b.Goarch)
	}
	flags := strings.Join(b.Ldflags, " ")
	for _, v := range []string{"Version", "Commit", "Date"} {
		if !strings.Contains(flags, "github.com/aio-authn/kubectl-aio-authn/pkg/version."+v+"=") {
			t.Errorf("ldflags do not set pkg/version.%s: %s", v, flags)
		}
	}
	if len(cfg.Archives) != 1 || cfg.Archives[0].NameTemplate != "{{ .ProjectName }}_{{ .Os }}_{{ .Arch }}" {
		t.Errorf("archives should be named for krew: %+v", cfg.Archives)
	}
	if cfg.Checksum.NameTemplate == "" {
		t.Error("no checksum file")
	}
	if len(cfg.Krews) != 1 || cfg.Krews[0].Name != "aio-authn" || cfg.Krews[0].SkipUpload != true {
		t.Errorf("krew manifest should be named aio-authn with skip_upload: true: %+v", cfg.Krews)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
