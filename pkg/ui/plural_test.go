package ui

import "testing"

func TestPlural(t *testing.T) {
	for _, c := range []struct {
		n          int
		word, want string
	}{
		{0, "error", "0 errors"}, {1, "error", "1 error"}, {2, "error", "2 errors"},
		{1, "day", "1 day"}, {30, "day", "30 days"}, {2, "key", "2 keys"},
		{2, "policy", "2 policies"}, {1, "policy", "1 policy"},
		{3, "match", "3 matches"}, {2, "box", "2 boxes"}, {2, "alias", "2 aliases"},
		{2, "more file", "2 more files"}, {1, "more pod", "1 more pod"},
		{-1, "step", "-1 steps"},
	} {
		if got := Plural(c.n, c.word); got != c.want {
			t.Errorf("Plural(%d, %q) = %q, want %q", c.n, c.word, got, c.want)
		}
	}
}
