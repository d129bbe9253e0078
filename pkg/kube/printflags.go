package kube

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/printers"
)

// PrintFlags are kubectl's output flags for a command that writes objects
// (-o json|yaml|name|go-template|jsonpath..., --template,
// --allow-missing-template-keys, --show-managed-fields), with kubectl's
// names, help, defaults and printers: those of cli-runtime's
// genericclioptions.PrintFlags, which the tool cannot import without
// linking kubectl's resource builder (see ConfigFlags). A test holds the
// two to the same flags, output and errors.
type PrintFlags struct {
	// OutputFormat is -o; "" prints "KIND/NAME OPERATION".
	OutputFormat *string
	// Operation is what the default output says was done
	// ("serverside-applied").
	Operation string
	// Template is --template; AllowMissingKeys --allow-missing-template-keys.
	Template         *string
	AllowMissingKeys *bool
	// ShowManagedFields keeps metadata.managedFields in JSON and YAML.
	ShowManagedFields bool

	outputChanged func() bool
}

// NewPrintFlags returns the flags with kubectl's defaults. The objects
// printed are typed (apiVersion and kind set) from the tool's Scheme.
func NewPrintFlags(operation string) *PrintFlags {
	format, template, allowMissing := "", "", true
	return &PrintFlags{OutputFormat: &format, Operation: operation, Template: &template, AllowMissingKeys: &allowMissing}
}

// The formats of the template printers, each also accepted as FORMAT=TEMPLATE.
var (
	goTemplateFormats = []string{"go-template", "go-template-file", "template", "templatefile"}
	jsonPathFormats   = []string{"jsonpath", "jsonpath-as-json", "jsonpath-file"}
)

// jsonYAMLFormats are json and yaml, and kyaml when KUBECTL_KYAML=true, as
// kubectl reads it.
func jsonYAMLFormats() []string {
	formats := []string{"json", "yaml"}
	if strings.ToLower(os.Getenv("KUBECTL_KYAML")) == "true" {
		formats = append(formats, "kyaml")
	}
	return formats
}

// AllowedFormats lists the values of -o in kubectl's order.
func (f *PrintFlags) AllowedFormats() []string {
	return slices.Concat(jsonYAMLFormats(), []string{"name"}, goTemplateFormats, jsonPathFormats)
}

// AddFlags adds the flags to c.
func (f *PrintFlags) AddFlags(c *cobra.Command) {
	fs := c.Flags()
	fs.BoolVar(&f.ShowManagedFields, "show-managed-fields", f.ShowManagedFields, "If true, keep the managedFields when printing objects in JSON or YAML format.")
	if f.Template != nil {
		fs.StringVar(f.Template, "template", *f.Template, "Template string or path to template file to use when -o=go-template, -o=go-template-file. The template format is golang templates [http://golang.org/pkg/text/template/#pkg-overview].")
		_ = c.MarkFlagFilename("template")
	}
	if f.AllowMissingKeys != nil {
		fs.BoolVar(f.AllowMissingKeys, "allow-missing-template-keys", *f.AllowMissingKeys, "If true, ignore any errors in templates when a field or map key is missing in the template. Only applies to golang and jsonpath output formats.")
	}
	if f.OutputFormat != nil {
		fs.StringVarP(f.OutputFormat, "output", "o", *f.OutputFormat, fmt.Sprintf(`Output format. One of: (%s).`, strings.Join(f.AllowedFormats(), ", ")))
		f.outputChanged = func() bool { return c.Flag("output").Changed }
	}
}

// noPrinterError is kubectl's error for an output format it has no printer
// for.
type noPrinterError struct {
	format  string
	allowed []string
}

func (e *noPrinterError) Error() string {
	allowed := slices.Clone(e.allowed)
	sort.Strings(allowed)
	return fmt.Sprintf("unable to match a printer suitable for the output format %q, allowed formats are: %s", e.format, strings.Join(allowed, ","))
}

// ToPrinter returns the printer the flags ask for, as kubectl chooses it:
// --template alone means -o go-template.
func (f *PrintFlags) ToPrinter() (printers.ResourcePrinter, error) {
	format := ""
	if f.OutputFormat != nil {
		format = *f.OutputFormat
	}
	template := ""
	if f.Template != nil {
		template = *f.Template
	}
	if template != "" && (f.outputChanged == nil || !f.outputChanged()) {
		format = "go-template"
	}
	p, err := f.printer(format, template)
	if p == nil && err == nil {
		given := ""
		if f.OutputFormat != nil {
			given = *f.OutputFormat
		}
		return nil, &noPrinterError{format: given, allowed: f.AllowedFormats()}
	}
	return printers.NewTypeSetter(Scheme()).WrapToPrinter(p, err)
}

// printer returns nil, nil when no printer has the format.
func (f *PrintFlags) printer(format, template string) (printers.ResourcePrinter, error) {
	lower := strings.ToLower(format)
	if slices.Contains(jsonYAMLFormats(), lower) {
		var p printers.ResourcePrinter
		switch lower {
		case "json":
			p = &printers.JSONPrinter{}
		case "yaml":
			p = &printers.YAMLPrinter{}
		default:
			p = &printers.KYAMLPrinter{}
		}
		if !f.ShowManagedFields {
			p = &printers.OmitManagedFieldsPrinter{Delegate: p}
		}
		return p, nil
	}
	if lower == "" || lower == "name" {
		return &printers.NamePrinter{Operation: f.Operation, ShortOutput: lower == "name"}, nil
	}
	allowMissing := f.AllowMissingKeys == nil || *f.AllowMissingKeys
	if format, text, ok := templateOf(format, template, jsonPathFormats); ok {
		if text == "" {
			return nil, fmt.Errorf("template format specified but no template given")
		}
		if format == "jsonpath-file" {
			var err error
			if text, err = readTemplate(text); err != nil {
				return nil, err
			}
		}
		p, err := printers.NewJSONPathPrinter(text)
		if err != nil {
			return nil, fmt.Errorf("error parsing jsonpath %s, %v", text, err)
		}
		p.AllowMissingKeys(allowMissing)
		p.EnableJSONOutput(format == "jsonpath-as-json")
		return p, nil
	}
	if format, text, ok := templateOf(format, template, goTemplateFormats); ok {
		if text == "" {
			return nil, fmt.Errorf("template format specified but no template given")
		}
		if format == "templatefile" || format == "go-template-file" {
			var err error
			if text, err = readTemplate(text); err != nil {
				return nil, err
			}
		}
		p, err := printers.NewGoTemplatePrinter([]byte(text))
		if err != nil {
			return nil, fmt.Errorf("error parsing template %s, %v", text, err)
		}
		p.AllowMissingKeys(allowMissing)
		return p, nil
	}
	return nil, nil
}

// templateOf splits -o FORMAT=TEMPLATE when --template is not given and
// says whether FORMAT is one of formats.
func templateOf(format, template string, formats []string) (string, string, bool) {
	if template == "" {
		for _, name := range formats {
			if rest, ok := strings.CutPrefix(format, name+"="); ok {
				format, template = name, rest
				break
			}
		}
	}
	return format, template, slices.Contains(formats, format)
}

// readTemplate reads the template file of -o go-template-file and
// jsonpath-file.
func readTemplate(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("error reading --template %s, %v", path, err)
	}
	return string(data), nil
}
