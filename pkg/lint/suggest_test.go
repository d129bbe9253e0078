package lint

import (
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
)

// TestSuggestMatchesTextbook compares suggest (a trie walked with the
// Levenshtein table, cut at the limit) with the plain way: every
// candidate's full edit distance, in sorted order.
func TestSuggestMatchesTextbook(t *testing.T) {
	levenshtein := func(a, b []rune) int {
		prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
		for j := range prev {
			prev[j] = j
		}
		for i := 1; i <= len(a); i++ {
			cur[0] = i
			for j := 1; j <= len(b); j++ {
				cost := 1
				if a[i-1] == b[j-1] {
					cost = 0
				}
				cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			}
			prev, cur = cur, prev
		}
		return prev[len(b)]
	}
	textbook := func(got string, candidates []string) string {
		for _, c := range candidates {
			if strings.EqualFold(c, got) && c != got {
				return c
			}
		}
		best, bestD := "", 1<<30
		sorted := append([]string(nil), candidates...)
		sort.Strings(sorted)
		for _, c := range sorted {
			if c == got {
				continue
			}
			if d := levenshtein([]rune(strings.ToLower(got)), []rune(strings.ToLower(c))); d < bestD {
				best, bestD = c, d
			}
		}
		limit := 2
		if len(got) > 8 {
			limit = 3
		}
		if bestD <= limit && bestD < len(got) {
			return best
		}
		return ""
	}
	r := rand.New(rand.NewPCG(1, 2))
	letters := []rune("abAB-é1İ")
	word := func() string {
		b := make([]rune, r.IntN(11))
		for i := range b {
			b[i] = letters[r.IntN(len(letters))]
		}
		return string(b)
	}
	suggested := 0
	for range 5000 {
		candidates := make([]string, r.IntN(30))
		for i := range candidates {
			candidates[i] = word()
		}
		idx := newNameIndex(candidates)
		for range 5 {
			got := word()
			if r.IntN(3) == 0 && len(candidates) > 0 {
				got = candidates[r.IntN(len(candidates))]
			}
			want := textbook(got, candidates)
			if s := idx.suggest(got); s != want {
				t.Fatalf("suggest(%q, %q) = %q, want %q", got, candidates, s, want)
			}
			if want != "" {
				suggested++
			}
		}
	}
	if suggested < 1000 {
		t.Fatalf("only %d of the cases had a suggestion", suggested)
	}
}
