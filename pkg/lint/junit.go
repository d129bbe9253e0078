package lint

import (
	"encoding/xml"
	"fmt"
	"io"
)

// JUnitReporter writes JUnit XML, which CI systems show as test results:
// one testsuite per file, one testcase per checked resource, a failure per
// error finding. Warnings and infos go to the testcase's system-out.
// Findings about no resource (YAML syntax errors) get a testcase of their
// own named after the file.
type JUnitReporter struct {
	// Command is the kubectl aio-authn command the result comes from,
	// which names the report; empty means validate.
	Command string
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string         `xml:"name,attr"`
	ClassName string         `xml:"classname,attr"`
	Failures  []junitFailure `xml:"failure,omitempty"`
	SystemOut *junitText     `xml:"system-out,omitempty"`
}

// Texts are CDATA so that multi-line hints stay readable in the XML.
type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

// Report writes the XML document.
func (j JUnitReporter) Report(w io.Writer, r *Result) error {
	command := j.Command
	if command == "" {
		command = "validate"
	}
	out := junitSuites{Name: "kubectl aio-authn " + command}
	for _, file := range r.Files {
		suite := junitSuite{Name: file}
		caseOf := map[int]int{} // document index -> case index
		for _, res := range r.Resources {
			if res.File != file {
				continue
			}
			caseOf[res.Document] = len(suite.Cases)
			suite.Cases = append(suite.Cases, junitCase{
				Name:      fmt.Sprintf("%s/%s (document %d)", res.Kind, res.Name, res.Document),
				ClassName: file,
			})
		}
		fileCase := -1
		for _, f := range r.Findings {
			if f.File != file {
				continue
			}
			ci, ok := caseOf[f.Document]
			if !ok || f.Kind == "" {
				if fileCase < 0 {
					fileCase = len(suite.Cases)
					suite.Cases = append(suite.Cases, junitCase{Name: file, ClassName: file})
				}
				ci = fileCase
			}
			c := &suite.Cases[ci]
			text := fmt.Sprintf("%s: %s: %s (%s)", f.Location(), f.Severity, f.Message, f.Rule)
			if f.Hint != "" {
				text += "\nhint: " + f.Hint
			}
			if f.Severity == SeverityError {
				c.Failures = append(c.Failures, junitFailure{Message: f.Message, Type: f.Rule, Text: text})
				continue
			}
			if c.SystemOut == nil {
				c.SystemOut = &junitText{}
			} else {
				c.SystemOut.Text += "\n"
			}
			c.SystemOut.Text += text
		}
		suite.Tests = len(suite.Cases)
		for _, c := range suite.Cases {
			if len(c.Failures) > 0 {
				suite.Failures++
			}
		}
		out.Tests += suite.Tests
		out.Failures += suite.Failures
		out.Suites = append(out.Suites, suite)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
