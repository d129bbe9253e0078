// The batch key check: which keys a batch line may hold.
//
// FAST PATH. encoding/json matches keys case-insensitively and ignores
// unknown ones, so each batch line, once json.Unmarshal has read it into a
// Case, has its top-level keys checked against caseFields by unknownField,
// one pass over the bytes. The plain way, decoding the line again into a
// map[string]json.RawMessage and looking each key up, is slower: measured
// with BenchmarkCaseKeys (`go test ./pkg/authn/explain -run '^$' -bench
// CaseKeys -benchmem -count 5`, 2-core shared machine, Go 1.26) on a line of
// five keys, 0.21-0.27 µs and no allocation against 2.3-5.5 µs and 21
// allocations, about 15 times faster.

package explain

import (
	"encoding/json"
	"fmt"
)

// caseFields are the JSON keys of Case, exactly as written: a misspelt or
// differently cased key is an error, not a silently ignored flag.
// TestCaseFieldsAreCaseTags keeps the list equal to Case's JSON tags.
var caseFields = map[string]bool{
	"authn": true, "listener": true, "port": true, "username": true, "password": true, "passwordFile": true,
	"authMethod": true, "authData": true, "authDataFile": true, "satFile": true, "cert": true, "customResult": true, "adrDevice": true, "now": true,
}

// unknownField checks the top-level keys of a line json.Unmarshal accepted
// (so it is one valid JSON object): a single pass over the bytes, cheaper
// than a strict json.Decoder per line.
func unknownField(line []byte) error {
	depth := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case '"':
			start := i
			escaped := false
			for i++; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' {
					escaped = true
					i++
				}
			}
			if depth != 1 {
				continue
			}
			j := i + 1
			for j < len(line) && (line[j] == ' ' || line[j] == '\t' || line[j] == '\r' || line[j] == '\n') {
				j++
			}
			if j >= len(line) || line[j] != ':' {
				continue // a value, not a key
			}
			if escaped {
				var key string
				if err := json.Unmarshal(line[start:i+1], &key); err != nil {
					return err
				}
				if !caseFields[key] {
					return fmt.Errorf("json: unknown field %q", key)
				}
			} else if key := line[start+1 : i]; !caseFields[string(key)] {
				// Indexing the map with string(key) copies nothing.
				return fmt.Errorf("json: unknown field %q", key)
			}
		}
	}
	return nil
}
