package ui

import (
	"strconv"
	"strings"
)

// Plural says how many of a thing there are, in English: "1 file",
// "2 files", "0 errors", "3 policies", "2 keys", "4 matches". word is the
// singular, and may be several words ("more file").
func Plural(n int, word string) string {
	count := strconv.Itoa(n) + " "
	if n == 1 {
		return count + word
	}
	switch {
	case len(word) > 1 && strings.HasSuffix(word, "y") && !strings.ContainsRune("aeiou", rune(word[len(word)-2])):
		return count + word[:len(word)-1] + "ies"
	case strings.HasSuffix(word, "s") || strings.HasSuffix(word, "x") || strings.HasSuffix(word, "ch") || strings.HasSuffix(word, "sh"):
		return count + word + "es"
	}
	return count + word + "s"
}
