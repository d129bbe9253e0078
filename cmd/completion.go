package cmd

import (
	"fmt"

	"github.com/spf13/cobra"
)

// kubectlCompletionScript is the kubectl_complete-aio_authn helper: kubectl
// (1.26 and later) runs it to complete `kubectl aio-authn ...`, and it asks the
// plugin through cobra's hidden __complete command.
const kubectlCompletionScript = `#!/usr/bin/env sh
# Completion for "kubectl aio-authn": kubectl runs this file, found on PATH,
# when completing the plugin's arguments. Install it next to kubectl-aio_authn.
exec kubectl-aio_authn __complete "$@"
`

func newCompletionCmd(o *rootOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell|kubectl",
		Short: "Print a shell completion script",
		Long: `Print a shell completion script.

"kubectl" prints the kubectl_complete-aio_authn script that lets kubectl itself
complete "kubectl aio-authn ..." (kubectl 1.26 or later): save it on PATH as
kubectl_complete-aio_authn and make it executable.`,
		Example: o.example(`
  # Complete "kubectl aio-authn" in bash and zsh through kubectl
  kubectl aio-authn completion kubectl > ~/.local/bin/kubectl_complete-aio_authn
  chmod +x ~/.local/bin/kubectl_complete-aio_authn

  # Complete the binary itself
  source <(kubectl aio-authn completion bash)`),
		ValidArgs: []string{"bash", "zsh", "fish", "powershell", "kubectl"},
		Args:      cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			root := c.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(o.Out, true)
			case "zsh":
				return root.GenZshCompletion(o.Out)
			case "fish":
				return root.GenFishCompletion(o.Out, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(o.Out)
			case "kubectl":
				_, err := fmt.Fprint(o.Out, kubectlCompletionScript)
				return err
			}
			return usagef("unknown shell %q: use bash, zsh, fish, powershell or kubectl", args[0])
		},
	}
}
