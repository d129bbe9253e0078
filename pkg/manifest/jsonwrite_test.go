package manifest

import (
	"bytes"
	"encoding/json"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

func TestWriteJSONKeepsOrderAndKubectlScalars(t *testing.T) {
	src := `zeta: 1
alpha: "a <b> & c"
hex: 0x10
tilde: ~
plain: yes
quoted: "yes"
list: [2.5, true, {k: v}]
empty: {}
none: []
`
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	WriteJSON(&buf, &doc)
	want := `{
  "zeta": 1,
  "alpha": "a <b> & c",
  "hex": 16,
  "tilde": null,
  "plain": "yes",
  "quoted": "yes",
  "list": [
    2.5,
    true,
    {
      "k": "v"
    }
  ],
  "empty": {},
  "none": []
}`
	if buf.String() != want {
		t.Errorf("WriteJSON =\n%s\nwant\n%s", buf.String(), want)
	}
	if !json.Valid(buf.Bytes()) {
		t.Error("output is not valid JSON")
	}
}
