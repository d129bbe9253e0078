package lint

import (
	"math/rand/v2"
	"testing"
)

// TestDistanceWithin compares the bounded edit distance suggest uses with
// the textbook one on random strings.
func TestDistanceWithin(t *testing.T) {
	levenshtein := func(a, b []rune) int {
		d := make([][]int, len(a)+1)
		for i := range d {
			d[i] = make([]int, len(b)+1)
			d[i][0] = i
		}
		for j := range d[0] {
			d[0][j] = j
		}
		for i := 1; i <= len(a); i++ {
			for j := 1; j <= len(b); j++ {
				cost := 1
				if a[i-1] == b[j-1] {
					cost = 0
				}
				d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			}
		}
		return d[len(a)][len(b)]
	}
	r := rand.New(rand.NewPCG(1, 2))
	word := func() []rune {
		b := make([]rune, r.IntN(12))
		for i := range b {
			b[i] = []rune("abcé-")[r.IntN(5)]
		}
		return b
	}
	var d distance
	for range 20000 {
		a, b, k := word(), word(), r.IntN(5)
		if got, want := d.within(a, b, k), min(levenshtein(a, b), k+1); got != want {
			t.Fatalf("within(%q, %q, %d) = %d, want %d", string(a), string(b), k, got, want)
		}
	}
	if got := lowerRunes("AbC-é", nil); string(got) != "abc-é" {
		t.Fatalf("lowerRunes = %q", string(got))
	}
}
